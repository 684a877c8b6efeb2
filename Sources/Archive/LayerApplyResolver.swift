#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Resolves directories beneath a root descriptor one component at a time with O_NOFOLLOW, following
/// symlinks by hand as if the root were "/" (absolute targets restart at the root, ".." stops there),
/// so no path can reach outside the target — the guarantee docker gets from chroot. Written by hand
/// because openat2(RESOLVE_IN_ROOT) is not reachable from Swift without a C shim.
///
/// The last walked chain of real directories (no symlinks) stays open, so a sorted layer costs about
/// one openat per new directory. The chain is dropped whenever an existing directory is removed.
final class LayerApplyResolver {
    /// Symlinks followed per lookup before giving up, as the kernel's limit.
    static let maxSymlinkHops = 40
    /// Descriptors kept open in the chain; deeper walks use transient descriptors. A path is at most PATH_MAX (4096)
    /// bytes, so about 2048 levels; the chain covers as many as a quarter of the descriptor limit allows, which keeps
    /// a deep sorted layer at one openat per new directory instead of a walk per entry.
    static let maxChainDepth: Int = {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 128 }
        return max(128, min(2048, Int(clamping: limit.rlim_cur) / 4))
    }()

    let rootFD: Int32
    private var chain: [(name: String, fd: Int32)] = []

    init(rootFD: Int32) {
        self.rootFD = rootFD
    }

    deinit { invalidate() }

    /// Closes the cached chain (call after removing any existing directory).
    func invalidate() {
        for link in chain { close(link.fd) }
        chain.removeAll()
    }

    /// A descriptor (O_PATH) for the directory at `components`, owned by the caller. Missing
    /// directories are created with mode 0755 (docker's MkdirAll of an entry's parent) when `create`.
    func directory(_ components: ArraySlice<String>, create: Bool) throws -> Int32 {
        var common = 0
        while common < chain.count && common < components.count && chain[common].name == components[components.startIndex + common] {
            common += 1
        }
        while chain.count > common { close(chain.removeLast().fd) }
        var current = chain.last?.fd ?? rootFD
        var transient: Int32 = -1
        defer { if transient >= 0 { close(transient) } }
        var index = components.startIndex + common
        while index < components.endIndex {
            let name = components[index]
            let fd = try openDirectory(current, name, create: create)
            if fd >= 0 {
                if transient < 0 && chain.count < Self.maxChainDepth {
                    chain.append((name, fd))
                } else {
                    if transient >= 0 { close(transient) }
                    transient = fd
                }
                current = fd
                index += 1
                continue
            }
            // A symlink: finish the walk by hand from here.
            return try followSymlinks(from: current, remaining: Array(components[index...]), create: create)
        }
        let result = fcntl(current, F_DUPFD_CLOEXEC, 0)
        guard result >= 0 else { throw ArchiveError.systemCall("dup", errno: errno) }
        return result
    }

    /// Opens `name` in `parent` as a real directory; -1 when it is a symlink; creates it if missing and asked to.
    private func openDirectory(_ parent: Int32, _ name: String, create: Bool) throws -> Int32 {
        var createdOnce = false
        while true {
            let fd = FileDescriptorIO.retryingInterrupts { openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            if fd >= 0 { return fd }
            let error = errno
            if error == ENOENT && create && !createdOnce {
                createdOnce = true
                if mkdirat(parent, name, 0o755) != 0 && errno != EEXIST {
                    throw ArchiveError.systemCall("mkdir \(name)", errno: errno)
                }
                _ = fchmodat(parent, name, 0o755, 0)  // mkdir is subject to the umask; docker's is 0
                continue
            }
            if error == ELOOP || error == ENOTDIR {
                var info = stat()
                if fstatat(parent, name, &info, AT_SYMLINK_NOFOLLOW) == 0 && info.st_mode & S_IFMT == S_IFLNK { return -1 }
                throw ArchiveError.systemCall("open \(name)", errno: ENOTDIR)
            }
            throw ArchiveError.systemCall("open \(name)", errno: error)
        }
    }

    /// The slow path: a stack of open directories from the root, so ".." in a link target pops to the
    /// real parent and never above the root.
    private func followSymlinks(from start: Int32, remaining: [String], create: Bool) throws -> Int32 {
        // stack[0] is the root; entries past the chain prefix are owned here.
        var stack: [(fd: Int32, owned: Bool)] = [(rootFD, false)] + chain.map { ($0.fd, false) }
        if start != stack.last!.fd {
            // `start` was a transient descriptor beyond the chain: depth is lost, so restart from an owned copy.
            let copy = fcntl(start, F_DUPFD_CLOEXEC, 0)
            guard copy >= 0 else { throw ArchiveError.systemCall("dup", errno: errno) }
            stack.append((copy, true))
        }
        defer { for entry in stack where entry.owned { close(entry.fd) } }
        var pending = Array(remaining.reversed())
        var hops = 0
        while let name = pending.popLast() {
            switch name {
            case "", ".": continue
            case "..":
                if stack.count > 1 {
                    let top = stack.removeLast()
                    if top.owned { close(top.fd) }
                }
                continue
            default: break
            }
            let parent = stack.last!.fd
            let fd = try openDirectory(parent, name, create: create)
            if fd >= 0 {
                stack.append((fd, true))
                continue
            }
            hops += 1
            guard hops <= Self.maxSymlinkHops else { throw ArchiveError.systemCall("open \(name)", errno: ELOOP) }
            let target = try DirectoryWalker.readLink(parent, name, name)
            if target.hasPrefix("/") {
                for entry in stack.dropFirst() where entry.owned { close(entry.fd) }
                stack = [(rootFD, false)]
            }
            pending.append(contentsOf: target.split(separator: "/").map(String.init).reversed())
        }
        let result = fcntl(stack.last!.fd, F_DUPFD_CLOEXEC, 0)
        guard result >= 0 else { throw ArchiveError.systemCall("dup", errno: errno) }
        return result
    }
}
