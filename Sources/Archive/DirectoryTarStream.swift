#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
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

        public init(includeXattrs: Bool = true) {
            self.includeXattrs = includeXattrs
        }
    }

    /// Writes the tar of `directory` into `writer` and finishes it.
    public static func write(directory: String, to writer: TarWriter, options: Options = Options()) throws {
        var walker = try DirectoryWalker(root: directory, writer: writer, options: options)
        try walker.run()
        try writer.finish()
    }

    /// Writes the tar of `directory` to a descriptor (not closed).
    public static func write(directory: String, toFileDescriptor fd: Int32, options: Options = Options()) throws {
        try write(directory: directory, to: TarWriter(fileDescriptor: fd), options: options)
    }

    /// Starts a thread writing the tar into a pipe and returns the pipe's read end, so a consumer
    /// (e.g. `LayerIngest.ingest`) can stream it without a temporary file.
    public static func openPipe(directory: String, options: Options = Options()) throws -> DirectoryTarPipe {
        try DirectoryTarPipe(directory: directory, options: options)
    }
}

/// A directory being written as a tar into a pipe by a background thread.
///
/// Read `fileDescriptor` to its end, close it, then call `waitForWriter()`, which reports the
/// writer's own error (a failed walk shows up to the reader as a truncated tar first).
public final class DirectoryTarPipe: @unchecked Sendable {
    /// The pipe's read end; the caller owns and closes it.
    public let fileDescriptor: Int32
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var writerError: Error?
    private var waited = false

    init(directory: String, options: DirectoryTarStream.Options) throws {
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
                try DirectoryTarStream.write(directory: directory, toFileDescriptor: writeEnd, options: options)
            } catch {
                failure = error
            }
            close(writeEnd)
            lock.withLock { writerError = failure }
            done.signal()
        }
        thread.name = "strata.directory-tar"
        thread.start()
    }

    /// Blocks until the writer thread ends; rethrows its error.
    public func waitForWriter() throws {
        let shouldWait = lock.withLock {
            defer { waited = true }
            return !waited
        }
        if shouldWait { done.wait() }
        if let error = lock.withLock({ writerError }) { throw error }
    }
}

/// The recursive walk behind `DirectoryTarStream`, using *at() calls relative to open directory
/// descriptors so nothing is resolved through a symlink.
struct DirectoryWalker {
    private let root: String
    private let writer: TarWriter
    private let options: DirectoryTarStream.Options
    private var firstPathByInode: [FileIdentity: String] = [:]
    private let copyBuffer: UnsafeMutableRawBufferPointer

    private struct FileIdentity: Hashable {
        let device: UInt64
        let inode: UInt64
    }

    init(root: String, writer: TarWriter, options: DirectoryTarStream.Options) throws {
        self.root = root
        self.writer = writer
        self.options = options
        copyBuffer = .allocate(byteCount: 1 << 20, alignment: 64)
    }

    mutating func run() throws {
        defer { copyBuffer.deallocate() }
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ArchiveError.systemCall("open \(root)", errno: errno) }
        try walk(directoryFD: fd, relativePrefix: "")
    }

    /// Emits the children of an open directory (and recurses); closes `directoryFD`.
    private mutating func walk(directoryFD: Int32, relativePrefix: String) throws {
        guard let handle = fdopendir(directoryFD) else {
            close(directoryFD)
            throw ArchiveError.systemCall("fdopendir", errno: errno)
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
        for nameBytes in names {
            let name = String(decoding: nameBytes, as: UTF8.self)
            try emit(name: name, in: directoryFD, relativePath: relativePrefix + name)
        }
    }

    private mutating func emit(name: String, in directoryFD: Int32, relativePath: String) throws {
        var info = stat()
        guard fstatat(directoryFD, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw ArchiveError.systemCall("lstat \(relativePath)", errno: errno)
        }
        let fileType = info.st_mode & S_IFMT
        var header = TarEntryHeader(
            name: relativePath, kind: .regular, mode: UInt32(info.st_mode & 0o7777),
            uid: Int(info.st_uid), gid: Int(info.st_gid), modificationTime: Int64(info.st_mtim.tv_sec))
        if options.includeXattrs { header.xattrs = try Self.xattrs(path: root + "/" + relativePath) }
        switch fileType {
        case S_IFDIR:
            header.kind = .directory
            header.name += "/"
            try writer.writeHeader(header)
            let child = openat(directoryFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard child >= 0 else { throw ArchiveError.systemCall("open \(relativePath)", errno: errno) }
            try walk(directoryFD: child, relativePrefix: header.name)
            return
        case S_IFLNK:
            header.kind = .symbolicLink
            header.linkName = try Self.readLink(directoryFD, name, relativePath)
        case S_IFCHR, S_IFBLK:
            header.kind = fileType == S_IFCHR ? .characterDevice : .blockDevice
            let device = UInt64(info.st_rdev)
            header.deviceMajor = UInt32(truncatingIfNeeded: ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff))
            header.deviceMinor = UInt32(truncatingIfNeeded: (device & 0xff) | ((device >> 12) & ~0xff))
        case S_IFIFO:
            header.kind = .fifo
        case S_IFREG:
            break
        default:
            return  // sockets and unknown types cannot be archived
        }
        if fileType != S_IFDIR && info.st_nlink > 1 {
            let identity = FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
            if let first = firstPathByInode[identity] {
                header.kind = .hardLink
                header.linkName = first
                header.size = 0
                try writer.writeHeader(header)
                return
            }
            firstPathByInode[identity] = relativePath
        }
        guard fileType == S_IFREG else {
            try writer.writeHeader(header)
            return
        }
        header.size = Int64(info.st_size)
        try writer.writeHeader(header)
        try copyFile(directoryFD, name, relativePath, size: header.size)
    }

    private func copyFile(_ directoryFD: Int32, _ name: String, _ relativePath: String, size: Int64) throws {
        let fd = openat(directoryFD, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw ArchiveError.systemCall("open \(relativePath)", errno: errno) }
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

    private static func readLink(_ directoryFD: Int32, _ name: String, _ relativePath: String) throws -> String {
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
