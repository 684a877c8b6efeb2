#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The uid/gid a `--chown=user[:group]` gives copied files, read as BuildKit 20.10 does: numbers are
/// taken as they are (a lone numeric user also becomes the group), names are looked up in the
/// destination rootfs's /etc/passwd and /etc/group, a name without a group takes the user's primary
/// group, an unknown user name counts as 0:0 and an unknown group name leaves the user's group
/// (BuildKit 20.10 reports neither).
public struct CopyOwner: Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32

    public init(uid: UInt32, gid: UInt32) {
        self.uid = uid
        self.gid = gid
    }

    /// Resolves `spec` against the rootfs at `rootDirectory`.
    public static func resolve(_ spec: String, rootDirectory: String) throws -> CopyOwner {
        let root = try DestinationRoot(path: rootDirectory)
        return resolve(spec, in: root)
    }

    static func resolve(_ spec: String, in root: DestinationRoot) -> CopyOwner {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let userPart = parts[0]
        var owner = CopyOwner(uid: 0, gid: 0)
        if let uid = UInt32(userPart) {
            owner = CopyOwner(uid: uid, gid: uid)
        } else if !userPart.isEmpty, let entry = readDatabase(root, "/etc/passwd").first(where: { $0.first == userPart }),
                  entry.count > 3, let uid = UInt32(entry[2]), let gid = UInt32(entry[3]) {
            owner = CopyOwner(uid: uid, gid: gid)
        }
        if parts.count == 2 {
            let groupPart = parts[1]
            if let gid = UInt32(groupPart) {
                owner.gid = gid
            } else if let entry = readDatabase(root, "/etc/group").first(where: { $0.first == groupPart }),
                      entry.count > 2, let gid = UInt32(entry[2]) {
                owner.gid = gid
            }
        }
        return owner
    }

    /// The colon-separated records of a passwd-style file inside the root (followed safely).
    static func readDatabase(_ root: DestinationRoot, _ containerPath: String) -> [[String]] {
        let (parentPath, name) = DestinationRoot.split(containerPath)
        guard let parent = try? root.openDirectory(parentPath, create: nil) else { return [] }
        defer { close(parent.fd) }
        var fd = openat(parent.fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0, errno == ELOOP, let target = try? FileSystemCalls.readLink(parent.fd, name, display: name) {
            let next = target.hasPrefix("/") ? target : parentPath + "/" + target
            let (linkParent, linkName) = DestinationRoot.split(next)
            guard let directory = try? root.openDirectory(linkParent, create: nil) else { return [] }
            defer { close(directory.fd) }
            fd = openat(directory.fd, linkName, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        }
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        guard let bytes = FileSystemCalls.readAll(fd, limit: 16 << 20) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { line in
            let trimmed = line.trimmingPrefix(while: { $0 == " " || $0 == "\t" })
            if trimmed.isEmpty || trimmed.hasPrefix("#") { return nil }
            return trimmed.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        }
    }
}


/// `--chmod` as BuildKit 20.10 applies it: an octal number whose permission bits (0777) replace every
/// copied file's and directory's; text that is not octal is ignored, as 20.10 silently does.
public enum CopyMode {
    public static func parse(_ text: String?) -> UInt32? {
        guard let text, !text.isEmpty, let value = UInt32(text, radix: 8) else { return nil }
        return value & 0o777
    }
}
