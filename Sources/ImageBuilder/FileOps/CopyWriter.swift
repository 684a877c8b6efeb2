#if canImport(Glibc)
import Archive
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes source entries into destination directories: one COPY's worth of state (the open directory
/// chain, hard links seen, directory times to set last).
final class CopyWriter {
    let root: DestinationRoot
    let tree: SourceTree
    let owner: CopyOwner?
    let chmod: CopyMode?
    /// Placeholders instead of file data (see `FileCopier.copy`).
    let deferContents: Bool
    var summary = CopySummary()

    /// Open destination directories for the source directories being walked, innermost last.
    private var chain: [(relative: String, directory: DestinationRoot.OpenDirectory)] = []
    /// First destination (host path and rootfs-relative key) of each multiply-linked source inode.
    private var linkTargets: [UInt64: [UInt64: (hostPath: String, key: String)]] = [:]

    /// BuildKit copies each source of one COPY on its own: hard links are kept only within one source.
    func forgetHardLinks() { linkTargets = [:] }
    /// Directories whose mtimes are set once their contents are written.
    private var directoryTimes: [(hostPath: String, status: FileStatus)] = []

    init(root: DestinationRoot, tree: SourceTree, owner: CopyOwner?, chmod: CopyMode?, deferContents: Bool = false) {
        self.root = root
        self.tree = tree
        self.owner = owner
        self.chmod = chmod
        self.deferContents = deferContents
    }

    deinit { closeChain(keeping: 0) }

    private func closeChain(keeping count: Int) {
        while chain.count > count { close(chain.removeLast().directory.fd) }
    }

    /// Writes one entry below the source root being copied into `destination`.
    func write(_ entry: SourceEntry, under destination: DestinationRoot.OpenDirectory) throws {
        let slash = entry.relative.lastIndex(of: "/")
        let parentRelative = slash.map { String(entry.relative[..<$0]) } ?? ""
        let name = slash.map { String(entry.relative[entry.relative.index(after: $0)...]) } ?? entry.relative
        while let last = chain.last, last.relative != parentRelative { close(chain.removeLast().directory.fd) }
        let parent = parentRelative.isEmpty ? destination : chain.last!.directory
        if entry.status.kind == .directory {
            let opened = try makeDirectory(entry, named: name, in: parent)
            chain.append((entry.relative, opened))
        } else {
            try writeLeaf(entry.status, path: entry.path, linkTarget: entry.linkTarget, named: name, in: parent)
        }
    }

    /// Writes a top-level file source (a directory source copies its contents instead).
    func writeTopLevel(_ source: ResolvedSource, named name: String, in parent: DestinationRoot.OpenDirectory) throws {
        let link = source.status.kind == .symlink
            ? try FileSystemCalls.readLink(AT_FDCWD, tree.absolute(source.path), display: source.path) : nil
        try writeLeaf(source.status, path: source.path, linkTarget: link, named: name, in: parent)
    }

    /// Sets directory mtimes (contents are written) and closes the chain.
    func finishDirectories() throws {
        closeChain(keeping: 0)
        for (hostPath, status) in directoryTimes.reversed() {
            var times = [timespec(tv_sec: time_t(status.accessSeconds), tv_nsec: Int(status.accessNanoseconds)),
                         timespec(tv_sec: time_t(status.modificationSeconds), tv_nsec: Int(status.modificationNanoseconds))]
            _ = utimensat(AT_FDCWD, hostPath, &times, AT_SYMLINK_NOFOLLOW)
        }
        directoryTimes.removeAll()
    }

    private func ownership(_ status: FileStatus) -> (UInt32, UInt32) {
        if let owner { return (owner.uid, owner.gid) }
        return tree.resetsOwnership ? (0, 0) : (status.uid, status.gid)
    }

    private func mode(_ status: FileStatus) -> UInt32 {
        chmod?.apply(to: status.mode, isDirectory: status.kind == .directory) ?? status.mode
    }

    private func makeDirectory(_ entry: SourceEntry, named name: String,
                               in parent: DestinationRoot.OpenDirectory) throws -> DestinationRoot.OpenDirectory {
        let components = parent.components + [name]
        if mkdirat(parent.fd, name, 0o700) != 0 && errno != EEXIST {
            throw FileSystemError("mkdir", root.hostPath(components), code: errno)
        }
        var fd = FileSystemCalls.openChildDirectory(parent.fd, name)
        var realComponents = components
        if fd < 0 {
            guard let existing = FileSystemCalls.lstatAt(parent.fd, name), existing.kind == .symlink else {
                throw CopyError.cannotCopyToNonDirectory(root.hostPath(components))
            }
            // An existing symlink in the image is followed, inside the root, as docker does.
            let followed = try root.openDirectory("/" + components.joined(separator: "/"), create: nil)
            fd = followed.fd
            realComponents = followed.components
        }
        let (uid, gid) = ownership(entry.status)
        _ = fchown(fd, uid, gid)
        _ = fchmod(fd, mode_t(mode(entry.status)))
        directoryTimes.append((root.hostPath(realComponents), entry.status))
        summary.directories += 1
        return DestinationRoot.OpenDirectory(fd: fd, components: realComponents)
    }

