import Archive
import Foundation
import OCI

/// Reads a file descriptor to its end; closes it on `close()`.
public final class FileBlobReader: BlobReader {
    private var fd: Int32

    public init(fileDescriptor: Int32) { fd = fileDescriptor }

    public convenience init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TransportError.missingFile(path) }
        self.init(fileDescriptor: fd)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) async throws -> Int {
        try readBlocking(into: buffer)
    }

    func readBlocking(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try FileDescriptorIO.readSome(fd, into: buffer)
    }

    public func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    deinit { close() }
}

/// Reads bytes already in memory (a small document: a cache config, a manifest's blob).
public final class DataBlobReader: BlobReader {
    private let data: Data
    private var offset = 0

    public init(_ data: Data) { self.data = data }

    public func read(into buffer: UnsafeMutableRawBufferPointer) async throws -> Int {
        let count = min(buffer.count, data.count - offset)
        guard count > 0 else { return 0 }
        data.copyBytes(to: buffer.bindMemory(to: UInt8.self), from: offset..<(offset + count))
        offset += count
        return count
    }

    public func close() {}
}

/// Decodes a compressed blob file (gzip, zstd, …) to its tar bytes, on a thread of its own a few chunks
/// ahead of the reader, so that decoding and the consumer (hashing, writing) use both cores.
public final class DecompressingBlobReader: BlobReader {
    private let file: FileBlobReader
    private let input: DecompressingInput

    public init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TransportError.missingFile(path) }
        file = FileBlobReader(fileDescriptor: fd)
        input = try DecompressingInput(fileDescriptor: fd, decodeAhead: true)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) async throws -> Int {
        try input.read(into: buffer)
    }

    public func close() {
        input.close()  // the decoding thread reads the descriptor: stop it first
        file.close()
    }

    deinit { close() }
}

/// Passes bytes through while hashing and counting them; `finish` checks them against what was promised.
public final class VerifyingBlobReader: BlobReader {
    private let inner: any BlobReader
    private var hasher = SHA256Hasher()
    public private(set) var byteCount: Int64 = 0
    public let expectedDigest: Digest
    public let expectedSize: Int64?
    private let what: String
    private var verified = false
    /// The reader at the bottom when it checks this same digest itself: then only sizes are counted here.
    private let checkedBy: (any SelfVerifyingBlobReader)?

    /// `source`: the reader `inner` reads from, in case it verifies `digest` on its own.
    init(_ inner: any BlobReader, digest: Digest, size: Int64?, what: String, source: (any BlobReader)? = nil) {
        self.inner = inner
        expectedDigest = digest
        expectedSize = size
        self.what = what
        checkedBy = source as? any SelfVerifyingBlobReader
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) async throws -> Int {
        let count = try await inner.read(into: buffer)
        if count > 0 {
            if checkedBy == nil { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count])) }
            byteCount += Int64(count)
        }
        // A consumer that stops at the promised size (an upload of known length) never asks for the end, where
        // the source does its check: ask for it here.
        if let checkedBy, count > 0, let expectedSize, byteCount == expectedSize, checkedBy.verifiedDigest == nil {
            let probe = UnsafeMutableRawBufferPointer.allocate(byteCount: 1, alignment: 1)
            defer { probe.deallocate() }
            let extra = try await inner.read(into: probe)
            if extra > 0 { throw TransportError.sizeMismatch(what: what, expected: expectedSize, actual: byteCount + Int64(extra)) }
        }
        return count
    }

    public func close() { inner.close() }

    /// Throws unless the bytes read so far have the expected digest (and size, when known). Idempotent.
    public func finish() throws {
        if verified { return }
        if let expectedSize, expectedSize != byteCount {
            throw TransportError.sizeMismatch(what: what, expected: expectedSize, actual: byteCount)
        }
        if let checkedBy {
            guard checkedBy.verifiedDigest == expectedDigest else {
                throw TransportError.digestMismatch(what: what, expected: expectedDigest.description, actual: "(not fully read)")
            }
            verified = true
            return
        }
        let actual = hasher.finalize()
        guard actual == expectedDigest else {
            throw TransportError.digestMismatch(what: what, expected: expectedDigest.description, actual: actual.description)
        }
        verified = true
    }
}

extension BlobReader {
    /// Reads everything (small blobs only: configs, manifests).
    func readAll(limit: Int = 64 << 20) async throws -> Data {
        var data = Data()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try await read(into: buffer)
            if count == 0 { return data }
            data.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            if data.count > limit { throw TransportError.invalidArchive("a metadata file exceeds \(limit) bytes") }
        }
    }
}
