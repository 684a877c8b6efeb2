#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization
#if os(Linux)
import CXattr
#endif

/// Writes a deterministic tar of a directory's contents: entries in bytewise-sorted depth-first
/// order, names relative to the directory ("etc/", "etc/passwd"), symlinks never followed, hard
/// links detected by inode, xattrs as PAX `SCHILY.xattr.*`, mtimes truncated to seconds.
/// Sockets are skipped (tar cannot hold them); the directory itself has no entry.
public enum DirectoryTarStream {
    /// What to carry from the filesystem into the tar.
    public struct Options: Sendable, Equatable {
        /// Copy extended attributes (all namespaces readable by the caller).
        public var includeXattrs: Bool
        /// Regular files whose bytes are read from another file: entry name (as in the tar, no leading
        /// "/") → absolute source path. A build's COPY leaves size-only placeholders in the tree and
        /// names the context files here, so the layer is written without copying the data twice.
        public var contentSources: [String: String]
        /// Clamp entries' modification times to this (see `TarWriter.modificationTimeLimit`).
        public var modificationTimeLimit: Int64?

        public init(includeXattrs: Bool = true, contentSources: [String: String] = [:], modificationTimeLimit: Int64? = nil) {
            self.includeXattrs = includeXattrs
            self.contentSources = contentSources
            self.modificationTimeLimit = modificationTimeLimit
        }
    }

    /// Writes the tar of `directory` into `writer` and finishes it.
    public static func write(directory: String, to writer: TarWriter, options: Options = Options()) throws {
        try append(directory: directory, to: writer, options: options)
        try writer.finish()
    }

    /// Writes the entries of `directory` into `writer` without ending the archive, so that one tar can hold
    /// several trees (hard links are tracked within each).
    public static func append(directory: String, to writer: TarWriter, options: Options = Options()) throws {
        writer.modificationTimeLimit = options.modificationTimeLimit
        try DirectoryWalker(root: directory, writer: writer, options: options).run()
    }

    /// Writes the tar of `directory` to a descriptor (not closed).
    public static func write(directory: String, toFileDescriptor fd: Int32, options: Options = Options()) throws {
        try write(directory: directory, to: TarWriter(fileDescriptor: fd), options: options)
    }

    /// Starts a thread writing the tar into a pipe and returns the pipe's read end, so a consumer
    /// (e.g. `LayerIngest.ingest`) can stream it without a temporary file.
    public static func openPipe(directory: String, options: Options = Options()) throws -> DirectoryTarPipe {
        try DirectoryTarPipe { try write(directory: directory, to: $0, options: options) }
    }
}

/// A tar (a directory, a layer diff) being written into a pipe by a background thread.
///
/// Read `fileDescriptor` to its end, close it, then call `waitForWriter()`, which reports the
/// writer's own error (a failed walk shows up to the reader as a truncated tar first).
public final class DirectoryTarPipe: Sendable {
    /// The pipe's read end; the caller owns and closes it.
    public let fileDescriptor: Int32
    /// Signalled when the writer thread ends. `waitForWriter()` is synchronous and must block until then, and
    /// a Foundation Thread cannot be joined, so a semaphore stays here.
    private let done = DispatchSemaphore(value: 0)
    private let writer = Mutex(WriterState())

    private struct WriterState {
        var error: (any Error)?
        /// Someone already waited for `done`, which is signalled only once.
        var waited = false
    }

    /// Runs `produce` on a new thread with a writer on the pipe's write end; `produce` must finish the tar.
    init(produce: @escaping @Sendable (TarWriter) throws -> Void) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ArchiveError.systemCall("pipe", errno: errno) }
        fileDescriptor = fds[0]
        let writeEnd = fds[1]
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        #if os(Linux)
        _ = fcntl(writeEnd, 1031 /* F_SETPIPE_SZ */, 1 << 20)  // fewer context switches; best effort
        #endif
        let thread = Thread { [self] in
            // A reader that stops early must surface as EPIPE here, not kill the process.
            var signals = sigset_t()
            sigemptyset(&signals)
            sigaddset(&signals, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &signals, nil)
            var failure: Error?
            do {
                try produce(TarWriter(fileDescriptor: writeEnd))
            } catch {
                failure = error
            }
            close(writeEnd)
            writer.withLock { $0.error = failure }
            done.signal()
        }
        thread.name = "strata.directory-tar"
        thread.start()
    }

    /// Blocks until the writer thread ends; rethrows its error.
    public func waitForWriter() throws {
        let shouldWait = writer.withLock { state in
            defer { state.waited = true }
            return !state.waited
        }
        if shouldWait { done.wait() }
        if let error = writer.withLock({ $0.error }) { throw error }
    }
}

