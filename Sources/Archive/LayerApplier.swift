#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import OCI
#if os(Linux)
import CXattr
#endif

/// Applies OCI/docker image layers (tar; gzip, zstd, bzip2 or xz compressed; a file or a pipe) onto
/// a directory in one streaming pass, the way dockerd's unpack does it inside its chroot:
///
/// - entry names are cleaned and clamped to the target (`../x` and `/x` both land on `<target>/x`);
///   symlinks met on the way are followed as if the target were `/`, so nothing outside it is touched;
/// - an existing entry is replaced, except that a directory over a directory merges;
/// - `.wh.NAME` removes NAME from lower layers, `.wh..wh..opq` empties its directory of everything
///   this layer did not add (whatever the entry order); whiteout files are never created;
/// - owners (root only; lchown for symlinks), modes including setuid/setgid/sticky, xattrs from PAX
///   `SCHILY.xattr.*` (EPERM/ENOTSUP skipped) and mtimes, directories' last, after their contents.
///
/// Memory stays flat in the layer's bytes; it grows only with the number of entries (paths are
/// remembered for opaque directories and directory mtimes, as docker does). Not thread-safe.
public final class LayerApplier {
    /// How much of the tar metadata to apply.
    public struct Options: Sendable, Equatable {
        /// chown/lchown to the entries' uid/gid (needs root; default: whether running as root).
        public var preserveOwnership: Bool
        /// Set extended attributes from the tar (failures with EPERM/ENOTSUP are skipped).
        public var applyXattrs: Bool
        /// Read buffer size; entry data is written in chunks of up to this size.
        public var bufferSize: Int
        /// Write a regular file's data into the file already at its path instead of replacing it: fills a
        /// tree of size-only placeholders (a build's deferred COPY) without churning 20,000 inodes.
        public var rewriteFilesInPlace: Bool

        public init(preserveOwnership: Bool = geteuid() == 0, applyXattrs: Bool = true, bufferSize: Int = 1 << 20,
                    rewriteFilesInPlace: Bool = false) {
            self.preserveOwnership = preserveOwnership
            self.applyXattrs = applyXattrs
            self.bufferSize = bufferSize
            self.rewriteFilesInPlace = rewriteFilesInPlace
        }
    }

    /// What one applied layer contained.
    public struct Summary: Sendable, Equatable {
        /// Tar entries read (not counting PAX/GNU extension headers), whiteouts included.
        public var entryCount: Int
        /// Bytes of regular-file content written.
        public var fileBytes: Int64
        /// Whiteout and opaque markers processed.
        public var whiteoutCount: Int
        /// The compression the layer arrived in.
        public var compression: CompressionFormat
        /// Set by a measuring apply.
        public var measurement: Measurement? = nil
    }

    /// What a measuring apply learnt of the decoded layer: the numbers `LayerIngest` gives, from the same pass.
    public struct Measurement: Sendable, Equatable {
        public var diffID: Digest
        /// Bytes of the decoded tar.
        public var uncompressedSize: Int64
        /// Docker's layer size.
        public var contentSize: Int64

        public init(diffID: Digest, uncompressedSize: Int64, contentSize: Int64) {
            self.diffID = diffID
            self.uncompressedSize = uncompressedSize
            self.contentSize = contentSize
        }
    }

    static let whiteoutPrefix = ".wh."
    static let whiteoutMetaPrefix = ".wh..wh."
    static let opaqueMarker = ".wh..wh..opq"

    let rootFD: Int32
    let options: Options
    let resolver: LayerApplyResolver
    /// Paths this layer created (and their ancestors): what an opaque marker must keep.
    var unpackedPaths: Set<String> = []
    var directoryTimes: [(path: LayerApplyPath, seconds: Int64)] = []

