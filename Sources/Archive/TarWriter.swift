/// Streaming tar writer: ustar headers, with a PAX extended header in front of any entry whose
/// name, link, ids, size, time or xattrs do not fit ustar. Hand-written (no tar library for Swift
/// on Linux); output is deterministic for the same input headers.
///
/// Usage: `writeHeader`, then exactly `size` bytes of `writeData` for regular files; `finish()`
/// pads, writes the two zero blocks and flushes. Output goes to `sink` in large batches.
public final class TarWriter {
    public typealias Sink = (UnsafeRawBufferPointer) throws -> Void

    private let sink: Sink
    private let buffer: UnsafeMutableRawBufferPointer
    private var buffered = 0
    private var dataRemaining: Int64 = 0
    private var paddingPending = 0
    private var finished = false
    /// Bytes handed to the sink so far (plus those still buffered).
    public private(set) var byteCount: Int64 = 0
    /// Entries modified after this time (Unix seconds) are written as modified at it: SOURCE_DATE_EPOCH clamping,
    /// as BuildKit's rewrite-timestamp does it.
    public var modificationTimeLimit: Int64?

    public init(bufferSize: Int = 1 << 20, sink: @escaping Sink) {
        self.sink = sink
        buffer = .allocate(byteCount: max(bufferSize, 4096), alignment: 64)
    }

    /// Writes to a descriptor (not closed by the writer).
    public convenience init(fileDescriptor: Int32, bufferSize: Int = 1 << 20) {
        self.init(bufferSize: bufferSize) { try FileDescriptorIO.writeAll(fileDescriptor, $0) }
    }

    deinit { buffer.deallocate() }

    /// Starts an entry. For regular files, follow with exactly `header.size` bytes of data.
    public func writeHeader(_ header: TarEntryHeader) throws {
        var header = header
        if let limit = modificationTimeLimit, header.modificationTime > limit { header.modificationTime = limit }
        try closeEntry()
        guard !finished else { throw ArchiveError.invalidArgument("tar: write after finish") }
        guard header.size >= 0 else { throw ArchiveError.invalidArgument("tar: negative size for \(header.name)") }
        let records = Self.paxRecords(for: header)
        if !records.isEmpty {
            var payload: [UInt8] = []
            for (key, value) in records { payload += PaxRecords.encode(key: key, value: value) }
            let paxName = Array("PaxHeaders.0/".utf8) + Array(Self.baseName(header.name).prefix(80))
            var pax = TarEntryHeader(name: "", kind: .other(UInt8(ascii: "x")), size: Int64(payload.count))
            pax.mode = 0o644
            try appendBlock(Self.encodeBlock(pax, nameBytes: paxName))
            try payload.withUnsafeBytes { try append($0) }
            try append(zeros: Int(TarStreamValidator.padding(Int64(payload.count))))
        }
        try appendBlock(Self.encodeBlock(header, nameBytes: nil))
        dataRemaining = header.kind.isHeaderOnly ? 0 : header.size
        paddingPending = Int(TarStreamValidator.padding(dataRemaining))
    }

    /// Appends entry data; the total per entry must equal the header's size.
    public func writeData(_ bytes: UnsafeRawBufferPointer) throws {
        guard Int64(bytes.count) <= dataRemaining else {
            throw ArchiveError.invalidArgument("archive/tar: write too long")
        }
        dataRemaining -= Int64(bytes.count)
        try append(bytes)
    }

    /// Convenience for small entries: header plus all of its data.
    public func writeEntry(_ header: TarEntryHeader, data: [UInt8] = []) throws {
        var header = header
        if !header.kind.isHeaderOnly { header.size = Int64(data.count) }
        try writeHeader(header)
        try data.withUnsafeBytes { try writeData($0) }
    }

    /// Ends the archive: pads the last entry, writes two zero blocks, flushes.
    public func finish() throws {
        guard !finished else { return }
        try closeEntry()
        try append(zeros: 1024)
        try flush()
        finished = true
    }

    private func closeEntry() throws {
        guard dataRemaining == 0 else {
            throw ArchiveError.invalidArgument("archive/tar: missed writing \(dataRemaining) bytes")
        }
        try append(zeros: paddingPending)
        paddingPending = 0
    }

    private func appendBlock(_ block: [UInt8]) throws {
        try block.withUnsafeBytes { try append($0) }
    }

    private func append(zeros count: Int) throws {
        var left = count
        while left > 0 {
            if buffered == buffer.count { try flush() }
            let step = min(left, buffer.count - buffered)
            (buffer.baseAddress! + buffered).initializeMemory(as: UInt8.self, repeating: 0, count: step)
            buffered += step
            left -= step
            byteCount += Int64(step)
        }
    }

