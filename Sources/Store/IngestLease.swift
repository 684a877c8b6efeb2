import Archive
import Foundation
import Synchronization

/// A cross-process reader/writer lock on `<root>/gc.lock`: writers of new blobs hold it shared for the
/// whole ingest-and-commit, and garbage collection only deletes blob files while it holds it exclusively.
public struct IngestLease: Sendable {
    let path: String

    /// Runs `body` while holding the lease shared (blocks only while a GC sweep runs).
    public func shared<T>(_ body: () throws -> T) throws -> T {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.posix("open \(path)") }
        defer { close(fd) }
        guard FileDescriptorIO.retryingInterrupts({ flock(fd, LOCK_SH) }) == 0 else { throw StoreError.posix("lock \(path)") }
        return try body()
    }

    /// Takes the lease shared until the returned hold is released (for writers whose work is async).
    public func acquireShared() throws -> IngestLeaseHold {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.posix("open \(path)") }
        guard FileDescriptorIO.retryingInterrupts({ flock(fd, LOCK_SH) }) == 0 else {
            let error = StoreError.posix("lock \(path)")
            close(fd)
            throw error
        }
        return IngestLeaseHold(fd: fd)
    }

    /// Runs `body` only if no writer holds the lease; returns whether it ran.
    @discardableResult
    func tryExclusive(_ body: () -> Void) -> Bool {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { return false }
        body()
        return true
    }
}

extension ImageStore {
    public var ingestLease: IngestLease { IngestLease(path: root.gcLockPath) }
}

/// A shared hold on the ingest lease; released by `release()` or when dropped.
public final class IngestLeaseHold: Sendable {
    /// The locked descriptor, -1 once released.
    private let lockFD: Mutex<Int32>

    init(fd: Int32) { lockFD = Mutex(fd) }

    public func release() {
        lockFD.withLock { fd in
            if fd >= 0 { close(fd); fd = -1 }
        }
    }

    deinit { release() }
}
