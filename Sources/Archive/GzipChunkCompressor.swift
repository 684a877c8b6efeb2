#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib

/// One gzip member per chunk with a reusable zlib stream; the concatenation is a valid
/// multi-member gzip file (`gzip -d`, Go's gzip.Reader).
///
/// Sub-blocks that are incompressible (already compressed or random: a byte histogram near 8 bits
/// of entropy, confirmed by a small trial compression) are written as stored deflate blocks,
/// switching level with `deflateParams`: deflate at level 1 spends most of its time failing to
/// find matches in such data and gains nothing, so this saves much of the CPU on typical layers
/// at no real cost in size. A wrong guess only costs size or time, never correctness.
final class GzipChunkCompressor: ChunkCompressor {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    /// Raw deflate at level 1 for the trial compression, and its output buffer.
    private let probe = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private let probeOutput = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 * probeSize, alignment: 16)
    static let probeSize = 4096
    private let level: Int32
    private var currentLevel: Int32

    /// Bytes judged at a time; small enough to follow a tar of mixed files, large enough that
    /// the block switch overhead (a few bytes) does not matter.
    static let subBlockSize = 16 << 10

    /// `level`: 1 (BestSpeed) ... 9.
    init(level: Int32) throws {
        self.level = level
        currentLevel = level
        stream.initialize(to: z_stream())
        probe.initialize(to: z_stream())
        let status = deflateInit2_(
            stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
            Int32(MemoryLayout<z_stream>.size))
        let probeStatus = deflateInit2_(
            probe, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK, probeStatus == Z_OK else {  // deinit frees the stream (deflateEnd ignores a failed one)
            throw ArchiveError.invalidArgument("gzip: invalid compression level \(level)")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
        deflateEnd(probe)
        probe.deallocate()
        probeOutput.deallocate()
    }

    func outputBound(inputCount: Int) -> Int {
        // Stored blocks and level switches add a few bytes per sub-block beyond zlib's own bound.
        Int(deflateBound(stream, UInt(inputCount))) + (inputCount / Self.subBlockSize + 1) * 64
    }

    func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int? {
        deflateReset(stream)
        stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
        stream.pointee.avail_out = UInt32(output.count)
        var offset = 0
        repeat {
            let end = min(offset + Self.subBlockSize, input.count)
            let block = UnsafeRawBufferPointer(rebasing: input[offset..<end])
            let wanted = level > 0 && isIncompressible(block) ? 0 : level
            if wanted != currentLevel {
                guard deflateParams(stream, wanted, Z_DEFAULT_STRATEGY) == Z_OK else { return nil }
                currentLevel = wanted
            }
            stream.pointee.next_in = UnsafeMutablePointer(mutating: block.baseAddress?.assumingMemoryBound(to: UInt8.self))
            stream.pointee.avail_in = UInt32(block.count)
            let last = end == input.count
            let status = deflate(stream, last ? Z_FINISH : Z_NO_FLUSH)
            guard last ? status == Z_STREAM_END : (status == Z_OK && stream.pointee.avail_in == 0) else { return nil }
            offset = end
        } while offset < input.count
        return output.count - Int(stream.pointee.avail_out)
    }

    /// High byte entropy (cheap) and then a level-1 trial on the block's start saving under 3%.
    private func isIncompressible(_ block: UnsafeRawBufferPointer) -> Bool {
        guard block.count >= 2 * Self.probeSize, Self.hasHighEntropy(block) else { return false }
        deflateReset(probe)
        probe.pointee.next_in = UnsafeMutablePointer(mutating: block.baseAddress!.assumingMemoryBound(to: UInt8.self))
        probe.pointee.avail_in = UInt32(Self.probeSize)
        probe.pointee.next_out = probeOutput.baseAddress!.assumingMemoryBound(to: UInt8.self)
        probe.pointee.avail_out = UInt32(probeOutput.count)
        guard deflate(probe, Z_FINISH) == Z_STREAM_END else { return false }
        let produced = probeOutput.count - Int(probe.pointee.avail_out)
        return produced * 100 >= Self.probeSize * 97
    }

    /// Shannon entropy of a sample of the block (every other 1 KiB) above 7.9 bits per byte.
    /// Random data scores ~7.98 on an 8 KiB sample; text, code and binaries score 4.5–6.5.
    static func hasHighEntropy(_ block: UnsafeRawBufferPointer) -> Bool {
        var counts = [Int32](repeating: 0, count: 256)
        var sampled = 0
        counts.withUnsafeMutableBufferPointer { counts in
            var start = 0
            while start < block.count {
                let end = min(start + 1024, block.count)
                for index in start..<end { counts[Int(block[index])] &+= 1 }
                sampled += end - start
                start += 2048
            }
        }
        let total = Double(sampled)
        var entropy = 0.0
        for count in counts where count > 0 {
            let p = Double(count) / total
            entropy -= p * log2(p)
        }
        return entropy > 7.9
    }
}
