#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Descriptor-relative tree removal that never follows symlinks and never recurses on the Swift
/// stack: it keeps one open directory and climbs back with "..", so a hostile layer's million-deep
/// tree costs neither stack nor descriptors. Used for whiteouts, replaced entries, opaque
/// directories and for deleting unpacked trees.
public enum LayerTreeRemoval {
    /// What to do with one entry found while pruning.
    enum Decision {
        case remove
        case keep
        /// Keep a directory but examine its children.
        case descend
    }

    /// Removes the directory tree at `path` (a symlink there is removed, not followed); absent is fine.
    public static func removeTree(atPath path: String) throws {
        let trimmed = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        let slash = trimmed.lastIndex(of: "/")
        let parentPath = slash.map { $0 == trimmed.startIndex ? "/" : String(trimmed[..<$0]) } ?? "."
        let name = slash.map { String(trimmed[trimmed.index(after: $0)...]) } ?? trimmed
        let parent = open(parentPath, O_PATH | O_DIRECTORY | O_CLOEXEC)
        guard parent >= 0 else {
            if errno == ENOENT { return }
            throw ArchiveError.systemCall("open \(parentPath)", errno: errno)
        }
        defer { close(parent) }
        try removeEntry(name, in: parent)
    }

    /// Removes `name` inside `directoryFD` whatever it is; a missing entry is not an error.
    static func removeEntry(_ name: String, in directoryFD: Int32) throws {
        if unlinkat(directoryFD, name, 0) == 0 { return }
        switch errno {
        case ENOENT: return
        case EISDIR, EPERM:
            var info = stat()
            guard fstatat(directoryFD, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                if errno == ENOENT { return }
                throw ArchiveError.systemCall("lstat \(name)", errno: errno)
            }
            guard info.st_mode & S_IFMT == S_IFDIR else { throw ArchiveError.systemCall("unlink \(name)", errno: EPERM) }
            if unlinkat(directoryFD, name, AT_REMOVEDIR) == 0 { return }
            let child = try openForListing(directoryFD, name)
            defer { close(child) }
            try prune(child, basePath: "") { _, _ in .remove }
            guard unlinkat(directoryFD, name, AT_REMOVEDIR) == 0 else {
                throw ArchiveError.systemCall("rmdir \(name)", errno: errno)
            }
        default:
            throw ArchiveError.systemCall("unlink \(name)", errno: errno)
        }
    }

    private struct Frame {
        var path: String
        var name: String
        var removeAll: Bool
        var names: [String]
        var next = 0
    }

    /// Walks the directory open as `top` (not closed) and removes what `decide(path, isDirectory)`
    /// says to, where `path` is `basePath` joined with the entry's path below `top`.
    static func prune(_ top: Int32, basePath: String, decide: (String, Bool) -> Decision) throws {
        var current = fcntl(top, F_DUPFD_CLOEXEC, 0)
        guard current >= 0 else { throw ArchiveError.systemCall("dup", errno: errno) }
        defer { close(current) }
        var frames = [Frame(path: basePath, name: "", removeAll: false, names: try listNames(current))]
        while !frames.isEmpty {
            let depth = frames.count - 1
            if frames[depth].next < frames[depth].names.count {
                let name = frames[depth].names[frames[depth].next]
                frames[depth].next += 1
                let path = frames[depth].path.isEmpty ? name : frames[depth].path + "/" + name
                var info = stat()
                guard fstatat(current, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                    if errno == ENOENT { continue }
                    throw ArchiveError.systemCall("lstat \(path)", errno: errno)
                }
                let isDirectory = info.st_mode & S_IFMT == S_IFDIR
                let decision = frames[depth].removeAll ? .remove : decide(path, isDirectory)
                switch decision {
                case .keep: continue
                case .descend where !isDirectory: continue
                case .remove where !isDirectory:
                    if unlinkat(current, name, 0) != 0 && errno != ENOENT {
                        throw ArchiveError.systemCall("unlink \(path)", errno: errno)
                    }
                    continue
                case .remove:
                    if unlinkat(current, name, AT_REMOVEDIR) == 0 { continue }
                    guard errno == ENOTEMPTY || errno == EEXIST else {
                        throw ArchiveError.systemCall("rmdir \(path)", errno: errno)
                    }
                case .descend: break
                }
                let child = try openForListing(current, name)
                let names: [String]
                do { names = try listNames(child) } catch { close(child); throw error }
                close(current)
                current = child
                frames.append(Frame(path: path, name: name, removeAll: decision == .remove, names: names))
            } else {
                let finished = frames.removeLast()
                guard !frames.isEmpty else { break }
                let parent = openat(current, "..", O_PATH | O_DIRECTORY | O_CLOEXEC)
                guard parent >= 0 else { throw ArchiveError.systemCall("open \(finished.path)/..", errno: errno) }
                close(current)
                current = parent
                if finished.removeAll && unlinkat(current, finished.name, AT_REMOVEDIR) != 0 && errno != ENOENT {
                    throw ArchiveError.systemCall("rmdir \(finished.path)", errno: errno)
                }
            }
        }
    }

    /// Opens a subdirectory for listing; an unprivileged caller's unreadable directory is made readable first.
    private static func openForListing(_ parent: Int32, _ name: String) throws -> Int32 {
        var fd = openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw ArchiveError.systemCall("open \(name)", errno: errno) }
        let probe = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if probe >= 0 { close(probe); return fd }
        if errno == EACCES && fchmodat(parent, name, 0o700, 0) == 0 {
            close(fd)
            fd = openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if fd >= 0 { return fd }
        }
        let error = errno
        if fd >= 0 { close(fd) }
        throw ArchiveError.systemCall("open \(name)", errno: error)
    }

    /// Names in a directory (without "." and ".."), read through a fresh readable descriptor.
    static func listNames(_ directoryFD: Int32) throws -> [String] {
        let fd = openat(directoryFD, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ArchiveError.systemCall("open directory", errno: errno) }
        guard let handle = fdopendir(fd) else {
            close(fd)
            throw ArchiveError.systemCall("fdopendir", errno: errno)
        }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            names.append(name)
        }
        return names
    }
}