    private func append(_ bytes: UnsafeRawBufferPointer) throws {
        byteCount += Int64(bytes.count)
        if bytes.count >= buffer.count {
            try flush()
            try sink(bytes)
            return
        }
        var position = 0
        while position < bytes.count {
            if buffered == buffer.count { try flush() }
            let step = min(bytes.count - position, buffer.count - buffered)
            (buffer.baseAddress! + buffered).copyMemory(from: bytes.baseAddress! + position, byteCount: step)
            buffered += step
            position += step
        }
    }

    private func flush() throws {
        guard buffered > 0 else { return }
        let count = buffered
        buffered = 0
        try sink(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
    }

    // MARK: Header encoding

    static let maxOctal7: Int64 = 0o7777777
    static let maxOctal11: Int64 = 0o77777777777

    /// The PAX records an entry needs (sorted by key), empty when plain ustar suffices.
    static func paxRecords(for header: TarEntryHeader) -> [(String, [UInt8])] {
        var records: [String: [UInt8]] = [:]
        if splitUstarName(Array(header.name.utf8)) == nil { records["path"] = Array(header.name.utf8) }
        if header.linkName.utf8.count > 100 { records["linkpath"] = Array(header.linkName.utf8) }
        if header.userName.utf8.count > 32 { records["uname"] = Array(header.userName.utf8) }
        if header.groupName.utf8.count > 32 { records["gname"] = Array(header.groupName.utf8) }
        if !(0...Int(maxOctal7)).contains(header.uid) { records["uid"] = Array(String(header.uid).utf8) }
        if !(0...Int(maxOctal7)).contains(header.gid) { records["gid"] = Array(String(header.gid).utf8) }
        if header.size > maxOctal11 { records["size"] = Array(String(header.size).utf8) }
        if !(0...maxOctal11).contains(header.modificationTime) {
            records["mtime"] = Array(String(header.modificationTime).utf8)
        }
        for (name, value) in header.xattrs { records["SCHILY.xattr." + name] = value }
        return records.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
    }

    /// (prefix, name) for ustar, splitting at a slash when the name exceeds 100 bytes.
    static func splitUstarName(_ name: [UInt8]) -> (prefix: ArraySlice<UInt8>, name: ArraySlice<UInt8>)? {
        if name.count <= 100 { return (name[0..<0], name[...]) }
        guard name.count <= 256 else { return nil }
        for index in stride(from: min(name.count - 2, 155), through: 1, by: -1) where name[index] == UInt8(ascii: "/") {
            let suffix = name[(index + 1)...]
            if suffix.count <= 100 && !suffix.isEmpty { return (name[..<index], suffix) }
        }
        return nil
    }

    static func baseName(_ name: String) -> [UInt8] {
        let parts = Array(name.utf8).split(separator: UInt8(ascii: "/"))
        return parts.last.map(Array.init) ?? []
    }

    /// One 512-byte ustar block; values that overflow are left to the preceding PAX header.
    static func encodeBlock(_ header: TarEntryHeader, nameBytes: [UInt8]?) -> [UInt8] {
        typealias Field = TarHeaderBlock.Field
        var block = [UInt8](repeating: 0, count: TarHeaderBlock.size)
        func put(_ bytes: some Collection<UInt8>, _ range: Range<Int>) {
            for (offset, byte) in bytes.prefix(range.count).enumerated() { block[range.lowerBound + offset] = byte }
        }
        func putOctal(_ value: Int64, _ range: Range<Int>) {
            let digits = range.count - 1
            let limit: Int64 = (1 << (3 * Int64(digits))) - 1
            let clamped = (0...limit).contains(value) ? value : 0
            let text = Array(String(clamped, radix: 8).utf8)
            put([UInt8](repeating: UInt8(ascii: "0"), count: digits - text.count) + text, range)
        }
        let name = nameBytes ?? Array(header.name.utf8)
        if let split = splitUstarName(name) {
            put(split.name, Field.name)
            put(split.prefix, Field.ustarPrefix)
        } else {
            put(name, Field.name)
        }
        putOctal(Int64(header.mode & 0o7777), Field.mode)
        putOctal(Int64(header.uid), Field.uid)
        putOctal(Int64(header.gid), Field.gid)
        putOctal(header.kind.isHeaderOnly ? 0 : header.size, Field.size)
        putOctal(header.modificationTime, Field.modificationTime)
        block[Field.typeflag] = header.kind.typeflag
        put(header.linkName.utf8, Field.linkName)
        put("ustar\0".utf8, Field.magic)
        put("00".utf8, Field.version)
        put(header.userName.utf8, Field.userName)
        put(header.groupName.utf8, Field.groupName)
        if header.kind == .characterDevice || header.kind == .blockDevice {
            putOctal(Int64(header.deviceMajor), Field.deviceMajor)
            putOctal(Int64(header.deviceMinor), Field.deviceMinor)
        }
        block.withUnsafeMutableBytes { TarHeaderBlock.storeChecksum($0) }
        return block
    }
}
