import Foundation

/// Resolves container paths against a root directory the way runc's securejoin does: every symlink
/// met on the way is evaluated as if the root were `/`, so a path can never leave the root.
/// Hand-written because no Swift library offers a root-scoped path resolver.
public enum ScopedPath {
    /// The host path of `path` inside `root`, with symlinks resolved within the root. Missing
    /// components are kept as they are (lexically). More than 255 symlinks is ELOOP, as in securejoin: a
    /// component left unresolved would be followed by the kernel from the host's root.
    public static func resolve(_ path: String, in root: String) throws -> String {
        var resolved: [String] = []
        var pending = components(path)
        var linksFollowed = 0
        while !pending.isEmpty {
            let part = pending.removeFirst()
            if part == "." || part.isEmpty { continue }
            if part == ".." { _ = resolved.popLast(); continue }
            let candidate = root + "/" + (resolved + [part]).joined(separator: "/")
            var info = stat()
            if lstat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK {
                guard linksFollowed < 255 else { throw SandboxError.system("resolve \(path)", ELOOP) }
                linksFollowed += 1
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: candidate) else {
                    resolved.append(part)
                    continue
                }
                if target.hasPrefix("/") { resolved = [] }
                pending = components(target) + pending
                continue
            }
            resolved.append(part)
        }
        return resolved.isEmpty ? root : root + "/" + resolved.joined(separator: "/")
    }

    /// Creates `path` (and missing parents, mode 0755) inside `root`; returns its host path and
    /// the container paths it had to create (outermost first).
    @discardableResult
    public static func makeDirectories(_ path: String, in root: String) throws -> (hostPath: String, created: [String]) {
        try makeDirectories(path, in: root, depth: 0)
    }

    private static func makeDirectories(_ path: String, in root: String, depth: Int) throws -> (hostPath: String, created: [String]) {
        var created: [String] = []
        var prefix = ""
        for part in components(path) where !part.isEmpty && part != "." {
            prefix += "/" + part
            let host = try resolve(prefix, in: root)
            var info = stat()
            if stat(host, &info) == 0 {
                guard (info.st_mode & S_IFMT) == S_IFDIR else { throw SandboxError.notADirectory(prefix) }
                continue
            }
            if mkdir(host, 0o755) == 0 || errno == EEXIST {
                created.append(prefix)
                continue
            }
            // A dangling symlink on the way (`/work -> /data/real`): its target is created inside the root, as
            // docker does for WORKDIR and VOLUME, by making the resolved path's own directories.
            guard errno == ENOENT, depth < 40, host.hasPrefix(root + "/") else { throw SandboxError.system("mkdir \(prefix)", errno) }
            created += try makeDirectories(String(host.dropFirst(root.count)), in: root, depth: depth + 1).created
        }
        return (try resolve(path, in: root), created)
    }

    /// Makes sure a mount target of the right kind exists at `path` inside `root`: a directory, or
    /// an empty file when `file` is true. Returns its host path and the container paths created.
    public static func makeMountTarget(_ path: String, in root: String, file: Bool) throws -> (hostPath: String, created: [String]) {
        guard file else { return try makeDirectories(path, in: root) }
        let parent = (path as NSString).deletingLastPathComponent
        let (_, created) = try makeDirectories(parent.isEmpty ? "/" : parent, in: root)
        let host = try resolve(path, in: root)
        var info = stat()
        if stat(host, &info) == 0 { return (host, created) }
        let fd = open(host, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw SandboxError.system("create \(path)", errno) }
        close(fd)
        return (host, created + [path])
    }

    static func components(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }
}
