import CZlib

/// One gzip member per chunk with a reusable zlib stream; the concatenation is a valid
/// multi-member gzip file (`gzip -d`, Go's gzip.Reader).
final class GzipChunkCompressor: ChunkCompressor {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)

    /// `level`: 1 (BestSpeed) ... 9.
    init(level: Int32) throws {
        stream.initialize(to: z_stream())
        let status = deflateInit2_(
            stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
            Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {  // deinit frees the stream (deflateEnd ignores a failed one)
            throw ArchiveError.invalidArgument("gzip: invalid compression level \(level)")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    func outputBound(inputCount: Int) -> Int {
        Int(deflateBound(stream, UInt(inputCount)))
    }

    func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int? {
        deflateReset(stream)
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = UInt32(input.count)
        stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
        stream.pointee.avail_out = UInt32(output.count)
        guard deflate(stream, Z_FINISH) == Z_STREAM_END else { return nil }
        return output.count - Int(stream.pointee.avail_out)
    }
}
