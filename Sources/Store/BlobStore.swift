import Archive
import Foundation
import OCI

/// Content-addressed blob files under `blobs/<algorithm>/<hex>`.
///
/// Every write is atomic: bytes go to an unnamed `O_TMPFILE` inode (or, where the filesystem lacks it,
/// a locked temp file in `ingest/`), are fsynced, and only then get their final name. A process killed
/// mid-write therefore leaves either nothing or an unnamed inode the kernel frees.
public struct BlobStore: Sendable {
    public let root: StoreRoot

    public init(root: StoreRoot) {
        self.root = root
    }

    public func path(for digest: Digest) -> String {
        "\(root.blobsDirectory)/\(digest.algorithm)/\(digest.encoded)"
    }

    public func contains(_ digest: Digest) -> Bool {
        access(path(for: digest), F_OK) == 0
    }

    public func size(of digest: Digest) -> Int64? {
        var info = stat()
        guard stat(path(for: digest), &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    /// Reads a whole (small) blob and verifies its digest before returning it.
    public func read(_ digest: Digest) throws -> Data {
        let file = path(for: digest)
        guard let data = FileManager.default.contents(atPath: file) else {
            throw StoreError.blobMissing(digest.description)
        }
        let actual = Digest.sha256(data)
        guard actual == digest else {
            throw StoreError.digestMismatch(expected: digest.description, actual: actual.description)
        }
        return data
    }

    /// Writes a small blob in full and returns its sha256 digest.
    @discardableResult
    public func write(_ data: Data) throws -> Digest {
        let digest = Digest.sha256(data)
        if contains(digest) { return digest }
        let ingest = try BlobIngest.begin(in: self)
        do {
            try data.withUnsafeBytes { try ingest.write($0) }
            try ingest.commit(as: digest)
        } catch {
            ingest.abort()
            throw error
        }
        return digest
    }

    public func delete(_ digest: Digest) throws {
        if unlink(path(for: digest)) != 0 && errno != ENOENT {
            throw StoreError.posix("remove blob \(digest)")
        }
    }

    /// Every blob on disk, whether or not metadata references it.
    public func allDigests() -> [Digest] {
        var result: [Digest] = []
        let fm = FileManager.default
        guard let algorithms = try? fm.contentsOfDirectory(atPath: root.blobsDirectory) else { return [] }
        for algorithm in algorithms.sorted() {
            guard let names = try? fm.contentsOfDirectory(atPath: "\(root.blobsDirectory)/\(algorithm)") else { continue }
            for name in names.sorted() {
                if let digest = try? Digest("\(algorithm):\(name)") { result.append(digest) }
            }
        }
        return result
    }

    /// Streams a blob through sha256 and reports whether it still matches its name.
    public func verify(_ digest: Digest) throws -> Bool {
        let fd = open(path(for: digest), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.posix("open blob \(digest)") }
        defer { close(fd) }
        var hasher = SHA256Hasher()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try FileDescriptorIO.readSome(fd, into: buffer, what: "read blob \(digest)")
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        return hasher.finalize() == digest
    }

    /// Removes temp files left by processes that died mid-write. A live writer holds an exclusive
    /// `flock` on its temp file, so only files nobody holds are removed.
    public func sweepAbandonedIngests() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root.ingestDirectory) else { return }
        for name in names {
            let file = "\(root.ingestDirectory)/\(name)"
            let fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else { continue }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { unlink(file) }
            close(fd)
        }
    }

    /// Creates the directory layout if needed.
    public func prepare() throws {
        for dir in [root.path, root.blobsDirectory, root.blobsDirectory + "/sha256", root.ingestDirectory] {
            if mkdir(dir, 0o755) != 0 && errno != EEXIST {
                throw StoreError.posix("create \(dir)")
            }
        }
    }
}
