/// Buffered pull reader over a (decompressed) layer stream for `LayerApplier`: entry data is handed
/// out as spans of one large buffer, so copying a file costs one read and one write per chunk.
final class LayerApplyReader {
    private let source: ByteSource
    private let buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var reachedEnd = false

    init(source: ByteSource, capacity: Int) {
        self.source = source
        buffer = .allocate(byteCount: max(capacity, 4096), alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// Up to `limit` bytes (refilling when empty); empty only at the end of the input.
    func next(upTo limit: Int) throws -> UnsafeRawBufferPointer {
        if start == end {
            start = 0
            end = 0
            try fill(atLeast: 1)
        }
        let count = min(limit, end - start)
        defer { start += count }
        return UnsafeRawBufferPointer(rebasing: buffer[start..<(start + count)])
    }

    /// `count` contiguous bytes (at most the capacity); fewer only at the end of the input.
    func contiguous(_ count: Int) throws -> UnsafeRawBufferPointer {
        if end - start < count {
            if start > 0 {
                let pending = end - start
                if pending > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: pending) }
                start = 0
                end = pending
            }
            try fill(atLeast: count)
        }
        let available = min(count, end - start)
        defer { start += available }
        return UnsafeRawBufferPointer(rebasing: buffer[start..<(start + available)])
    }

    private func fill(atLeast count: Int) throws {
        while end - start < count && !reachedEnd && end < buffer.count {
            let got = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[end...]))
            if got == 0 { reachedEnd = true }
            end += got
        }
    }
}