    /// Opens the target directory, which must exist; symlinks in `directory` itself are followed.
    public init(directory: String, options: Options = Options()) throws {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ArchiveError.systemCall("open \(directory)", errno: errno) }
        rootFD = fd
        self.options = options
        resolver = LayerApplyResolver(rootFD: fd)
    }

    deinit { close(rootFD) }

    /// Applies the layer readable from `input` (not closed). Blocking; on error the target is left
    /// partly applied. `measuring` also hashes every decoded byte (the diffID, in `Summary.measurement`), so a
    /// layer not yet proven is proven by the pass that applies it.
    @discardableResult
    public func apply(layerFrom input: Int32, measuring: Bool = false) throws -> Summary {
        let (source, compression) = try DecompressingReader.open(input)
        // Decoding runs a chunk or four ahead on its own thread while this one creates the files.
        let chunkSize = max(options.bufferSize / TarHeaderBlock.size, 1) * TarHeaderBlock.size
        let decoded: ChunkSource = compression == .none
            ? DirectChunkSource(source: source, chunkSize: chunkSize)
            : DecodeAheadSource(source: source, chunkSize: chunkSize)
        let measured = measuring ? MeasuringChunkSource(decoded) : nil
        let chunks: ChunkSource = measured ?? decoded
        defer { chunks.stop() }
        let reader = LayerApplyReader(chunks: chunks)
        let headers = HeaderMailbox()
        let validator = TarStreamValidator { headers.header = $0 }
        var summary = Summary(entryCount: 0, fileBytes: 0, whiteoutCount: 0, compression: compression)
        unpackedPaths.removeAll(keepingCapacity: true)
        directoryTimes.removeAll(keepingCapacity: true)
        defer { resolver.invalidate() }

        // Everything in a tar is 512-aligned, so feeding whole blocks means the block that completes
        // an entry header is the last one fed, and its data follows in the stream.
        while !validator.isFinished {
            let block = try reader.contiguous(TarHeaderBlock.size)
            if block.isEmpty { break }
            try validator.consume(block)
            guard block.count == TarHeaderBlock.size else { break }
            guard let header = headers.take() else { continue }
            summary.entryCount += 1
            let dataSize = header.kind.isHeaderOnly ? 0 : header.size
            var data = EntryData(reader: reader, validator: validator, remaining: dataSize, name: header.name)
            if try applyEntry(header, data: &data) { summary.whiteoutCount += 1 }
            if header.kind == .regular { summary.fileBytes += dataSize - data.remaining }
            try data.skip(data.remaining + TarStreamValidator.padding(dataSize))
        }
        let tar = try validator.finish()
        if let measured {
            // The diffID covers what follows the end marker too (padding); like docker, a decoding error
            // there is ignored once the tar is complete.
            do {
                while try measured.nextChunk() != nil {}
            } catch {
                if !validator.isFinished { throw error }
            }
            summary.measurement = Measurement(diffID: measured.finalizeDiffID(), uncompressedSize: measured.byteCount,
                                              contentSize: tar.contentSize)
        }
        try applyDirectoryTimes()
        return summary
    }

    /// Applies a layer held in memory (tests, fuzzing): it is handed over through an unlinked temp file.
    @discardableResult
    public func apply(layerBytes: UnsafeRawBufferPointer, measuring: Bool = false) throws -> Summary {
        var template = Array((NSTemporaryDirectory() + "/strata-layer-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw ArchiveError.systemCall("mkstemp", errno: errno) }
        defer { close(fd) }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        if layerBytes.count > 0 { try FileDescriptorIO.writeAll(fd, layerBytes) }
        guard lseek(fd, 0, SEEK_SET) == 0 else { throw ArchiveError.systemCall("lseek", errno: errno) }
        return try apply(layerFrom: fd, measuring: measuring)
    }

    // MARK: Entries

    /// Applies one entry; returns whether it was a whiteout.
    private func applyEntry(_ header: TarEntryHeader, data: inout EntryData) throws -> Bool {
        let path = LayerApplyPath(cleaning: header.name)
        let joined = path.joined
        // What the kernel refuses as a path (PATH_MAX), a layer may not create either: docker fails such a layer with
        // "file name too long", and no tool could reach the file afterwards.
        if joined.utf8.count >= Int(PATH_MAX) {
            throw ArchiveError.systemCall("mkdir /\(path.components.prefix(3).joined(separator: "/"))/…", errno: ENAMETOOLONG)
        }
        if joined.hasPrefix(Self.whiteoutMetaPrefix) && joined != Self.opaqueMarker {
            return false  // AUFS metadata (.wh..wh.plnk, .wh..wh.aufs…) is skipped, as docker does
        }
        switch header.kind {
        case .regular, .directory, .symbolicLink, .hardLink, .characterDevice, .blockDevice, .fifo: break
        case .other(let flag): throw ArchiveError.invalidArgument("unhandled tar header type \(flag)")
        }
        if path.isRoot {
            guard header.kind == .directory else {
                throw ArchiveError.invalidArgument("\(header.name): cannot replace the root directory")
            }
            try applyMetadata(header, fd: rootFD)
            directoryTimes.append((path, header.modificationTime))
            return false
        }
        let parent = try resolver.directory(path.parent, create: true)
        defer { close(parent) }
        let base = path.base
        if base.hasPrefix(Self.whiteoutPrefix) {
            try applyWhiteout(path, parent: parent)
            return true
        }
        // Regular files, directories and symlinks are created first and only an EEXIST looks at what is
        // there (an empty target has nothing to replace); the rarer kinds clear the way up front.
        if options.rewriteFilesInPlace && header.kind == .hardLink && isLinked(base, in: parent, to: header.linkName) {
            return false
        }
        switch header.kind {
        case .hardLink, .characterDevice, .blockDevice, .fifo: try replaceExisting(base, in: parent, with: header.kind)
        default: break
        }
        switch header.kind {
        case .regular: try createRegular(header, parent: parent, base: base, data: &data)
        case .directory: if try !createDirectory(header, parent: parent, base: base) { return false }
        case .symbolicLink: try createSymlink(header, parent: parent, base: base)
        case .hardLink: try createHardLink(header, parent: parent, base: base)
        case .characterDevice, .blockDevice, .fifo: try createNode(header, parent: parent, base: base)
        case .other: break
        }
        if header.kind == .directory { directoryTimes.append((path, header.modificationTime)) }
        if unpackedPaths.insert(joined).inserted {
            path.insertAncestors(into: &unpackedPaths)
        }
        return false
    }

    private func applyWhiteout(_ path: LayerApplyPath, parent: Int32) throws {
        let base = path.base
        if base == Self.opaqueMarker {
            let directoryPath = path.parent.joined(separator: "/")
            let keep = unpackedPaths
            try LayerTreeRemoval.prune(parent, basePath: directoryPath) { entry, isDirectory in
                guard keep.contains(entry) else { return .remove }
                return isDirectory ? .descend : .keep
            }
            resolver.invalidate()
            return
        }
        let original = String(base.dropFirst(Self.whiteoutPrefix.count))
        guard !original.isEmpty, original != ".", original != ".." else {
            throw ArchiveError.invalidArgument("invalid whiteout \(path.joined)")
        }
        var info = stat()
        let wasDirectory = fstatat(parent, original, &info, AT_SYMLINK_NOFOLLOW) == 0 && info.st_mode & S_IFMT == S_IFDIR
        try LayerTreeRemoval.removeEntry(original, in: parent)
        if wasDirectory { resolver.invalidate() }
    }

    /// Whether `base` already is a hard link to the layer path `target` (only looked at, never followed out).
    private func isLinked(_ base: String, in parent: Int32, to target: String) -> Bool {
        var existing = stat(), linked = stat()
        return fstatat(parent, base, &existing, AT_SYMLINK_NOFOLLOW) == 0
            && fstatat(rootFD, LayerApplyPath(cleaning: target).joined, &linked, AT_SYMLINK_NOFOLLOW) == 0
            && existing.st_dev == linked.st_dev && existing.st_ino == linked.st_ino
    }

    /// Removes what sits at `base` unless both it and the new entry are directories (they merge).
    private func replaceExisting(_ base: String, in parent: Int32, with kind: TarEntryKind) throws {
        var existing = stat()
        guard fstatat(parent, base, &existing, AT_SYMLINK_NOFOLLOW) == 0 else { return }
        let isDirectory = existing.st_mode & S_IFMT == S_IFDIR
        if isDirectory && kind == .directory { return }
        try LayerTreeRemoval.removeEntry(base, in: parent)
        if isDirectory { resolver.invalidate() }
    }

    /// Runs `create` (a syscall returning 0 or a descriptor, -1 on failure); on EEXIST replaces the entry there once.
    private func creating(_ base: String, in parent: Int32, kind: TarEntryKind, _ create: () -> Int32) throws -> Int32 {
        let result = create()
        guard result < 0 && errno == EEXIST else { return result }
        try replaceExisting(base, in: parent, with: kind)
        return create()
    }

    private func createRegular(_ header: TarEntryHeader, parent: Int32, base: String, data: inout EntryData) throws {
        var fd: Int32 = -1
        var placeholder = stat()
        if options.rewriteFilesInPlace {
            fd = openat(parent, base, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)  // fails on a symlink, EISDIR on a directory
            if fd >= 0 && (fstat(fd, &placeholder) != 0 || placeholder.st_mode & S_IFMT != S_IFREG
                || ftruncate(fd, off_t(header.size)) != 0) {
                close(fd)
                fd = -1
            }
            if fd >= 0 {
                // The placeholder already has the entry's metadata, with the nanoseconds the tar lacks.
                defer { close(fd) }
                try data.copy(to: fd)
                _ = fchmod(fd, placeholder.st_mode & 0o7777)
                var times = [placeholder.st_atim, placeholder.st_mtim]
                _ = futimens(fd, &times)
                return
            }
        }
        if fd < 0 {
            fd = try creating(base, in: parent, kind: .regular) {
                openat(parent, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            }
        }
        guard fd >= 0 else { throw ArchiveError.systemCall("open \(header.name)", errno: errno) }
        defer { close(fd) }
        try data.copy(to: fd)
        try applyMetadata(header, fd: fd)
        try Self.setTimes(header, fd: fd)
    }

    /// Returns false when `rewriteFilesInPlace` keeps an existing directory as it is.
    @discardableResult
    private func createDirectory(_ header: TarEntryHeader, parent: Int32, base: String) throws -> Bool {
        var existing = stat()
        if options.rewriteFilesInPlace && fstatat(parent, base, &existing, AT_SYMLINK_NOFOLLOW) == 0
            && existing.st_mode & S_IFMT == S_IFDIR {
            return false
        }
        if try creating(base, in: parent, kind: .directory, { mkdirat(parent, base, 0o700) }) != 0 && errno != EEXIST {
            throw ArchiveError.systemCall("mkdir \(header.name)", errno: errno)
        }
        let fd = openat(parent, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw ArchiveError.systemCall("open \(header.name)", errno: errno) }
        defer { close(fd) }
        try applyMetadata(header, fd: fd)
        return true
    }

    private func createSymlink(_ header: TarEntryHeader, parent: Int32, base: String) throws {
        guard try creating(base, in: parent, kind: .symbolicLink, { symlinkat(header.linkName, parent, base) }) == 0 else {
            throw ArchiveError.systemCall("symlink \(header.linkName) \(header.name)", errno: errno)
        }
        try applyMetadata(header, parent: parent, base: base, changeMode: false)
        try Self.setTimes(header, parent: parent, base: base)
    }

    private func createHardLink(_ header: TarEntryHeader, parent: Int32, base: String) throws {
        let target = LayerApplyPath(cleaning: header.linkName)
        guard !target.isRoot else { throw ArchiveError.systemCall("link \(header.linkName) \(header.name)", errno: EPERM) }
        let targetParent = try resolver.directory(target.parent, create: false)
        defer { close(targetParent) }
        guard linkat(targetParent, target.base, parent, base, 0) == 0 else {
            throw ArchiveError.systemCall("link \(header.linkName) \(header.name)", errno: errno)
        }
        // docker leaves the mode and times of a link to a symlink alone (there is no lchmod).
        var info = stat()
        let isSymlink = fstatat(parent, base, &info, AT_SYMLINK_NOFOLLOW) == 0 && info.st_mode & S_IFMT == S_IFLNK
        try applyMetadata(header, parent: parent, base: base, changeMode: !isSymlink)
        if !isSymlink { try Self.setTimes(header, parent: parent, base: base) }
    }

    private func createNode(_ header: TarEntryHeader, parent: Int32, base: String) throws {
        let type: mode_t
        switch header.kind {
        case .characterDevice: type = S_IFCHR
        case .blockDevice: type = S_IFBLK
        default: type = S_IFIFO
        }
        let device = Self.deviceNumber(major: header.deviceMajor, minor: header.deviceMinor)
        guard mknodat(parent, base, type | 0o600, type == S_IFIFO ? 0 : device) == 0 else {
            // Unprivileged (or in a user namespace) devices cannot be made; docker skips them there.
            if errno == EPERM && type != S_IFIFO && geteuid() != 0 { return }
            throw ArchiveError.systemCall("mknod \(header.name)", errno: errno)
        }
        try applyMetadata(header, parent: parent, base: base, changeMode: true)
        try Self.setTimes(header, parent: parent, base: base)
    }

    /// Linux's encoding of major/minor into dev_t (glibc's makedev, which Swift cannot import).
    static func deviceNumber(major: UInt32, minor: UInt32) -> dev_t {
        let major = UInt64(major)
        let minor = UInt64(minor)
        let encoded = ((major & 0xffff_f000) << 32) | ((major & 0xfff) << 8) | ((minor & 0xffff_ff00) << 12) | (minor & 0xff)
        return dev_t(encoded)
    }

    // MARK: Metadata

    /// Owner, xattrs, then mode (in docker's order: chown clears setuid bits and file capabilities).
    private func applyMetadata(_ header: TarEntryHeader, fd: Int32) throws {
        if options.preserveOwnership {
            guard fchown(fd, uid_t(truncatingIfNeeded: header.uid), gid_t(truncatingIfNeeded: header.gid)) == 0 else {
                throw ArchiveError.systemCall("chown \(header.name)", errno: errno)
            }
        }
        if options.applyXattrs {
            for (name, value) in header.xattrs.sorted(by: { $0.key < $1.key }) {
                let status = value.withUnsafeBytes { fsetxattr(fd, name, $0.baseAddress, $0.count, 0) }
                if status != 0 { try Self.checkXattrError(errno, name: name, entry: header.name) }
            }
        }
        guard fchmod(fd, mode_t(header.mode & 0o7777)) == 0 else {
            throw ArchiveError.systemCall("chmod \(header.name)", errno: errno)
        }
    }

    /// The same for entries that cannot be opened (symlinks, devices, fifos, hard links).
    private func applyMetadata(_ header: TarEntryHeader, parent: Int32, base: String, changeMode: Bool) throws {
        if options.preserveOwnership {
            let status = fchownat(parent, base, uid_t(truncatingIfNeeded: header.uid), gid_t(truncatingIfNeeded: header.gid),
                                  AT_SYMLINK_NOFOLLOW)
            guard status == 0 else { throw ArchiveError.systemCall("lchown \(header.name)", errno: errno) }
        }
        if options.applyXattrs && !header.xattrs.isEmpty {
            // The parent is already resolved; /proc/self/fd names it without another path walk.
            let path = "/proc/self/fd/\(parent)/\(base)"
            for (name, value) in header.xattrs.sorted(by: { $0.key < $1.key }) {
                let status = value.withUnsafeBytes { lsetxattr(path, name, $0.baseAddress, $0.count, 0) }
                if status != 0 { try Self.checkXattrError(errno, name: name, entry: header.name) }
            }
        }
        if changeMode {
            // Not a symlink here, so following the final component is harmless.
            guard fchmodat(parent, base, mode_t(header.mode & 0o7777), 0) == 0 else {
                throw ArchiveError.systemCall("chmod \(header.name)", errno: errno)
            }
        }
    }

    private static func checkXattrError(_ code: Int32, name: String, entry: String) throws {
        // Filesystems without xattrs, unprivileged namespaces (trusted.*, security.*): skipped like docker.
        if code == EPERM || code == ENOTSUP || code == EOPNOTSUPP || code == EACCES { return }
        throw ArchiveError.systemCall("lsetxattr \(name) \(entry)", errno: code)
    }

    private static func times(_ header: TarEntryHeader) -> [timespec] {
        let time = timespec(tv_sec: Int(truncatingIfNeeded: header.modificationTime), tv_nsec: 0)
        return [time, time]  // atime is never before mtime in docker's unpack
    }

    private static func setTimes(_ header: TarEntryHeader, fd: Int32) throws {
        guard futimens(fd, times(header)) == 0 else { throw ArchiveError.systemCall("utimes \(header.name)", errno: errno) }
    }

    private static func setTimes(_ header: TarEntryHeader, parent: Int32, base: String) throws {
        guard utimensat(parent, base, times(header), AT_SYMLINK_NOFOLLOW) == 0 else {
            throw ArchiveError.systemCall("utimes \(header.name)", errno: errno)
        }
    }

    /// Directory mtimes last, since creating their contents changed them; a directory removed or
    /// replaced later in the layer is skipped.
    private func applyDirectoryTimes() throws {
        for (path, seconds) in directoryTimes {
            let header = TarEntryHeader(name: path.joined, kind: .directory, modificationTime: seconds)
            if path.isRoot {
                try Self.setTimes(header, fd: rootFD)
                continue
            }
            let parent: Int32
            do { parent = try resolver.directory(path.parent, create: false) } catch { continue }
            defer { close(parent) }
            var info = stat()
            guard fstatat(parent, path.base, &info, AT_SYMLINK_NOFOLLOW) == 0, info.st_mode & S_IFMT == S_IFDIR else { continue }
            try Self.setTimes(header, parent: parent, base: path.base)
        }
    }
}

/// Receives the header the validator parsed from the block just fed to it.
private final class HeaderMailbox {
    var header: TarEntryHeader?

    func take() -> TarEntryHeader? {
        defer { header = nil }
        return header
    }
}

/// The data section of the entry being applied; every byte read is also fed to the validator so it
/// keeps its place in the stream.
struct EntryData {
    let reader: LayerApplyReader
    let validator: TarStreamValidator
    private(set) var remaining: Int64
    let name: String

    init(reader: LayerApplyReader, validator: TarStreamValidator, remaining: Int64, name: String) {
        self.reader = reader
        self.validator = validator
        self.remaining = remaining
        self.name = name
    }

    /// Writes all remaining data to `fd`.
    mutating func copy(to fd: Int32) throws {
        while remaining > 0 {
            let span = try nextSpan(Int(min(remaining, Int64(Int.max))))
            try FileDescriptorIO.writeAll(fd, span)
        }
    }

    /// Consumes `count` bytes without using them (unused data and padding).
    mutating func skip(_ count: Int64) throws {
        var left = count
        while left > 0 {
            let span = try reader.next(upTo: Int(min(left, Int64(Int.max))))
            guard !span.isEmpty else { throw ArchiveError.unexpectedEOF(entry: left > remaining ? nil : name) }
            try validator.consume(span)
            left -= Int64(span.count)
            remaining = max(0, remaining - Int64(span.count))
        }
    }

    private mutating func nextSpan(_ limit: Int) throws -> UnsafeRawBufferPointer {
        let span = try reader.next(upTo: limit)
        guard !span.isEmpty else { throw ArchiveError.unexpectedEOF(entry: name) }
        try validator.consume(span)
        remaining -= Int64(span.count)
        return span
    }
}
