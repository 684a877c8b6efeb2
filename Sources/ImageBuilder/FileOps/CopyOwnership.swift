#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The uid/gid a `--chown=user[:group]` gives copied files: numbers are taken as they are (a lone
/// numeric user also becomes the group), names are looked up in the destination rootfs's /etc/passwd
/// and /etc/group, and a name without a group takes the user's primary group. An unknown name is an
/// error in docker's words, as docker's own builder reports it (BuildKit 20.10 silently used 0:0, which
/// turns a typo into root-owned files).
public struct CopyOwner: Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32

    public init(uid: UInt32, gid: UInt32) {
        self.uid = uid
        self.gid = gid
    }

    /// A `--chown` name the rootfs does not know.
    public struct UnknownName: Error, Sendable, CustomStringConvertible {
        public let isGroup: Bool
        public let name: String
        public var description: String {
            let kind = isGroup ? "gid for group" : "uid for user"
            let missing = isGroup ? "no such group" : "no such user"
            return "unable to convert uid/gid chown string to host mapping: can't find \(kind) \(name): \(missing): \(name)"
        }
    }

    /// Resolves `spec` against the rootfs at `rootDirectory`.
    public static func resolve(_ spec: String, rootDirectory: String) throws -> CopyOwner {
        let root = try DestinationRoot(path: rootDirectory)
        return try resolve(spec, in: root)
    }

    static func resolve(_ spec: String, in root: DestinationRoot) throws(UnknownName) -> CopyOwner {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let userPart = parts[0]
        var owner = CopyOwner(uid: 0, gid: 0)
        if let uid = UInt32(userPart) {
            owner = CopyOwner(uid: uid, gid: uid)
        } else if !userPart.isEmpty {
            guard let entry = readDatabase(root, "/etc/passwd").first(where: { $0.first == userPart }),
                  entry.count > 3, let uid = UInt32(entry[2]), let gid = UInt32(entry[3]) else {
                throw UnknownName(isGroup: false, name: userPart)
            }
            owner = CopyOwner(uid: uid, gid: gid)
        }
        if parts.count == 2, !parts[1].isEmpty {
            let groupPart = parts[1]
            if let gid = UInt32(groupPart) {
                owner.gid = gid
            } else {
                guard let entry = readDatabase(root, "/etc/group").first(where: { $0.first == groupPart }),
                      entry.count > 2, let gid = UInt32(entry[2]) else {
                    throw UnknownName(isGroup: true, name: groupPart)
                }
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
