import CIsal

/// isa-l's inflate state set up for raw deflate (a zip member has no gzip or zlib wrapper), with its output buffer.
final class ZipInflater {
    static let outputSize = 256 << 10
    let state = UnsafeMutablePointer<inflate_state>.allocate(capacity: 1)
    let output = UnsafeMutableRawBufferPointer.allocate(byteCount: outputSize, alignment: 16)

    init() throws {
        state.initialize(to: inflate_state())
        isal_inflate_init(state)
        state.pointee.crc_flag = UInt32(ISAL_DEFLATE)  // raw deflate; the CRC is computed over the output below
        state.pointee.hist_bits = 0  // the full 32 KiB window
    }

    deinit {
        state.deallocate()
        output.deallocate()
    }

    var finished: Bool { state.pointee.block_state == ISAL_BLOCK_FINISH }
}

/// One entry's decoding: counts and checksums what it hands on, refuses more than the declared size (so a lying
/// header cannot make it inflate without bound) and checks size and CRC-32 at the end.
final class ZipEntryDecoder {
    private let entry: ZipEntry
    private let displayName: String
    private var produced: UInt64 = 0
    private var crc: UInt32 = 0

    init(entry: ZipEntry, displayName: String) {
        self.entry = entry
        self.displayName = displayName
    }

    func passStored(_ chunk: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try emit(chunk, body)
    }

    func inflate(_ chunk: UnsafeRawBufferPointer, with inflater: ZipInflater,
                 _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !inflater.finished, let base = chunk.baseAddress, chunk.count > 0 else { return }
        let state = inflater.state
        state.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: UInt8.self))
        state.pointee.avail_in = UInt32(chunk.count)
        while true {
            let inputBefore = state.pointee.avail_in
            let produced = try inflateOnce(inflater)
            if produced > 0 { try emit(UnsafeRawBufferPointer(rebasing: inflater.output[..<produced]), body) }
            if inflater.finished { break }
            if produced == 0 && state.pointee.avail_in == inputBefore {
                throw ZipArchiveError(.corrupt, "zip: \(displayName): corrupt deflate data (no progress)")
            }
            // Input used up and the output not full: isa-l wants more input.
            if state.pointee.avail_in == 0 && produced < inflater.output.count { break }
        }
        state.pointee.next_in = nil
        state.pointee.avail_in = 0
    }

    /// After the last compressed byte: flush what isa-l still holds; the stream must have reached its final block.
    func finishInflating(with inflater: ZipInflater, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        while !inflater.finished {
            let produced = try inflateOnce(inflater)
            if produced > 0 {
                try emit(UnsafeRawBufferPointer(rebasing: inflater.output[..<produced]), body)
            } else if !inflater.finished {
                throw ZipArchiveError(.truncated, "zip: \(displayName): compressed data ends early")
            }
        }
    }

    func verifyEnd() throws {
        guard produced == entry.uncompressedSize else {
            throw ZipArchiveError(.corrupt, "zip: \(displayName): \(produced) bytes where the header says \(entry.uncompressedSize)")
        }
        guard crc == entry.crc32 else {
            throw ZipArchiveError(.checksumMismatch, "zip: \(displayName): bad CRC-32")
        }
    }

    private func inflateOnce(_ inflater: ZipInflater) throws -> Int {
        let state = inflater.state
        state.pointee.next_out = inflater.output.baseAddress!.assumingMemoryBound(to: UInt8.self)
        state.pointee.avail_out = UInt32(inflater.output.count)
        let status = isal_inflate(state)
        guard status >= ISAL_DECOMP_OK else {
            throw ZipArchiveError(.corrupt, "zip: \(displayName): corrupt deflate data")
        }
        return inflater.output.count - Int(state.pointee.avail_out)
    }

    private func emit(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !bytes.isEmpty else { return }
        guard UInt64(bytes.count) <= entry.uncompressedSize - produced else {
            throw ZipArchiveError(.corrupt, "zip: \(displayName): more data than the header's \(entry.uncompressedSize) bytes")
        }
        produced += UInt64(bytes.count)
        crc = crc32_gzip_refl(crc, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
        try body(bytes)
    }
}
