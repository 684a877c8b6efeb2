import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import OCI

/// A blob being downloaded: bounded buffering (one network chunk at a time), hashed as it arrives, verified
/// at the end against its digest (and size when known). A dropped connection is resumed with
/// `Range: bytes=N-`; a server that ignores Range (200) is re-read from the start, skipping N bytes.
/// Used by one task at a time.
public final class RegistryBlobStream {
    public let digest: Digest
    public let size: Int64?
    private let transport: HTTPTransport
    private let request: RegistryRequest
    private var iterator: HTTPClientResponse.Body.AsyncIterator?
    private var pending: ByteBuffer?
    private var hasher: ContentHasher
    private var received: Int64 = 0
    /// Bytes to discard after a restart from byte 0.
    private var skip: Int64 = 0
    private var resumes = 0
    private var finished = false
    /// Every byte was read and matched `digest` (and `size`).
    public private(set) var isVerified = false

    /// Bytes delivered so far.
    public var bytesRead: Int64 { received }

    init(digest: Digest, size: Int64?, transport: HTTPTransport, request: RegistryRequest, response: HTTPClientResponse) {
        self.digest = digest
        self.size = size
        self.transport = transport
        self.request = request
        self.hasher = ContentHasher(algorithm: digest.algorithm)
        self.iterator = response.body.makeAsyncIterator()
    }

    /// Fills `buffer` with the next bytes; 0 once the whole verified blob has been read. Network chunks are
    /// small (tens of KiB): the buffer is filled across several of them, so callers make few large writes.
    public func read(into buffer: UnsafeMutableRawBufferPointer) async throws -> Int {
        guard buffer.count > 0 else { return 0 }
        var filled = 0
        while !finished && filled < buffer.count {
            if var chunk = pending, chunk.readableBytes > 0 {
                if skip > 0 {
                    let dropped = Int(min(Int64(chunk.readableBytes), skip))
                    chunk.moveReaderIndex(forwardBy: dropped)
                    skip -= Int64(dropped)
                    pending = chunk
                    continue
                }
                var count = min(buffer.count - filled, chunk.readableBytes)
                if let size { count = Int(min(Int64(count), max(size - received, 0))) }
                if count == 0 { throw RegistryError.blobSizeMismatch(digest: digest, expected: size ?? 0, actual: received + Int64(chunk.readableBytes)) }
                chunk.withUnsafeReadableBytes { source in
                    let slice = UnsafeRawBufferPointer(rebasing: source[..<count])
                    (buffer.baseAddress! + filled).copyMemory(from: slice.baseAddress!, byteCount: count)
                    hasher.update(slice)
                }
                chunk.moveReaderIndex(forwardBy: count)
                pending = chunk
                received += Int64(count)
                filled += count
                continue
            }
            pending = nil
            do {
                guard var current = iterator else { throw RegistryError.truncated(url: request.url) }
                let next = try await current.next()
                iterator = current
                if let next {
                    pending = next
                    continue
                }
                iterator = nil
                if let size, received < size { throw RegistryError.truncated(url: request.url) }
                try verify()
                isVerified = true
                finished = true
            } catch {
                iterator = nil
                guard RetryPolicy.isRetryable(error: error) || error is HTTPParserError else { throw error }
                try await resume(after: error)
            }
        }
        return filled
    }

    /// Stops reading; the connection is released.
    public func close() {
        iterator = nil
        pending = nil
        finished = true
    }

    private func verify() throws {
        if let size, received != size {
            throw RegistryError.blobSizeMismatch(digest: digest, expected: size, actual: received)
        }
        if hasher.finalize() != digest { throw RegistryError.blobDigestMismatch(expected: digest) }
    }

    private func resume(after error: any Error) async throws {
        resumes += 1
        guard resumes < transport.retry.maxAttempts, transport.retryBudget.spend() else {
            throw HTTPTransport.bodyError(error, url: request.url, idle: transport.options.requestTimeout)
        }
        try await Task.sleep(for: transport.retry.delay(afterAttempt: resumes))
        var again = request
        if received > 0 { again.headers.replaceOrAdd(name: "Range", value: "bytes=\(received)-") }
        let response = try await transport.send(again)
        switch response.status.code {
        case 206 where received > 0:
            let start = response.headers.first(name: "Content-Range").flatMap(RegistryBlobStream.rangeStart)
            guard start == nil || start == received else {
                await transport.drain(response)
                throw RegistryError.invalidResponse("registry resumed \(digest) at the wrong offset")
            }
        case 200:
            skip = received
        default:
            throw await transport.error(for: response, url: request.url)
        }
        iterator = response.body.makeAsyncIterator()
    }

    /// The first byte of `bytes START-END/TOTAL`.
    static func rangeStart(_ header: String) -> Int64? {
        var text = Substring(header)
        if text.hasPrefix("bytes ") { text = text.dropFirst(6) }
        guard let dash = text.firstIndex(of: "-") else { return nil }
        return Int64(text[..<dash])
    }
}
