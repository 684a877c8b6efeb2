#if canImport(Glibc)
import Glibc
#endif
import Archive
import Foundation
import Synchronization

/// A scratch directory owned by a live process through an flock on `<path>.lock`, held for the owner's life: a
/// build's `build-tmp/session-<id>/`, a container's `containers/<id>/`. An owner killed with -9 leaves overlay
/// mounts and half-made trees behind; the next owner under the same root finds the lock free and unmounts what
/// is mounted below the directory, then removes it, or, for a container kept after it stops (`run` without
/// `--rm`), keeps its files as docker keeps a stopped container's. A live owner's lock is held, so its directory
/// is never touched.
public final class ScratchSession: Sendable {
    /// What a sweep does with the directory of an owner that died.
    public enum Abandoned: String, Sendable {
        case remove
        case keepFiles = "keep"
    }

    public let path: String
    private let lockFD: Int32
    /// Set by `keepFiles()`: the directory outlives the session.
    private let kept = Mutex(false)

    private init(path: String, lockFD: Int32) {
        self.path = path
        self.lockFD = lockFD
    }

    deinit {
        if !kept.withLock({ $0 }) { Self.remove(path) }
        close(lockFD)
    }

    /// Sweeps abandoned directories under `root`, then claims `root/<name>` (default: `session-<uuid>`), created
    /// empty.
    public static func begin(root: String, name: String? = nil, whenAbandoned: Abandoned = .remove) throws -> ScratchSession {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        sweep(root: root)
        let path = root + "/" + (name ?? "session-" + UUID().uuidString.lowercased())
        // The lock is made locked and written under a name sweeps skip, then renamed into place: a concurrent
        // sweep never sees a lock nobody holds for a live session. The directory comes after the lock.
        let unnamed = path + ".lock-" + UUID().uuidString.lowercased()
        let fd = open(unnamed, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SandboxError.system("open \(unnamed)", errno) }
        let policy = Array(whenAbandoned.rawValue.utf8)
        guard flock(fd, LOCK_EX | LOCK_NB) == 0, write(fd, policy, policy.count) == policy.count,
              rename(unnamed, path + ".lock") == 0, mkdir(path, 0o700) == 0 else {
            let saved = errno
            unlink(unnamed)
            close(fd)
            throw SandboxError.system("create \(path)", saved)
        }
        return ScratchSession(path: path, lockFD: fd)
    }

    /// Ends the session now: what is mounted below the directory is unmounted, then the directory and the lock go.
    public func end() {
        kept.withLock { $0 = true }
        Self.remove(path)
    }

    /// Ends the session keeping the directory (already unmounted by the caller); only the lock goes.
    public func keepFiles() {
        kept.withLock { $0 = true }
        unlink(path + ".lock")
    }

    /// Sweeps every directory under `root` whose lock nobody holds (its owner died), mounts first, deepest first.
    public static func sweep(root: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return }
        for name in names where name.contains(".lock-") {
            // A lock that never got its name: its maker died between creating and renaming it. A young one may
            // be between its creation and its flock, so only those older than a minute go.
            var info = stat()
            guard stat(root + "/" + name, &info) == 0, time(nil) - info.st_mtim.tv_sec > 60 else { continue }
            let fd = open(root + "/" + name, O_RDWR | O_CLOEXEC)
            guard fd >= 0 else { continue }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { unlink(root + "/" + name) }
            close(fd)
        }
        for name in names where name.hasSuffix(".lock") {
            let lock = root + "/" + name
            let fd = open(lock, O_RDWR | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }  // a live owner
            var policy = [UInt8](repeating: 0, count: 16)
            let count = read(fd, &policy, policy.count)
            let keep = count > 0 && Abandoned(rawValue: String(decoding: policy[..<count], as: UTF8.self)) == .keepFiles
            let directory = String(lock.dropLast(".lock".count))
            if keep {
                if unmountAll(below: directory) { unlink(lock) }
            } else {
                remove(directory)
            }
        }
    }

    /// Unmounts what is mounted below `directory` (deepest first), then removes it and its lock file. Nothing is
    /// removed while a mount remains: the walk must never reach into a mounted tree.
    private static func remove(_ directory: String) {
        guard unmountAll(below: directory) else { return }
        try? LayerTreeRemoval.removeTree(atPath: directory)
        unlink(directory + ".lock")
    }

    /// Whether nothing stays mounted below `directory` after unmounting (lazily) what was.
    private static func unmountAll(below directory: String) -> Bool {
        // The kernel lists canonical paths: compare with the directory's (the store root may be given as "dir/").
        guard let resolved = realpath(directory, nil) else { return true }
        let canonical = String(cString: resolved)
        free(resolved)
        for mountPoint in mountPoints(under: canonical + "/").sorted(by: { $0.count > $1.count }) {
            _ = umount2(mountPoint, Int32(MNT_DETACH))
        }
        return mountPoints(under: canonical + "/").isEmpty
    }

    /// Mount points below `prefix`, from /proc/self/mountinfo (octal escapes decoded).
    static func mountPoints(under prefix: String) -> [String] {
        // Read to the end with read(2): procfs files report size 0, which whole-file readers trust.
        let fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        let bytes = (try? FileDescriptorIO.readAll(fd)) ?? []
        let text = String(decoding: bytes, as: UTF8.self)
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { return nil }
            let point = unescape(String(fields[4]))
            return point.hasPrefix(prefix) ? point : nil
        }
    }

    private static func unescape(_ field: String) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(field.utf8)[...]
        while let byte = utf8.first {
            if byte == UInt8(ascii: "\\"), utf8.count >= 4,
               let value = UInt8(String(decoding: utf8.dropFirst().prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(value)
                utf8 = utf8.dropFirst(4)
            } else {
                bytes.append(byte)
                utf8 = utf8.dropFirst()
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
