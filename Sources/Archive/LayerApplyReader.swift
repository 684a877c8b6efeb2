/// Buffered pull reader over a (decompressed) layer stream for `LayerApplier`: entry data is handed
/// out as spans of the source's chunks, so copying a file costs one write per chunk and no memcpy.
/// A span stays valid until the next call.
final class LayerApplyReader {
    private let chunks: ChunkSource
    private var chunk = UnsafeRawBufferPointer(start: nil, count: 0)
    private var offset = 0
    private var reachedEnd = false
    /// Gathers a header block that straddles two chunks (only when a chunk is not a multiple of 512).
    private let carry: UnsafeMutableRawBufferPointer

    init(chunks: ChunkSource, maxContiguous: Int = TarHeaderBlock.size) {
        self.chunks = chunks
        carry = .allocate(byteCount: maxContiguous, alignment: 64)
    }

    deinit { carry.deallocate() }

    /// Up to `limit` bytes; empty only at the end of the input.
    func next(upTo limit: Int) throws -> UnsafeRawBufferPointer {
        if offset == chunk.count { guard try advance() else { return UnsafeRawBufferPointer(start: nil, count: 0) } }
        let count = min(limit, chunk.count - offset)
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: chunk[offset..<(offset + count)])
    }

    /// `count` contiguous bytes (at most `maxContiguous`); fewer only at the end of the input.
    func contiguous(_ count: Int) throws -> UnsafeRawBufferPointer {
        precondition(count <= carry.count)
        if offset == chunk.count { guard try advance() else { return UnsafeRawBufferPointer(start: nil, count: 0) } }
        if chunk.count - offset >= count {
            defer { offset += count }
            return UnsafeRawBufferPointer(rebasing: chunk[offset..<(offset + count)])
        }
        var filled = 0
        while filled < count {
            if offset == chunk.count { guard try advance() else { break } }
            let step = min(count - filled, chunk.count - offset)
            (carry.baseAddress! + filled).copyMemory(from: chunk.baseAddress! + offset, byteCount: step)
            filled += step
            offset += step
        }
        return UnsafeRawBufferPointer(rebasing: carry[0..<filled])
    }

    private func advance() throws -> Bool {
        guard !reachedEnd else { return false }
        guard let next = try chunks.nextChunk() else {
            reachedEnd = true
            chunk = UnsafeRawBufferPointer(start: nil, count: 0)
            offset = 0
            return false
        }
        chunk = next
        offset = 0
        return true
    }
}
