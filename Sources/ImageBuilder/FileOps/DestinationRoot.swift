#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dockerfile
import GoText
import OCI

/// A rootfs COPY writes into. Paths are resolved one component at a time with O_NOFOLLOW, symlinks
/// followed by hand as if the root were "/" (absolute targets restart at the root, ".." stops there),
/// which is what a chroot gives docker: no symlink in the image can send a write outside the root.
final class DestinationRoot {
    let path: String
    let rootFD: Int32
    static let maxSymlinkHops = 255

    init(path: String) throws {
        var root = path
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        self.path = root
        rootFD = try FileSystemCalls.openDirectory(root)
    }

    deinit { close(rootFD) }

    /// How a missing directory is created: docker's MkdirAll with mode 0755 and the COPY's owner.
    struct Creation {
        var uid: UInt32
        var gid: UInt32
    }

    /// A real directory reached from the root, with its symlink-free path (for messages and links).
    struct OpenDirectory {
        let fd: Int32
        let components: [String]
    }

    func hostPath(_ components: [String]) -> String {
        components.isEmpty ? path : path + "/" + components.joined(separator: "/")
    }

    /// Opens the directory at `containerPath` (absolute inside the root), creating missing ones when asked.
    /// The caller closes the descriptor.
    func openDirectory(_ containerPath: String, create: Creation?) throws -> OpenDirectory {
        var stack: [(fd: Int32, name: String)] = []
        func currentFD() -> Int32 { stack.last?.fd ?? rootFD }
        var pending = Array(containerPath.split(separator: "/").map(String.init).reversed())
        var hops = 0
        do {
            while let name = pending.popLast() {
                if name.isEmpty || name == "." { continue }
                if name == ".." {
                    if let top = stack.popLast() { close(top.fd) }
                    continue
                }
                let parent = currentFD()
                var fd = FileSystemCalls.openChildDirectory(parent, name)
                if fd < 0 && errno == ENOENT, let create {
                    if mkdirat(parent, name, 0o755) != 0 && errno != EEXIST {
                        throw FileSystemError("mkdir", hostPath(stack.map(\.name) + [name]), code: errno)
                    }
                    _ = fchmodat(parent, name, 0o755, 0)
                    _ = fchownat(parent, name, create.uid, create.gid, AT_SYMLINK_NOFOLLOW)
                    fd = FileSystemCalls.openChildDirectory(parent, name)
                }
                if fd >= 0 { stack.append((fd, name)); continue }
                let code = errno
                guard let status = FileSystemCalls.lstatAt(parent, name) else {
                    throw FileSystemError(create == nil ? "stat" : "mkdir", hostPath(stack.map(\.name) + [name]), code: code)
                }
                guard status.kind == .symlink else {
                    throw FileSystemError("mkdir", hostPath(stack.map(\.name) + [name]), code: ENOTDIR)
                }
                hops += 1
                guard hops <= Self.maxSymlinkHops else {
                    throw FileSystemError("mkdir", hostPath(stack.map(\.name) + [name]), code: ELOOP)
                }
                let target = try FileSystemCalls.readLink(parent, name, display: hostPath(stack.map(\.name) + [name]))
                if target.hasPrefix("/") { while let top = stack.popLast() { close(top.fd) } }
                pending.append(contentsOf: target.split(separator: "/").map(String.init).reversed())
            }
        } catch {
            for entry in stack { close(entry.fd) }
            throw error
        }
        let result = fcntl(currentFD(), F_DUPFD_CLOEXEC, 0)
        for entry in stack { close(entry.fd) }
        guard result >= 0 else { throw FileSystemError("dup", containerPath, code: errno) }
        return OpenDirectory(fd: result, components: stack.map(\.name))
    }

    /// What `containerPath` is when followed through symlinks inside the root (nil: missing).
    func statFollowing(_ containerPath: String) -> FileStatus? {
        let (parentPath, name) = Self.split(containerPath)
        guard let parent = try? openDirectory(parentPath, create: nil) else { return nil }
        defer { close(parent.fd) }
        if name.isEmpty { return FileSystemCalls.fstatFD(parent.fd) }
        guard let status = FileSystemCalls.lstatAt(parent.fd, name) else { return nil }
        guard status.kind == .symlink else { return status }
        guard let directory = try? openDirectory(containerPath, create: nil) else {
            // A symlink to a file (or a dangling one): what it points at, followed inside the root.
            guard let target = try? FileSystemCalls.readLink(parent.fd, name, display: name) else { return nil }
            let next = target.hasPrefix("/") ? target : parentPath + "/" + target
            return next == containerPath ? nil : statFollowingFile(next, hops: 1)
        }
        defer { close(directory.fd) }
        return FileSystemCalls.fstatFD(directory.fd)
    }

    private func statFollowingFile(_ containerPath: String, hops: Int) -> FileStatus? {
        guard hops < Self.maxSymlinkHops else { return nil }
        let (parentPath, name) = Self.split(containerPath)
        guard let parent = try? openDirectory(parentPath, create: nil) else { return nil }
        defer { close(parent.fd) }
        guard let status = FileSystemCalls.lstatAt(parent.fd, name) else { return nil }
        guard status.kind == .symlink, let target = try? FileSystemCalls.readLink(parent.fd, name, display: name) else { return status }
        return statFollowingFile(target.hasPrefix("/") ? target : parentPath + "/" + target, hops: hops + 1)
    }

    /// Splits an absolute container path into its (lexically cleaned) parent and last name.
    static func split(_ containerPath: String) -> (String, String) {
        let cleaned = GoPath.clean("/" + containerPath)
        guard cleaned != "/" else { return ("/", "") }
        let slash = cleaned.lastIndex(of: "/")!
        let parent = String(cleaned[..<slash])
        return (parent.isEmpty ? "/" : parent, String(cleaned[cleaned.index(after: slash)...]))
    }
}

