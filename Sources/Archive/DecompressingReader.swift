#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CBzip2
import CLzma
import CIsal
import CZstd

/// A pull source of (decompressed) tar bytes; `read` returns 0 only at the end of the stream.
protocol ByteSource: AnyObject {
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Opens the right decoder for a descriptor after sniffing its magic bytes (pipes are fine:
/// the sniffed bytes are replayed, nothing is seeked).
enum DecompressingReader {
    static let inputBufferSize = 1 << 20

    static func open(_ fd: Int32) throws -> (ByteSource, CompressionFormat) {
        let input = RawInput(fd: fd)
        try input.sniff(CompressionFormat.magicLength)
        let format = input.pending.withUnsafeBytes { CompressionFormat.detect($0) }
        switch format {
        case .none: return (input, format)
        case .gzip: return (try GzipDecoder(input), format)
        case .bzip2: return (try Bzip2Decoder(input), format)
        case .xz: return (try XzDecoder(input), format)
        case .zstd: return (try ZstdDecoder(input), format)
        }
    }
}

/// The undecoded input: a few sniffed bytes replayed first, then the descriptor itself.
final class RawInput: ByteSource {
    let fd: Int32
    var pending: [UInt8] = []
    private var pendingOffset = 0

    init(fd: Int32) { self.fd = fd }

    func sniff(_ count: Int) throws {
        pending = [UInt8](repeating: 0, count: count)
        let got = try pending.withUnsafeMutableBytes { try FileDescriptorIO.readFully(fd, into: $0) }
        pending.removeSubrange(got...)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if pendingOffset < pending.count {
            let count = min(buffer.count, pending.count - pendingOffset)
            pending.withUnsafeBytes { source in
                buffer.baseAddress!.copyMemory(from: source.baseAddress! + pendingOffset, byteCount: count)
            }
            pendingOffset += count
            return count
        }
        return try FileDescriptorIO.readSome(fd, into: buffer)
    }
}

/// Shared input buffering for the decoders: hands out the unconsumed compressed bytes.
final class CompressedInput {
    private let raw: RawInput
    let buffer: UnsafeMutableRawBufferPointer
    var start = 0
    var end = 0
    private(set) var reachedEOF = false

    init(_ raw: RawInput) {
        self.raw = raw
        buffer = .allocate(byteCount: DecompressingReader.inputBufferSize, alignment: 16)
    }

    deinit { buffer.deallocate() }

    var available: Int { end - start }
    var pointer: UnsafeMutablePointer<UInt8> { (buffer.baseAddress! + start).assumingMemoryBound(to: UInt8.self) }

    /// Refills when empty; returns false at end of input.
    func ensureAvailable() throws -> Bool {
        if available > 0 { return true }
        if reachedEOF { return false }
        start = 0
        end = try raw.read(into: buffer)
        if end == 0 { reachedEOF = true }
        return end > 0
    }

    func consume(_ count: Int) { start += count }
}

/// gzip via isa-l's inflate (about twice zlib's speed); concatenated members are decoded back to
/// back like Go's multistream reader. The CRC-32 is always checked: igzip's costs little.
final class GzipDecoder: ByteSource {
    private let input: CompressedInput
    private let state = UnsafeMutablePointer<inflate_state>.allocate(capacity: 1)
    private var memberEnded = false

    init(_ raw: RawInput) throws {
        input = CompressedInput(raw)
        state.initialize(to: inflate_state())
        isal_inflate_init(state)
        state.pointee.crc_flag = UInt32(ISAL_GZIP)
    }

    deinit { state.deallocate() }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            if memberEnded {
                // Another member may follow; end of input here is a clean end.
                guard try input.ensureAvailable() else { return 0 }
                isal_inflate_reset(state)
                state.pointee.crc_flag = UInt32(ISAL_GZIP)
                memberEnded = false
            }
            guard try input.ensureAvailable() else { throw ArchiveError.unexpectedEOF(entry: nil) }
            state.pointee.next_in = input.pointer
            state.pointee.avail_in = UInt32(input.available)
            state.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            state.pointee.avail_out = UInt32(buffer.count)
            let status = isal_inflate(state)
            input.consume(input.available - Int(state.pointee.avail_in))
            let produced = buffer.count - Int(state.pointee.avail_out)
            guard status >= ISAL_DECOMP_OK else { throw ArchiveError.corruptCompressedInput(Self.message(status)) }
            if state.pointee.block_state == ISAL_BLOCK_FINISH { memberEnded = true }
            if produced > 0 { return produced }
        }
    }

    private static func message(_ status: Int32) -> String {
        switch status {
        case ISAL_INCORRECT_CHECKSUM: "gzip: invalid checksum"
        case ISAL_INVALID_WRAPPER, ISAL_UNSUPPORTED_METHOD: "gzip: invalid header"
        default: "flate: corrupt input"
        }
    }
}

