import Archive
import CSandbox
import Foundation

/// How a writable root filesystem is made over read-only lower directories.
public enum SnapshotterKind: String, Sendable {
    /// An overlay mount; the upper directory collects the changes.
    case overlay
    /// A full copy of the lower trees (no overlayfs, or `STRATA_SNAPSHOTTER=copy`).
    case copy

    /// `STRATA_SNAPSHOTTER` (overlay | copy), else overlay.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> SnapshotterKind {
        SnapshotterKind(rawValue: environment["STRATA_SNAPSHOTTER"] ?? "") ?? .overlay
    }
}

/// A writable root filesystem over read-only lower directories, in a scratch directory:
/// `scratch/merged` is the root, `scratch/upper` (overlay) collects the changes, for
/// `OverlayUpper`/`LayerDiff` to turn into a layer. Lower directories are never modified.
public struct PreparedRootfs: Sendable {
    public let kind: SnapshotterKind
    public let scratch: String
    /// The root filesystem to run in.
    public let mountPoint: String
    /// The overlay upper directory (overlay whiteouts: 0/0 char devices, `trusted.overlay.opaque`);
    /// nil for a copy snapshot, whose changes are `LayerDiff(before: lowerDirs, after: mountPoint)`.
    public let upperDir: String?
    /// Top-most first, as overlayfs takes them.
    public let lowerDirs: [String]

    /// Unmounts (lazily) and keeps the scratch directory, e.g. to read the upper dir afterwards.
    public func unmount() {
        if kind == .overlay { _ = umount2(mountPoint, Int32(MNT_DETACH)) }
    }

    /// Unmounts and removes the scratch directory.
    public func remove() throws {
        unmount()
        try LayerTreeRemoval.removeTree(atPath: scratch)
    }
}

/// Prepares `PreparedRootfs` snapshots.
public enum RootfsSnapshot {
    /// Makes `scratch` (created; must not exist or be empty) a writable root over `lowerDirs`
    /// (top-most first; each an unpacked tree or an earlier upper dir). On failure nothing stays mounted.
    public static func prepare(lowerDirs: [String], scratch: String,
                               kind: SnapshotterKind = .fromEnvironment()) throws -> PreparedRootfs {
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let merged = scratch + "/merged"
        guard mkdir(merged, 0o755) == 0 else { throw SandboxError.system("mkdir \(merged)", errno) }
        var lowers = lowerDirs
        if lowers.isEmpty {
            let empty = scratch + "/empty"
            guard mkdir(empty, 0o755) == 0 else { throw SandboxError.system("mkdir \(empty)", errno) }
            lowers = [empty]
        }
        switch kind {
        case .overlay:
            let upper = scratch + "/upper", work = scratch + "/work"
            for directory in [upper, work] where mkdir(directory, 0o755) != 0 {
                throw SandboxError.system("mkdir \(directory)", errno)
            }
            // Redirects and metacopy would make the upper dir unreadable as a layer (OverlayUpper refuses them).
            let options = "lowerdir=\(lowers.map(escape).joined(separator: ":")),upperdir=\(escape(upper)),workdir=\(escape(work))"
            var result = mount("overlay", merged, "overlay", 0, options + ",redirect_dir=off,metacopy=off,index=off")
            if result != 0 && errno == EINVAL { result = mount("overlay", merged, "overlay", 0, options) }
            guard result == 0 else { throw SandboxError.system("mount overlay on \(merged)", errno) }
            return PreparedRootfs(kind: .overlay, scratch: scratch, mountPoint: merged, upperDir: upper, lowerDirs: lowers)
        case .copy:
            for lower in lowers.reversed() { try OverlayTreeCopy.copy(lower, onto: merged) }
            return PreparedRootfs(kind: .copy, scratch: scratch, mountPoint: merged, upperDir: nil, lowerDirs: lowers)
        }
    }

    /// overlayfs splits its options on ',' and lower dirs on ':'; both are escaped with '\'.
    static func escape(_ path: String) -> String {
        var out = ""
        for character in path {
            if character == "," || character == ":" || character == "\\" { out.append("\\") }
            out.append(character)
        }
        return out
    }
}

/// Applies one overlay-format tree onto a directory the way overlayfs would show it: 0/0 character
/// devices delete, `trusted.overlay.opaque=y` directories hide what was below. Uses `cp -a` for the
/// copy itself (it preserves owners, modes, xattrs, hard links and times better than a hand-rolled walk).
enum OverlayTreeCopy {
    static func copy(_ lower: String, onto target: String) throws {
        var whiteouts: [String] = []
        var opaques: [String] = []
        if let walker = FileManager.default.enumerator(atPath: lower) {
            for case let relative as String in walker {
                var info = stat()
                guard lstat(lower + "/" + relative, &info) == 0 else { continue }
                let type = info.st_mode & S_IFMT
                if type == S_IFCHR && info.st_rdev == 0 { whiteouts.append(relative) }
                if type == S_IFDIR && isOpaque(lower + "/" + relative) { opaques.append(relative) }
            }
        }
        for relative in opaques {
            let path = target + "/" + relative
            if let names = try? FileManager.default.contentsOfDirectory(atPath: path) {
                for name in names { try LayerTreeRemoval.removeTree(atPath: path + "/" + name) }
            }
        }
        for relative in whiteouts { try? LayerTreeRemoval.removeTree(atPath: target + "/" + relative) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/cp")
        process.arguments = ["-a", "--no-target-directory", lower + "/.", target]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw SandboxError.system("cp -a \(lower) \(target) (exit \(process.terminationStatus))", EIO)
        }
        for relative in whiteouts { _ = unlink(target + "/" + relative) }
        for relative in opaques { _ = csandbox_clear_overlay_opaque(target + "/" + relative) }
    }

    static func isOpaque(_ path: String) -> Bool {
        csandbox_is_overlay_opaque(path) != 0
    }
}
