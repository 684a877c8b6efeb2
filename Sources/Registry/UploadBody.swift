import AsyncHTTPClient
import NIOCore

/// Bytes to upload, pulled in order: a file, a compressing pipe, memory. `read` fills `buffer` and returns how
/// many bytes it wrote, 0 at the end.
public protocol UploadBody: AnyObject {
    func read(into buffer: UnsafeMutableRawBufferPointer) async throws -> Int
}

/// An ``UploadBody`` over bytes already in memory.
public final class DataUploadBody: UploadBody {
    private let bytes: [UInt8]
    private var offset = 0

    public init(_ bytes: some Sequence<UInt8>) { self.bytes = Array(bytes) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) async throws -> Int {
        let count = min(buffer.count, bytes.count - offset)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: count)
        }
        offset += count
        return count
    }
}

/// Hands an upload body to AHC as length-limited ByteBuffer sequences. `@unchecked Sendable` because AHC
/// pulls one request body at a time and the upload sends its requests one after another, so the body is
/// never read concurrently.
final class UploadReader: @unchecked Sendable {
    private let body: any UploadBody
    private(set) var consumed: Int64 = 0
    static let pieceSize = 256 << 10

    init(_ body: any UploadBody) { self.body = body }

    /// The next `length` bytes of the body; fails if the body ends sooner.
    func sequence(length: Int64) -> Pieces { Pieces(reader: self, length: length) }

    /// A request body opener for the `length` bytes at `offset`: it can be opened again only as long as
    /// nothing has been read past `offset` (a resend after a 401 whose first attempt never sent a byte).
    func opener(at offset: Int64, length: Int64) -> @Sendable () throws -> Pieces {
        { [self] in
            guard consumed == offset else { throw UploadRestartRequired() }
            return Pieces(reader: self, length: length)
        }
    }

    /// Scratch the body reads into; an async read cannot hold a ByteBuffer's storage across suspension.
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: UploadReader.pieceSize, alignment: 16)

    deinit { scratch.deallocate() }

    fileprivate func next(limit: Int) async throws -> ByteBuffer? {
        guard limit > 0 else { return nil }
        let count = try await body.read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[..<min(limit, scratch.count)]))
        guard count > 0 else { return nil }
        consumed += Int64(count)
        return ByteBuffer(bytes: UnsafeRawBufferPointer(rebasing: scratch[..<count]))
    }

    struct Pieces: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let reader: UploadReader
        let length: Int64

        func makeAsyncIterator() -> Iterator { Iterator(reader: reader, remaining: length) }

        struct Iterator: AsyncIteratorProtocol {
            let reader: UploadReader
            var remaining: Int64

            mutating func next() async throws -> ByteBuffer? {
                guard remaining > 0 else { return nil }
                guard let piece = try await reader.next(limit: Int(Swift.min(remaining, Int64(UploadReader.pieceSize)))) else {
                    throw RegistryError.invalidResponse("upload body ended \(remaining) bytes early")
                }
                remaining -= Int64(piece.readableBytes)
                return piece
            }
        }
    }
}


/// A streamed request body had to be sent again after some of it was consumed; the upload restarts from
/// byte 0 with a fresh body.
struct UploadRestartRequired: Error, CustomStringConvertible {
    var description: String { "the upload had to be sent again and its body cannot be rewound" }
}