/// The recursive walk behind `DirectoryTarStream`, using *at() calls relative to open directory
/// descriptors so nothing is resolved through a symlink. Its pieces (`sortedNames`, `header`,
/// `write`) are shared with `LayerDiff` and `OverlayUpper`, which walk differently but must emit
/// identical entries; hard links are tracked across everything one walker writes.
final class DirectoryWalker {
    let root: String
    let writer: TarWriter
    let options: DirectoryTarStream.Options
    private var firstPathByInode: [FileIdentity: String] = [:]
    private let copyBuffer: UnsafeMutableRawBufferPointer

    private struct FileIdentity: Hashable {
        let device: UInt64
        let inode: UInt64
    }

    private let readahead: SourceReadahead?

    init(root: String, writer: TarWriter, options: DirectoryTarStream.Options) throws {
        self.root = root
        self.writer = writer
        self.options = options
        copyBuffer = .allocate(byteCount: 1 << 20, alignment: 64)
        let sources = options.contentSources
        readahead = sources.isEmpty ? nil
            : SourceReadahead(paths: SourceReadahead.walkOrder(sources.keys).compactMap { sources[$0] })
    }

    deinit {
        readahead?.stop()
        copyBuffer.deallocate()
    }

    func run() throws {
        try walk(directoryFD: Self.openDirectory(root), relativePrefix: "")
    }

    /// Emits the children of an open directory (and recurses); closes `directoryFD`.
    func walk(directoryFD: Int32, relativePrefix: String) throws {
        defer { close(directoryFD) }
        for nameBytes in try Self.sortedNames(directoryFD) {
            let name = String(decoding: nameBytes, as: UTF8.self)
            let relativePath = relativePrefix + name
            let info = try Self.lstat(directoryFD, name, relativePath)
            guard let header = try header(for: info, name: name, in: directoryFD, relativePath: relativePath) else {
                continue
            }
            try write(header, info: info, name: name, in: directoryFD)
            if header.kind == .directory {
                try walk(directoryFD: Self.openDirectory(directoryFD, name, relativePath), relativePrefix: header.name)
            }
        }
    }

