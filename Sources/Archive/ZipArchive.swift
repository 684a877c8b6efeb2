#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

/// A zip archive read through its central directory: a hand-written reader (no zip library is available to the
/// project), following PKWARE's APPNOTE.TXT 6.3 and, where that leaves room, what Python's `zipfile` accepts.
///
/// It reads from a file descriptor at offsets (OSV's database zips are about 1 GB and never loaded whole) or from a
/// buffer (a jar inside a jar). Supported: stored and deflated entries (isa-l's raw inflate), ZIP64 (the end of
/// central directory locator and record, the 0x0001 extra field), data descriptors (the central directory's sizes
/// and CRC are used), UTF-8 and code page 437 names, data prepended to the archive. Every entry's CRC-32 is checked.
/// Encrypted entries, other methods and multi-disk archives are refused with `.unsupported`.
///
/// Malformed input never traps: it is a `ZipArchiveError`. Entries whose data would overlap (the overlapping-file
/// zip bomb) or lie outside the archive are rejected when the archive is opened; an entry is inflated no further
/// than its declared size, which the caller bounds with `limit`.
///
/// The class holds only immutable state and pread is position-free, so one archive may be read concurrently.
public final class ZipArchive: Sendable {
    public struct Limits: Sendable {
        /// The most central directory entries accepted.
        public var maxEntries: Int
        /// The largest uncompressed:compressed ratio accepted for entries bigger than `ratioCheckedAbove`
        /// (deflate cannot exceed about 1032:1, so a larger claim is a lie).
        public var maxCompressionRatio: UInt64
        public var ratioCheckedAbove: UInt64

        public init(maxEntries: Int = 4_000_000, maxCompressionRatio: UInt64 = 1_032, ratioCheckedAbove: UInt64 = 1 << 20) {
            self.maxEntries = maxEntries
            self.maxCompressionRatio = maxCompressionRatio
            self.ratioCheckedAbove = ratioCheckedAbove
        }

        public static let standard = Limits()
    }

    /// The entries in central directory order (duplicates kept).
    public let entries: [ZipEntry]
    /// The archive comment (raw bytes).
    public let comment: [UInt8]
    /// How many bytes precede the archive proper (a shell script in front of an executable jar, a stub).
    public let prependedByteCount: UInt64
    public let limits: Limits
    private let source: ZipByteSource
    private let entryIndexByName: [String: Int]
    /// Set when this archive opened the descriptor itself (`init(path:)`) and so closes it.
    private let ownedDescriptor: Int32?

    /// Reads the archive behind `fileDescriptor` (a regular file: its size is taken with fstat). The descriptor is
    /// not closed by the archive and must stay open while it is used.
    public convenience init(fileDescriptor: Int32, limits: Limits = .standard) throws {
        var status = stat()
        guard fstat(fileDescriptor, &status) == 0 else { throw ZipArchiveError.systemCall("fstat", errno: errno) }
        try self.init(source: .descriptor(fileDescriptor, size: UInt64(max(0, status.st_size))), limits: limits, owned: nil)
    }

    /// Opens and reads the archive at `path`; the descriptor is closed when the archive is released.
    public convenience init(path: String, limits: Limits = .standard) throws {
        let fd: FileDescriptor
        do { fd = try FileDescriptor.open(path, .readOnly, options: [.closeOnExec]) } catch let error as Errno {
            throw ZipArchiveError.systemCall("open \(path)", errno: error.rawValue)
        }
        var status = stat()
        guard fstat(fd.rawValue, &status) == 0 else {
            let code = errno
            try? fd.close()
            throw ZipArchiveError.systemCall("fstat", errno: code)
        }
        do {
            try self.init(source: .descriptor(fd.rawValue, size: UInt64(max(0, status.st_size))), limits: limits, owned: fd.rawValue)
        } catch {
            try? fd.close()
            throw error
        }
    }

    /// Reads an archive held in memory.
    public convenience init(bytes: [UInt8], limits: Limits = .standard) throws {
        try self.init(source: .memory(bytes), limits: limits, owned: nil)
    }

    private init(source: ZipByteSource, limits: Limits, owned: Int32?) throws {
        let directory = try ZipCentralDirectory.read(source, limits: limits)
        var index: [String: Int] = [:]
        for entry in directory.entries { index[entry.name] = entry.index }
        self.entries = directory.entries
        self.comment = directory.comment
        self.prependedByteCount = directory.prependedByteCount
        self.limits = limits
        self.source = source
        self.entryIndexByName = index
        self.ownedDescriptor = owned
    }

    deinit {
        if let ownedDescriptor { _ = close(ownedDescriptor) }
    }

