#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pull reader over a descriptor (file or pipe) that transparently decodes gzip, bzip2, xz or zstd
/// input, sniffed from its magic bytes; plain input passes through unchanged.
public final class DecompressingInput {
    private let source: ByteSource
    /// The compression the input arrived in.
    public let compression: CompressionFormat

    /// Sniffs `fileDescriptor` (not closed by the reader); nothing is seeked, so pipes work.
    public init(fileDescriptor: Int32) throws {
        (source, compression) = try DecompressingReader.open(fileDescriptor)
    }

    /// Reads up to `buffer.count` decoded bytes; returns 0 only at the end of the stream.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try source.read(into: buffer)
    }
}