    static func openDirectory(_ path: String) throws -> Int32 {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ArchiveError.systemCall("open \(path)", errno: errno) }
        return fd
    }

    static func openDirectory(_ directoryFD: Int32, _ name: String, _ relativePath: String) throws -> Int32 {
        let fd = openat(directoryFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw ArchiveError.systemCall("open \(relativePath)", errno: errno) }
        return fd
    }

    /// The names in an open directory (not "." or ".."), bytewise sorted; `directoryFD` stays open.
    static func sortedNames(_ directoryFD: Int32) throws -> [[UInt8]] {
        // A fresh descriptor: readdir's position must not be shared with the caller's.
        let listFD = openat(directoryFD, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard listFD >= 0, let handle = fdopendir(listFD) else {
            let code = errno
            if listFD >= 0 { close(listFD) }
            throw ArchiveError.systemCall("opendir", errno: code)
        }
        defer { closedir(handle) }
        var names: [[UInt8]] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 })
            }
            if name == [UInt8(ascii: ".")] || name == [UInt8(ascii: "."), UInt8(ascii: ".")] { continue }
            names.append(name)
        }
        names.sort { $0.lexicographicallyPrecedes($1) }
        return names
    }

    static func lstat(_ directoryFD: Int32, _ name: String, _ relativePath: String) throws -> stat {
        var info = stat()
        guard fstatat(directoryFD, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw ArchiveError.systemCall("lstat \(relativePath)", errno: errno)
        }
        return info
    }

    /// The tar header for one filesystem object (directories get a trailing "/"), or nil for a
    /// socket or unknown type, which tar cannot hold. Hard links are resolved later, in `write`.
    func header(for info: stat, name: String, in directoryFD: Int32, relativePath: String) throws -> TarEntryHeader? {
        let fileType = info.st_mode & S_IFMT
        var header = TarEntryHeader(
            name: relativePath, kind: .regular, mode: UInt32(info.st_mode & 0o7777),
            uid: Int(info.st_uid), gid: Int(info.st_gid), modificationTime: Int64(info.st_mtim.tv_sec))
        switch fileType {
        case S_IFDIR:
            header.kind = .directory
            header.name += "/"
        case S_IFLNK:
            header.kind = .symbolicLink
            header.linkName = try Self.readLink(directoryFD, name, relativePath)
        case S_IFCHR, S_IFBLK:
            header.kind = fileType == S_IFCHR ? .characterDevice : .blockDevice
            (header.deviceMajor, header.deviceMinor) = Self.deviceNumbers(info)
        case S_IFIFO:
            header.kind = .fifo
        case S_IFREG:
            header.size = Int64(info.st_size)
        default:
            return nil
        }
        if options.includeXattrs { header.xattrs = try Self.xattrs(path: root + "/" + relativePath) }
        return header
    }

    /// Writes an entry built by `header` (possibly edited): a later path of an already written
    /// inode becomes a hard link to the first; a regular file's data is copied from the tree.
    func write(_ header: TarEntryHeader, info: stat, name: String, in directoryFD: Int32) throws {
        var header = header
        if header.kind != .directory && info.st_nlink > 1 {
            let identity = FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
            if let first = firstPathByInode[identity] {
                header.kind = .hardLink
                header.linkName = first
                header.size = 0
                try writer.writeHeader(header)
                return
            }
            firstPathByInode[identity] = header.name
        }
        try writer.writeHeader(header)
        if header.kind == .regular && header.size > 0 {
            try copyFile(directoryFD, name, header.name, size: header.size)
        }
    }

    static func deviceNumbers(_ info: stat) -> (major: UInt32, minor: UInt32) {
        let device = UInt64(info.st_rdev)
        return (UInt32(truncatingIfNeeded: ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff)),
                UInt32(truncatingIfNeeded: (device & 0xff) | ((device >> 12) & ~0xff)))
    }

    private func copyFile(_ directoryFD: Int32, _ name: String, _ relativePath: String, size: Int64) throws {
        let fd: Int32
        if let source = options.contentSources[relativePath] {
            readahead?.consume(size)
            fd = open(source, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { throw ArchiveError.systemCall("open \(source)", errno: errno) }
            var info = stat()
            guard fstat(fd, &info) == 0, Int64(info.st_size) == size else {
                close(fd)
                throw ArchiveError.invalidArgument("\(source): file changed size while being archived")
            }
        } else {
            fd = openat(directoryFD, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { throw ArchiveError.systemCall("open \(relativePath)", errno: errno) }
        }
        defer { close(fd) }
        var left = size
        while left > 0 {
            let want = Int(min(Int64(copyBuffer.count), left))
            let got = try FileDescriptorIO.readSome(fd, into: UnsafeMutableRawBufferPointer(rebasing: copyBuffer[0..<want]))
            guard got > 0 else {
                throw ArchiveError.invalidArgument("\(relativePath): file shrank while being archived")
            }
            try writer.writeData(UnsafeRawBufferPointer(rebasing: copyBuffer[0..<got]))
            left -= Int64(got)
        }
    }

    /// A symlink's target, read relative to an open directory (shared by the walker and layer apply).
    static func readLink(_ directoryFD: Int32, _ name: String, _ relativePath: String) throws -> String {
        var capacity = 4096
        while true {
            var target = [UInt8](repeating: 0, count: capacity)
            let count = target.withUnsafeMutableBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: capacity) {
                    readlinkat(directoryFD, name, $0, capacity)
                }
            }
            guard count >= 0 else { throw ArchiveError.systemCall("readlink \(relativePath)", errno: errno) }
            if count < capacity { return String(decoding: target[0..<count], as: UTF8.self) }
            capacity *= 4
        }
    }

    /// All extended attributes of a path (not following symlinks); unsupported filesystems give none.
    static func xattrs(path: String) throws -> [String: [UInt8]] {
        #if os(Linux)
        let listSize = llistxattr(path, nil, 0)
        if listSize <= 0 { return [:] }
        var list = [CChar](repeating: 0, count: listSize)
        let listed = llistxattr(path, &list, listSize)
        if listed <= 0 { return [:] }
        var result: [String: [UInt8]] = [:]
        let bytes = list[0..<listed].map { UInt8(bitPattern: $0) }
        for nameBytes in bytes.split(separator: 0) {
            let name = String(decoding: nameBytes, as: UTF8.self)
            let valueSize = lgetxattr(path, name, nil, 0)
            if valueSize < 0 { continue }
            var value = [UInt8](repeating: 0, count: valueSize)
            let got = lgetxattr(path, name, &value, valueSize)
            if got < 0 { continue }
            result[name] = Array(value[0..<got])
        }
        return result
        #else
        return [:]
        #endif
    }
}