    /// The entry with this name (the last one when the name repeats, as `zipfile` does).
    public func entry(named name: String) -> ZipEntry? {
        entryIndexByName[name].map { entries[$0] }
    }

    /// The entries sorted by where their data lies: reading in this order streams a file front to back.
    public var entriesInFileOrder: [ZipEntry] {
        entries.sorted { $0.localHeaderOffset < $1.localHeaderOffset }
    }

    /// The whole uncompressed content of `entry`, refused with `.limitExceeded` when it is declared larger than
    /// `limit` bytes.
    public func read(_ entry: ZipEntry, limit: Int) throws -> [UInt8] {
        try checkLimit(entry, limit: UInt64(max(0, limit)))
        var result: [UInt8] = []
        result.reserveCapacity(Int(entry.uncompressedSize))
        try stream(entry, limit: UInt64(max(0, limit))) { result.append(contentsOf: $0) }
        return result
    }

    /// The content of the entry called `name`, or nil when there is none.
    public func read(named name: String, limit: Int) throws -> [UInt8]? {
        guard let entry = entry(named: name) else { return nil }
        return try read(entry, limit: limit)
    }

    /// Hands the uncompressed content of `entry` to `body` in pieces (at most 256 KiB each, valid only during the
    /// call), inflating as it goes; the CRC-32 and size are checked after the last piece, so a consumer that must
    /// not act on bad data should wait for the call to return.
    public func stream(_ entry: ZipEntry, limit: UInt64 = .max, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try checkLimit(entry, limit: limit)
        guard !entry.isEncrypted else {
            throw ZipArchiveError(.unsupported, "zip: \(quoted(entry)): encrypted entries are not supported")
        }
        let dataOffset = try dataStart(of: entry)
        let reader = ZipEntryDecoder(entry: entry, displayName: quoted(entry))
        switch entry.method {
        case .stored:
            guard entry.compressedSize == entry.uncompressedSize else {
                throw ZipArchiveError(.corrupt, "zip: \(quoted(entry)): stored entry's sizes differ")
            }
            try source.forEachChunk(at: dataOffset, count: entry.compressedSize, what: "\(quoted(entry))'s data") {
                try reader.passStored($0, body)
            }
        case .deflated:
            let inflater = try ZipInflater()
            try source.forEachChunk(at: dataOffset, count: entry.compressedSize, what: "\(quoted(entry))'s data") {
                try reader.inflate($0, with: inflater, body)
            }
            try reader.finishInflating(with: inflater, body)
        case .other(let code):
            throw ZipArchiveError(.unsupported, "zip: \(quoted(entry)): compression method \(code) is not supported")
        }
        try reader.verifyEnd()
    }

    private func checkLimit(_ entry: ZipEntry, limit: UInt64) throws {
        guard entry.uncompressedSize <= limit else {
            throw ZipArchiveError(.limitExceeded, "zip: \(quoted(entry)) is \(entry.uncompressedSize) bytes, over the limit of \(limit)")
        }
        if entry.uncompressedSize > limits.ratioCheckedAbove,
           entry.uncompressedSize / max(1, entry.compressedSize) > limits.maxCompressionRatio {
            throw ZipArchiveError(.limitExceeded, "zip: \(quoted(entry)) claims a compression ratio over \(limits.maxCompressionRatio):1")
        }
    }

    /// Reads the local file header and returns where the entry's data begins; the local name must match the
    /// central directory's (as `zipfile` insists), sizes come from the central directory.
    private func dataStart(of entry: ZipEntry) throws -> UInt64 {
        let header = try source.read(at: entry.localHeaderOffset, count: 30, what: "\(quoted(entry))'s local header")
        let fields = ZipFields(header)
        guard fields.u32(0) == ZipCentralDirectory.localHeaderSignature else {
            throw ZipArchiveError(.corrupt, "zip: \(quoted(entry)): bad local file header signature")
        }
        let nameLength = Int(fields.u16(26))
        let extraLength = UInt64(fields.u16(28))
        let name = try source.read(at: entry.localHeaderOffset + 30, count: nameLength, what: "\(quoted(entry))'s local header")
        guard name == entry.rawName else {
            throw ZipArchiveError(.corrupt, "zip: \(quoted(entry)): file name in the directory and the local header differ")
        }
        return entry.localHeaderOffset + 30 + UInt64(nameLength) + extraLength
    }

    private func quoted(_ entry: ZipEntry) -> String {
        "\"" + String(entry.name.unicodeScalars.prefix(200).map { $0.value < 0x20 ? "?" : Character($0) }) + "\""
    }
}
