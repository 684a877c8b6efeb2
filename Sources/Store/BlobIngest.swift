import Archive
import Foundation
import OCI
import Synchronization

/// One blob being written. Callers write through `fd` (or `write(_:)`), then `commit(as:)` names it.
public final class BlobIngest: Sendable {
    public let fd: Int32
    private let store: BlobStore
    /// nil for an unnamed O_TMPFILE inode; else the locked temp path in `ingest/`.
    private let temporaryPath: String?
    /// Set by the first `commit` or `abort`: the descriptor is closed then.
    private let finished = Mutex(false)

    private init(fd: Int32, store: BlobStore, temporaryPath: String?) {
        self.fd = fd
        self.store = store
        self.temporaryPath = temporaryPath
    }

    /// Linux's `O_TMPFILE` (`__O_TMPFILE | O_DIRECTORY`), which Glibc's Swift overlay does not export.
    private static let openTemporaryFile: Int32 = 0o20000000 | O_DIRECTORY

    public static func begin(in store: BlobStore) throws -> BlobIngest {
        let directory = store.root.ingestDirectory
        let anonymous = open(directory, Self.openTemporaryFile | O_RDWR | O_CLOEXEC, 0o644)
        if anonymous >= 0 { return BlobIngest(fd: anonymous, store: store, temporaryPath: nil) }
        if errno == EROFS || errno == EACCES || errno == ENOSPC || errno == EDQUOT {
            throw StoreError.posix("create temp file in \(directory)")
        }
        for _ in 0..<8 {
            let name = "\(directory)/\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
            let fd = open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                if errno == EEXIST { continue }
                throw StoreError.posix("create temp file in \(directory)")
            }
            // A sweeper may have taken the lock between open and flock and deleted the name: check.
            if flock(fd, LOCK_EX) == 0, sameInode(fd: fd, path: name) {
                return BlobIngest(fd: fd, store: store, temporaryPath: name)
            }
            close(fd)
        }
        throw StoreError.invalid("could not create a temp file in \(directory)")
    }

    private static func sameInode(fd: Int32, path: String) -> Bool {
        var a = stat(), b = stat()
        return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try FileDescriptorIO.writeAll(fd, bytes, what: "write blob")
    }

    /// fsyncs the bytes and gives them their content-addressed name. When a blob with that digest
    /// already exists the new copy is dropped: content addressing makes them identical.
    public func commit(as digest: Digest) throws {
        precondition(!markFinished(), "blob ingest committed twice")
        defer { close(fd) }
        guard fsync(fd) == 0 else {
            let code = errno
            cleanupTemporary()
            throw StoreError.posix("fsync blob", code)
        }
        let destinationDirectory = "\(store.root.blobsDirectory)/\(digest.algorithm)"
        if mkdir(destinationDirectory, 0o755) != 0 && errno != EEXIST {
            let code = errno
            cleanupTemporary()
            throw StoreError.posix("create \(destinationDirectory)", code)
        }
        let destination = store.path(for: digest)
        if let temporaryPath {
            if rename(temporaryPath, destination) != 0 {
                let code = errno
                cleanupTemporary()
                throw StoreError.posix("rename blob into place", code)
            }
        } else if linkat(AT_FDCWD, "/proc/self/fd/\(fd)", AT_FDCWD, destination, AT_SYMLINK_FOLLOW) != 0 {
            if errno != EEXIST { throw StoreError.posix("link blob into place") }
        }
        let dirFD = open(destinationDirectory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 { fsync(dirFD); close(dirFD) }
    }

    public func abort() {
        guard !markFinished() else { return }
        cleanupTemporary()
        close(fd)
    }

    /// Marks the ingest finished; returns whether it already was.
    private func markFinished() -> Bool {
        finished.withLock { wasFinished in
            defer { wasFinished = true }
            return wasFinished
        }
    }

    private func cleanupTemporary() {
        if let temporaryPath { unlink(temporaryPath) }
    }

    deinit {
        if !finished.withLock({ $0 }) { cleanupTemporary(); close(fd) }
    }
}
