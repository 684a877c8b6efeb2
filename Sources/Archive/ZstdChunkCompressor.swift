import CZstd

/// One zstd frame per chunk (with content size and checksum) from a reusable context; concatenated
/// frames are a valid zstd stream (`zstd -d` restores the concatenated input).
final class ZstdChunkCompressor: ChunkCompressor {
    private let context: OpaquePointer

    /// `level`: zstd's range (negative "fast" levels ... 22).
    init(level: Int32) throws {
        guard (ZSTD_minCLevel()...ZSTD_maxCLevel()).contains(level) else {
            throw ArchiveError.invalidArgument("zstd: invalid compression level \(level)")
        }
        guard let context = ZSTD_createCCtx() else { throw ArchiveError.invalidArgument("zstd: out of memory") }
        self.context = context  // from here on, deinit frees it
        let levelStatus = ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level)
        let checksumStatus = ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)
        guard ZSTD_isError(levelStatus) == 0, ZSTD_isError(checksumStatus) == 0 else {
            throw ArchiveError.invalidArgument("zstd: invalid compression level \(level)")
        }
    }

    deinit { ZSTD_freeCCtx(context) }

    func outputBound(inputCount: Int) -> Int {
        ZSTD_compressBound(inputCount)
    }

    func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int? {
        let written = ZSTD_compress2(context, output.baseAddress, output.count, input.baseAddress, input.count)
        return ZSTD_isError(written) == 0 ? written : nil
    }
}
