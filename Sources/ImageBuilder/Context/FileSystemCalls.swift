#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Archive
import Foundation

/// A failed system call, worded like Go's `*PathError` ("open /x: no such file or directory").
public struct FileSystemError: Error, Sendable, Equatable, CustomStringConvertible {
    public let operation: String
    public let path: String
    public let code: Int32

    public init(_ operation: String, _ path: String, code: Int32) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    public var description: String { "\(operation) \(path): \(String(cString: strerror(code)).lowercased())" }
}

/// The kinds of entries a context or rootfs holds.
public enum FileKind: UInt8, Sendable, Equatable {
    case regular, directory, symlink, other
}

/// The lstat fields the builder needs (hashing, stat cache, copying).
public struct FileStatus: Sendable, Equatable {
    public var kind: FileKind
    public var mode: UInt32
    public var size: Int64
    public var uid: UInt32
    public var gid: UInt32
    public var device: UInt64
    public var inode: UInt64
    public var linkCount: UInt64
    public var modificationSeconds: Int64
    public var modificationNanoseconds: Int64
    public var accessSeconds: Int64
    public var accessNanoseconds: Int64
    public var rawMode: UInt32

    init(_ info: stat) {
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        default: kind = .other
        }
        rawMode = UInt32(info.st_mode)
        mode = UInt32(info.st_mode) & 0o7777
        size = Int64(info.st_size)
        uid = info.st_uid
        gid = info.st_gid
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        linkCount = UInt64(info.st_nlink)
        modificationSeconds = Int64(info.st_mtim.tv_sec)
        modificationNanoseconds = Int64(info.st_mtim.tv_nsec)
        accessSeconds = Int64(info.st_atim.tv_sec)
        accessNanoseconds = Int64(info.st_atim.tv_nsec)
    }

    /// mtime in nanoseconds since the epoch (stat-cache key).
    public var modificationTime: Int64 { modificationSeconds &* 1_000_000_000 &+ modificationNanoseconds }
}

enum FileSystemCalls {
    static func lstatAt(_ dirFD: Int32, _ name: String) -> FileStatus? {
        var info = stat()
        guard fstatat(dirFD, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        return FileStatus(info)
    }

    static func lstatPath(_ path: String) -> FileStatus? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return FileStatus(info)
    }

    static func fstatFD(_ fd: Int32) -> FileStatus? {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        return FileStatus(info)
    }

    static func readLink(_ dirFD: Int32, _ name: String, display: String) throws -> String {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = buffer.withUnsafeMutableBytes { readlinkat(dirFD, name, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) }
        guard count >= 0 else { throw FileSystemError("readlink", display, code: errno) }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    /// The names in a directory (no "." or ".."), bytewise sorted so walks are deterministic.
    static func directoryNames(_ dirFD: Int32, display: String) throws -> [String] {
        let copy = openat(dirFD, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard copy >= 0, let dir = fdopendir(copy) else {
            let code = errno
            throw FileSystemError("open", display, code: code)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            names.append(name)
        }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    static func openDirectory(_ path: String) throws -> Int32 {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError("open", path, code: errno) }
        return fd
    }

    /// Opens `name` in `dirFD` as a directory without following a final symlink (-1 with errno otherwise).
    static func openChildDirectory(_ dirFD: Int32, _ name: String) -> Int32 {
        openat(dirFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
    }

    static func readWholeFile(_ path: String, limit: Int = 16 << 20) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return readAll(fd, limit: limit)
    }

    static func readAll(_ fd: Int32, limit: Int) -> [UInt8]? {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while result.count < limit {
            guard let n = buffer.withUnsafeMutableBytes({ try? FileDescriptorIO.readSome(fd, into: $0) }) else { return nil }
            if n == 0 { break }
            result.append(contentsOf: buffer[..<n])
        }
        return result
    }

    /// read(2) with BuildKit's wording of a failure.
    static func readSome(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, display: String) throws -> Int {
        do { return try FileDescriptorIO.readSome(fd, into: buffer) } catch ArchiveError.systemCall(_, let code) {
            throw FileSystemError("read", display, code: code)
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, display: String) throws {
        do { try FileDescriptorIO.writeAll(fd, bytes) } catch ArchiveError.systemCall(_, let code) {
            throw FileSystemError("write", display, code: code)
        }
    }
}
