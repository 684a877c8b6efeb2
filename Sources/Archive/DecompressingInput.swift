#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import OCI

/// A pull reader over a descriptor (file or pipe) that transparently decodes gzip, bzip2, xz or zstd
/// input, sniffed from its magic bytes; plain input passes through unchanged.
public final class DecompressingInput {
    private let source: ByteSource
    private let decodeAhead: DecodeAheadSource?
    /// The compression the input arrived in.
    public let compression: CompressionFormat

    /// Sniffs `fileDescriptor` (not closed by the reader); nothing is seeked, so pipes work.
    /// With `decodeAhead`, compressed input is decoded on a thread of its own a few MiB ahead of the
    /// reader (call `close()` before closing the descriptor). gzip's CRC-32 is always checked.
    ///
    /// With `measuring` and plain input, a thread of its own reads ahead and hashes every byte, so `decodedDigest`
    /// gives the stream's diffID once it has been read to its end: the reader's thread only parses. Compressed input
    /// is not hashed here: decoding already fills the decode-ahead thread, so the reader hashes (`measures` is false).
    public init(fileDescriptor: Int32, decodeAhead: Bool = false, measuring: Bool = false) throws {
        let (decoder, compression) = try DecompressingReader.open(fileDescriptor)
        self.compression = compression
        let hashesAhead = measuring && compression == .none
        if hashesAhead || (decodeAhead && compression != .none) {
            let threaded = DecodeAheadSource(source: decoder, measuring: hashesAhead)
            self.decodeAhead = threaded
            source = threaded
        } else {
            self.decodeAhead = nil
            source = decoder
        }
    }

    deinit { close() }

    /// Reads up to `buffer.count` decoded bytes; returns 0 only at the end of the stream.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try source.read(into: buffer)
    }

    /// With `measuring`: the digest of the whole decoded stream, once it has been read to the end; else nil.
    public var decodedDigest: Digest? { decodeAhead?.decodedDigest }

    /// Whether this input hashes what it decodes (`measuring`).
    public var measures: Bool { decodeAhead?.isMeasuring ?? false }

    /// Stops decoding ahead (waits for the decoding thread); reads return 0 afterwards. Idempotent.
    public func close() {
        decodeAhead?.stop()
    }
}