/// bzip2 via libbz2; concatenated streams (as pbzip2 writes) are decoded back to back.
final class Bzip2Decoder: ByteSource {
    private let input: CompressedInput
    private let stream = UnsafeMutablePointer<bz_stream>.allocate(capacity: 1)
    private var streamEnded = false

    init(_ raw: RawInput) throws {
        input = CompressedInput(raw)
        stream.initialize(to: bz_stream())
        guard BZ2_bzDecompressInit(stream, 0, 0) == BZ_OK else {
            throw ArchiveError.corruptCompressedInput("bzip2: cannot initialise libbz2")
        }
    }

    deinit {
        BZ2_bzDecompressEnd(stream)
        stream.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            if streamEnded {
                guard try input.ensureAvailable() else { return 0 }
                BZ2_bzDecompressEnd(stream)
                stream.pointee = bz_stream()
                guard BZ2_bzDecompressInit(stream, 0, 0) == BZ_OK else {
                    throw ArchiveError.corruptCompressedInput("bzip2: cannot initialise libbz2")
                }
                streamEnded = false
            }
            guard try input.ensureAvailable() else { throw ArchiveError.unexpectedEOF(entry: nil) }
            stream.pointee.next_in = UnsafeMutableRawPointer(input.pointer).assumingMemoryBound(to: CChar.self)
            stream.pointee.avail_in = UInt32(input.available)
            stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: CChar.self)
            stream.pointee.avail_out = UInt32(buffer.count)
            let status = BZ2_bzDecompress(stream)
            input.consume(input.available - Int(stream.pointee.avail_in))
            let produced = buffer.count - Int(stream.pointee.avail_out)
            switch status {
            case BZ_STREAM_END: streamEnded = true
            case BZ_OK: break
            case BZ_DATA_ERROR_MAGIC: throw ArchiveError.corruptCompressedInput("bzip2 data invalid: bad magic value")
            default: throw ArchiveError.corruptCompressedInput("bzip2 data invalid")
            }
            if produced > 0 { return produced }
        }
    }
}

/// xz via liblzma with LZMA_CONCATENATED, matching `xz -d` which docker shells out to.
final class XzDecoder: ByteSource {
    private let input: CompressedInput
    private let stream = UnsafeMutablePointer<lzma_stream>.allocate(capacity: 1)
    private var finished = false

    init(_ raw: RawInput) throws {
        input = CompressedInput(raw)
        stream.initialize(to: lzma_stream())
        guard lzma_stream_decoder(stream, UInt64.max, 0x08 /* LZMA_CONCATENATED: a function-like macro Swift cannot import */) == LZMA_OK else {
            throw ArchiveError.corruptCompressedInput("xz: cannot initialise liblzma")
        }
    }

    deinit {
        lzma_end(stream)
        stream.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while !finished {
            let hasInput = try input.ensureAvailable()
            stream.pointee.next_in = UnsafePointer(input.pointer)
            stream.pointee.avail_in = hasInput ? input.available : 0
            stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            stream.pointee.avail_out = buffer.count
            let status = lzma_code(stream, hasInput ? LZMA_RUN : LZMA_FINISH)
            if hasInput { input.consume(input.available - stream.pointee.avail_in) }
            let produced = buffer.count - stream.pointee.avail_out
            switch status {
            case LZMA_STREAM_END: finished = true
            case LZMA_OK: break
            case LZMA_BUF_ERROR where !hasInput: throw ArchiveError.unexpectedEOF(entry: nil)
            case LZMA_BUF_ERROR: break
            default: throw ArchiveError.corruptCompressedInput("xz: Compressed data is corrupt")
            }
            if produced > 0 { return produced }
            if !hasInput && status == LZMA_OK { throw ArchiveError.unexpectedEOF(entry: nil) }
        }
        return 0
    }
}

/// zstd via libzstd's streaming decoder; consecutive frames are decoded back to back.
final class ZstdDecoder: ByteSource {
    private let input: CompressedInput
    private let context: OpaquePointer
    private var frameComplete = true

    init(_ raw: RawInput) throws {
        input = CompressedInput(raw)
        guard let context = ZSTD_createDStream() else {
            throw ArchiveError.corruptCompressedInput("zstd: cannot initialise libzstd")
        }
        self.context = context
    }

    deinit { ZSTD_freeDStream(context) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            guard try input.ensureAvailable() else {
                if frameComplete { return 0 }
                throw ArchiveError.unexpectedEOF(entry: nil)
            }
            var source = ZSTD_inBuffer(src: input.pointer, size: input.available, pos: 0)
            var destination = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
            let hint = ZSTD_decompressStream(context, &destination, &source)
            input.consume(source.pos)
            if ZSTD_isError(hint) != 0 {
                throw ArchiveError.corruptCompressedInput("zstd: " + String(cString: ZSTD_getErrorName(hint)))
            }
            frameComplete = hint == 0
            if destination.pos > 0 { return destination.pos }
        }
    }
}
