import Archive
import Foundation
import OCI

/// What the store knows of one blob without reading it.
public struct ContentInfo: Sendable, Hashable {
    public let digest: Digest
    public let size: Int64
}

/// Content-addressed storage as a registry server, a copy or a build sees it: info, readers with byte ranges, and
/// writers as named ingest sessions that survive the writer (another process resumes at the offset reached) and
/// commit only bytes that hash to the digest promised. ``BlobStore`` is the filesystem implementation.
public protocol ContentStore: Sendable {
    func info(_ digest: Digest) throws -> ContentInfo?
    /// The blob's bytes from `range` (the whole blob when nil); the range must lie within the blob.
    func reader(_ digest: Digest, range: Range<Int64>?) throws -> ContentReader
    /// Opens (or resumes) the ingest session `name`. One writer holds a session at a time; a session whose writer
    /// died is free again and resumes at its `offset`.
    func writer(session name: String) throws -> ContentWriter
    func delete(_ digest: Digest) throws
}

/// Reads part or all of one stored blob. Not shared between tasks.
public final class ContentReader {
    private let fd: Int32
    private var position: Int64
    private let end: Int64

    init(fd: Int32, range: Range<Int64>) {
        self.fd = fd
        position = range.lowerBound
        end = range.upperBound
    }

    deinit { close(fd) }

    /// Bytes left in the range.
    public var remaining: Int64 { end - position }

    /// Fills as much of `buffer` as the range allows; 0 at its end.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let wanted = Int(min(Int64(buffer.count), remaining))
        guard wanted > 0 else { return 0 }
        let count = try FileDescriptorIO.readSome(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<wanted]),
                                                  at: position, what: "read blob")
        if count == 0 { throw StoreError.corrupt("blob ended \(remaining) bytes early") }
        position += Int64(count)
        return count
    }
}

/// One named ingest session: bytes appended at `offset`, then committed under a digest they must hash to.
/// Holding the session's `flock` is what makes it this writer's; closing without commit keeps the bytes for a later
/// writer. Not shared between tasks.
public final class ContentWriter {
    public let name: String
    private let path: String
    private let blobs: BlobStore
    private var fd: Int32
    private var hasher = SHA256Hasher()
    /// Bytes in the session so far (including those a previous writer left).
    public private(set) var offset: Int64 = 0

    init(name: String, path: String, blobs: BlobStore) throws {
        self.name = name
        self.path = path
        self.blobs = blobs
        fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw StoreError.posix("open ingest session \(name)") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            Glibc.close(fd)
            throw StoreError.conflict("ingest session \(name) is in use by another writer")
        }
        // Resume: hash what an earlier writer left, so commit checks every byte.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count: Int
            do { count = try FileDescriptorIO.readSome(fd, into: buffer, at: offset, what: "read ingest session \(name)") } catch {
                Glibc.close(fd)
                throw error
            }
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            offset += Int64(count)
        }
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard fd >= 0 else { throw StoreError.invalid("ingest session \(name) is closed") }
        try FileDescriptorIO.writeAll(fd, bytes, at: offset, what: "write ingest session \(name)")
        hasher.update(bufferPointer: bytes)
        offset += Int64(bytes.count)
    }

    /// Names the bytes `digest` once they hash to it (and count `size`, when given); the session ends either way
    /// unless the check fails, when the bytes stay for inspection or `abort`.
    @discardableResult
    public func commit(as digest: Digest, size: Int64? = nil) throws -> ContentInfo {
        guard fd >= 0 else { throw StoreError.invalid("ingest session \(name) is closed") }
        if let size, size != offset {
            throw StoreError.invalid("ingest session \(name): expected \(size) bytes, have \(offset)")
        }
        var copy = hasher
        let actual = copy.finalize()
        guard actual == digest else {
            throw StoreError.digestMismatch(expected: digest.description, actual: actual.description)
        }
        // A write that failed part-way may have left bytes past `offset`: they are not part of the blob.
        guard ftruncate(fd, off_t(offset)) == 0, fsync(fd) == 0 else { throw StoreError.posix("sync ingest session \(name)") }
        let target = blobs.path(for: digest)
        if blobs.contains(digest) {
            unlink(path)
        } else {
            guard fchmod(fd, 0o644) == 0, rename(path, target) == 0 else { throw StoreError.posix("commit blob \(digest)") }
            BlobStore.syncDirectory(of: target)
        }
        Glibc.close(fd)
        fd = -1
        return ContentInfo(digest: digest, size: offset)
    }

    /// Ends the session and drops its bytes.
    public func abort() {
        guard fd >= 0 else { return }
        unlink(path)
        Glibc.close(fd)
        fd = -1
    }

    /// Lets the session go with its bytes kept, for a later writer to resume.
    public func close() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }
}

extension BlobStore: ContentStore {
    public func info(_ digest: Digest) throws -> ContentInfo? {
        size(of: digest).map { ContentInfo(digest: digest, size: $0) }
    }

    public func reader(_ digest: Digest, range: Range<Int64>? = nil) throws -> ContentReader {
        let fd = open(path(for: digest), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw StoreError.blobMissing(digest.description) }
            throw StoreError.posix("open blob \(digest)")
        }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            close(fd)
            throw StoreError.posix("stat blob \(digest)")
        }
        let whole = 0..<Int64(status.st_size)
        let wanted = range ?? whole
        guard wanted.lowerBound >= 0, wanted.upperBound <= whole.upperBound else {
            close(fd)
            throw StoreError.invalid("range \(wanted.lowerBound)-\(wanted.upperBound) is outside blob \(digest) (\(whole.upperBound) bytes)")
        }
        return ContentReader(fd: fd, range: wanted)
    }

    public func writer(session name: String) throws -> ContentWriter {
        guard !name.isEmpty else { throw StoreError.invalid("an ingest session needs a name") }
        if mkdir(root.ingestSessionsDirectory, 0o700) != 0 && errno != EEXIST {
            throw StoreError.posix("create \(root.ingestSessionsDirectory)")
        }
        // Any name (a registry upload UUID, a ref) maps to one file name.
        let file = root.ingestSessionsDirectory + "/" + Digest.sha256(Data(name.utf8)).encoded
        return try ContentWriter(name: name, path: file, blobs: self)
    }

    /// Removes sessions nobody holds that were last written before `date` (an abandoned upload).
    public func sweepSessions(untouchedSince date: Date) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root.ingestSessionsDirectory) else { return }
        for name in names {
            let file = root.ingestSessionsDirectory + "/" + name
            var status = stat()
            guard stat(file, &status) == 0, Double(status.st_mtim.tv_sec) < date.timeIntervalSince1970 else { continue }
            let fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else { continue }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { unlink(file) }
            close(fd)
        }
    }

    /// Makes a new directory entry durable.
    static func syncDirectory(of path: String) {
        let fd = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
