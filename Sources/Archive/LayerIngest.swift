#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import OCI

/// Turns a layer tar (plain or gzip/bzip2/xz/zstd compressed; a file or a pipe) into a stored blob
/// in one streaming pass: decompress → diffID hash + tar validation → chunked parallel gzip/zstd →
/// ordered write + blob hash. Memory stays flat whatever the layer size.
///
/// The diffID is the sha256 of the whole decompressed stream exactly as read, trailing zero blocks
/// and any bytes after them included — what dockerd's layer store computes on `docker import`.
public enum LayerIngest {
    /// How the blob written to the destination is encoded.
    public enum OutputEncoding: Sendable, Equatable {
        /// Independent gzip members per chunk, compressed in parallel (level 1 = BestSpeed, 1...9).
        case gzip(level: Int32)
        /// Independent zstd frames per chunk, compressed in parallel (zstd levels, e.g. 1...19).
        case zstd(level: Int32)
        /// The decompressed tar itself; the blob digest equals the diffID.
        case uncompressed

        /// The OCI layer media type of a blob written with this encoding.
        public var ociMediaType: String {
            switch self {
            case .gzip: MediaType.ociLayerGzip
            case .zstd: MediaType.ociLayerZstd
            case .uncompressed: MediaType.ociLayer
            }
        }
    }

    /// Tuning for `ingest`; the defaults suit `strata import`.
    public struct Options: Sendable, Equatable {
        public var encoding: OutputEncoding
        /// Bytes of tar per gzip member / zstd frame (and per validation/hash step).
        public var chunkSize: Int
        /// Compression workers; chunks in flight are bounded to twice this.
        public var parallelism: Int

        public init(
            encoding: OutputEncoding = .gzip(level: 1), chunkSize: Int = 1 << 20,
            parallelism: Int = ProcessInfo.processInfo.activeProcessorCount
        ) {
            self.encoding = encoding
            self.chunkSize = chunkSize
            self.parallelism = parallelism
        }
    }

    /// Digests and sizes of one ingested layer.
    public struct Result: Sendable, Equatable {
        /// The digest of the decompressed tar stream (the layer's diffID).
        public var diffID: Digest
        /// The digest of the blob written to the destination.
        public var blobDigest: Digest
        /// Bytes written to the destination.
        public var blobSize: Int64
        /// Bytes of the decompressed tar stream.
        public var uncompressedSize: Int64
        /// The layer size docker reports (`docker images` SIZE for an imported tar).
        public var contentSize: Int64
        /// Tar entries, not counting PAX/GNU extension headers.
        public var entryCount: Int
        /// The compression the input arrived in.
        public var inputCompression: CompressionFormat
        /// Whether the input carried the two zero blocks that end a tar (docker accepts either).
        public var reachedEndMarker: Bool
    }

    /// Ingests the tar readable from `input` (not closed), writing the blob to `output` (not closed).
    /// With `output` nil nothing is written or compressed and the blob fields describe the plain tar.
    /// Blocking: call from a thread, or use the async overload.
    public static func ingest(from input: Int32, to output: Int32?, options: Options = Options()) throws -> Result {
        guard options.chunkSize >= 512, options.parallelism >= 1 else {
            throw ArchiveError.invalidArgument("invalid ingest options")
        }
        let (decoder, compression) = try DecompressingReader.open(input)
        // Only measuring: decode on a thread of its own while this one hashes and validates.
        let ahead = output == nil && compression != .none ? DecodeAheadSource(source: decoder, chunkSize: options.chunkSize) : nil
        defer { ahead?.stop() }
        let source: ByteSource = ahead ?? decoder
        let validator = TarStreamValidator()
        var diffDigester = SHA256Hasher()
        var total: Int64 = 0

        var encoder: ParallelChunkEncoder?
        var plainChunk: UnsafeMutableRawBufferPointer?
        if let output, let (formatName, makeCompressor) = compressorFactory(options.encoding) {
            encoder = try ParallelChunkEncoder(
                destination: output, formatName: formatName, chunkSize: options.chunkSize,
                parallelism: options.parallelism, makeCompressor: makeCompressor)
        } else {
            plainChunk = .allocate(byteCount: options.chunkSize, alignment: 64)
        }
        defer {
            plainChunk?.deallocate()
            encoder?.abandon()
        }

        var ended = false
        while !ended {
            let chunk = try encoder?.nextInputBuffer() ?? plainChunk!
            var filled = 0
            while filled < chunk.count {
                let count: Int
                do {
                    count = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: chunk[filled...]))
                } catch let error as ArchiveError {
                    // Like docker: once the tar's end marker is read, later decoding errors are ignored.
                    if validator.isFinished { ended = true; break }
                    if case .unexpectedEOF = error {
                        try validator.consume(UnsafeRawBufferPointer(rebasing: chunk[0..<filled]))
                        throw ArchiveError.unexpectedEOF(entry: validator.currentEntryName)
                    }
                    throw error
                }
                if count == 0 { ended = true; break }
                filled += count
            }
            let bytes = UnsafeRawBufferPointer(rebasing: chunk[0..<filled])
            diffDigester.update(bufferPointer: bytes)
            try validator.consume(bytes)
            total += Int64(filled)
            if let encoder {
                if filled > 0 { encoder.submit(byteCount: filled) }
            } else if let output, filled > 0 {
                try FileDescriptorIO.writeAll(output, bytes)
            }
        }
        let summary = try validator.finish()
        let diffID = diffDigester.finalize()
        var blobDigest = diffID
        var blobSize = total
        if let encoder { (blobDigest, blobSize) = try encoder.finish() }
        return Result(
            diffID: diffID, blobDigest: blobDigest, blobSize: blobSize, uncompressedSize: total,
            contentSize: summary.contentSize, entryCount: summary.entryCount, inputCompression: compression,
            reachedEndMarker: summary.reachedEndMarker)
    }

    private static func compressorFactory(
        _ encoding: OutputEncoding
    ) -> (String, () throws -> any ChunkCompressor)? {
        switch encoding {
        case .gzip(let level): ("gzip", { try GzipChunkCompressor(level: level) })
        case .zstd(let level): ("zstd", { try ZstdChunkCompressor(level: level) })
        case .uncompressed: nil
        }
    }

    /// Async form of `ingest`: the blocking work runs on its own thread, off the cooperative pool.
    public static func ingest(
        from input: Int32, to output: Int32?, options: Options = Options()
    ) async throws -> Result {
        try await BlockingWork.run(named: "strata.layer-ingest") { try ingest(from: input, to: output, options: options) }
    }
}