    private func removeExisting(_ name: String, in parent: DestinationRoot.OpenDirectory) throws {
        guard let existing = FileSystemCalls.lstatAt(parent.fd, name) else { return }
        if existing.kind == .directory { throw CopyError.cannotReplaceDirectory(root.hostPath(parent.components + [name])) }
        guard unlinkat(parent.fd, name, 0) == 0 || errno == ENOENT else {
            throw FileSystemError("unlink", root.hostPath(parent.components + [name]), code: errno)
        }
    }

    private func writeLeaf(_ status: FileStatus, path: String, linkTarget: String?, named name: String,
                           in parent: DestinationRoot.OpenDirectory) throws {
        let hostPath = root.hostPath(parent.components + [name])
        let key = (parent.components + [name]).joined(separator: "/")
        try removeExisting(name, in: parent)
        summary.contentSources[key] = nil
        let (uid, gid) = ownership(status)
        switch status.kind {
        case .symlink:
            guard symlinkat(linkTarget ?? "", parent.fd, name) == 0 else { throw FileSystemError("symlink", hostPath, code: errno) }
            _ = fchownat(parent.fd, name, uid, gid, AT_SYMLINK_NOFOLLOW)
            var times = Self.times(status)
            _ = utimensat(parent.fd, name, &times, AT_SYMLINK_NOFOLLOW)
            summary.symlinks += 1
        case .regular:
            if status.linkCount > 1, let first = linkTargets[status.device]?[status.inode] {
                guard linkat(AT_FDCWD, first.hostPath, parent.fd, name, 0) == 0 else { throw FileSystemError("link", hostPath, code: errno) }
                // Any path of the inode may come first in the layer walk: each names the source.
                if let source = summary.contentSources[first.key] { summary.contentSources[key] = source }
                summary.hardlinks += 1
                return
            }
            let source = tree.absolute(path)
            try copyRegular(status, from: source, named: name, in: parent, hostPath: hostPath, uid: uid, gid: gid)
            if deferContents { summary.contentSources[key] = source }
            if status.linkCount > 1 { linkTargets[status.device, default: [:]][status.inode] = (hostPath, key) }
        case .directory, .other:
            // Sockets, devices and fifos are not sent in a build context; a stage's are skipped too.
            break
        }
    }

    private func copyRegular(_ status: FileStatus, from source: String, named name: String, in parent: DestinationRoot.OpenDirectory,
                             hostPath: String, uid: UInt32, gid: UInt32) throws {
        let output = openat(parent.fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw FileSystemError("open", hostPath, code: errno) }
        defer { close(output) }
        if deferContents {
            guard ftruncate(output, off_t(status.size)) == 0 else { throw FileSystemError("truncate", hostPath, code: errno) }
        } else {
            let input = open(source, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            guard input >= 0 else { throw FileSystemError("open", source, code: errno) }
            defer { close(input) }
            try Self.copyContents(from: input, to: output, size: status.size, display: hostPath)
        }
        _ = fchown(output, uid, gid)
        guard fchmod(output, mode_t(mode(status))) == 0 else { throw FileSystemError("chmod", hostPath, code: errno) }
        var times = Self.times(status)
        _ = futimens(output, &times)
        summary.files += 1
        summary.bytes += status.size
    }

    static func times(_ status: FileStatus) -> [timespec] {
        [timespec(tv_sec: time_t(status.accessSeconds), tv_nsec: Int(status.accessNanoseconds)),
         timespec(tv_sec: time_t(status.modificationSeconds), tv_nsec: Int(status.modificationNanoseconds))]
    }

    /// sendfile (in-kernel, no user-space copy), read/write when the kernel refuses.
    static func copyContents(from input: Int32, to output: Int32, size: Int64, display: String) throws {
        var remaining = size
        #if os(Linux)
        while remaining > 0 {
            let n = FileDescriptorIO.retryingInterrupts { sendfile(output, input, nil, Int(min(remaining, 1 << 30))) }
            if n > 0 { remaining -= Int64(n); continue }
            if n == 0 { break }
            if errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP { break }
            throw FileSystemError("copy", display, code: errno)
        }
        if remaining == 0 && size > 0 { return }
        #endif
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try FileSystemCalls.readSome(input, into: $0, display: display) }
            if n == 0 { break }
            try buffer.withUnsafeBytes { try FileSystemCalls.writeAll(output, UnsafeRawBufferPointer(rebasing: $0[..<n]), display: display) }
        }
    }
}
