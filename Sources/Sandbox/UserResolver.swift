import Foundation

/// The identity a container process runs as.
public struct ContainerUser: Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32
    /// Supplementary groups (the primary group first, as runc passes them).
    public var groups: [UInt32]
    /// The passwd entry's home directory, or "/" when the user has none.
    public var home: String

    public init(uid: UInt32 = 0, gid: UInt32 = 0, groups: [UInt32] = [], home: String = "/root") {
        self.uid = uid
        self.gid = gid
        self.groups = groups
        self.home = home
    }
}

/// Resolves docker's USER forms (`name`, `uid`, `uid:gid`, `name:group`, empty) through the root
/// filesystem's /etc/passwd and /etc/group, as runc's user lookup does.
public enum UserResolver {
    public static func resolve(_ user: String, rootfs: String) throws -> ContainerUser {
        let passwd = readTable(try ScopedPath.resolve("/etc/passwd", in: rootfs))
        let group = readTable(try ScopedPath.resolve("/etc/group", in: rootfs))
        return try resolve(user, passwd: passwd, group: group)
    }

    /// `passwd` and `group` are the files' lines split on ':'.
    public static func resolve(_ user: String, passwd: [[String]], group: [[String]]) throws -> ContainerUser {
        let parts = user.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let userPart = parts.first ?? ""
        let groupPart = parts.count > 1 ? parts[1] : nil
        let name = userPart.isEmpty ? "0" : userPart
        var result = ContainerUser(uid: 0, gid: 0, groups: [], home: "/")
        var userName: String?
        let numericUID = UInt32(name)
        if let entry = passwd.first(where: { $0.count >= 7 && ($0[0] == name || (numericUID != nil && $0[2] == name)) }),
           let uid = UInt32(entry[2]), let gid = UInt32(entry[3]) {
            result.uid = uid
            result.gid = gid
            result.home = entry[5]
            userName = entry[0]
        } else if let numericUID {
            result.uid = numericUID
        } else {
            throw SandboxError.userNotFound(name)
        }
        if let groupPart {
            if let entry = group.first(where: { $0.count >= 3 && $0[0] == groupPart }), let gid = UInt32(entry[2]) {
                result.gid = gid
            } else if let gid = UInt32(groupPart) {
                result.gid = gid
            } else {
                throw SandboxError.groupNotFound(groupPart)
            }
        }
        var groups = [result.gid]
        if let userName {
            for entry in group where entry.count >= 4 {
                let members = entry[3].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                if members.contains(userName), let gid = UInt32(entry[2]), !groups.contains(gid) { groups.append(gid) }
            }
        }
        result.groups = groups
        return result
    }

    static func readTable(_ path: String) -> [[String]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { return nil }
            return trimmed.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        }
    }
}
