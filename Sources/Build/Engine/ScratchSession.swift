#if canImport(Glibc)
import Glibc
#endif
import Archive
import Foundation

/// One build's scratch space, `build-tmp/session-<id>/`, owned through an flock on `session-<id>.lock` held
/// for the build's life. A build killed with -9 leaves its overlay mounts and half-made trees behind; the next
/// build finds the lock free, unmounts what is mounted under the session and removes it. A live build's lock is
/// held, so its session is never touched.
final class ScratchSession: @unchecked Sendable {
    let path: String
    private let lockFD: Int32

    private init(path: String, lockFD: Int32) {
        self.path = path
        self.lockFD = lockFD
    }

    deinit {
        Self.remove(path)
        close(lockFD)
    }

    /// Sweeps abandoned sessions under `root`, then opens a new one.
    static func begin(root: String) throws -> ScratchSession {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        sweep(root: root)
        let path = root + "/session-" + UUID().uuidString.lowercased()
        let fd = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileSystemError("open", path + ".lock", code: errno) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw FileSystemError("lock", path + ".lock", code: errno)
        }
        guard mkdir(path, 0o700) == 0 else {
            close(fd)
            throw FileSystemError("mkdir", path, code: errno)
        }
        return ScratchSession(path: path, lockFD: fd)
    }

    /// Removes every session whose lock nobody holds (its build died), mounts first, deepest first.
    static func sweep(root: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return }
        for name in names where name.hasPrefix("session-") && name.hasSuffix(".lock") {
            let lock = root + "/" + name
            let fd = open(lock, O_RDWR | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }  // a live build
            remove(String(lock.dropLast(".lock".count)))
        }
    }

    /// Unmounts what is mounted below `session` (deepest first), then removes it and its lock file. Nothing is
    /// removed while a mount remains: the walk must never reach into a mounted tree.
    private static func remove(_ session: String) {
        // The kernel lists canonical paths: compare with the session's (the store root may be given as "dir/").
        guard let resolved = realpath(session, nil) else { unlink(session + ".lock"); return }
        let canonical = String(cString: resolved)
        free(resolved)
        for mountPoint in mountPoints(under: canonical + "/").sorted(by: { $0.count > $1.count }) {
            _ = umount2(mountPoint, Int32(MNT_DETACH))
        }
        guard mountPoints(under: canonical + "/").isEmpty else { return }
        try? LayerTreeRemoval.removeTree(atPath: session)
        unlink(session + ".lock")
    }

    /// Mount points below `prefix`, from /proc/self/mountinfo (octal escapes decoded).
    static func mountPoints(under prefix: String) -> [String] {
        // Read to the end with read(2): procfs files report size 0, which whole-file readers trust.
        let fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += chunk[..<count]
        }
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
