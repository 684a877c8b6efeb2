import Foundation
import Testing

@testable import Archive

@Suite struct ParallelChunkEncoderTests {
    @Test func zstdLayerDecompressesWithTheZstdTool() throws {
        let tar = try TestSupport.sampleTar(fileSizes: [0, 1, 5000, 70_000, 300_000, 1_000_000])
        let (result, blob) = try TestSupport.ingest(
            tar, options: .init(encoding: .zstd(level: 3), chunkSize: 8192, parallelism: 3))
        #expect(CompressionFormat.detect(blob) == .zstd)
        #expect(result.diffID.description == TestSupport.sha256(tar))
        #expect(result.blobDigest.description == TestSupport.sha256(blob))
        #expect(result.blobSize == Int64(blob.count))
        #expect(blob.count < tar.count)
        guard TestSupport.toolExists("zstd") else { return }
        let (plain, status) = try TestSupport.run(["zstd", "-dc"], input: blob)
        #expect(status == 0)
        #expect(plain == tar)
    }

    @Test func zstdBlobIsReadBackByOurOwnIngest() throws {
        let tar = try TestSupport.sampleTar()
        let (compressed, blob) = try TestSupport.ingest(tar, options: .init(encoding: .zstd(level: 1), chunkSize: 1024))
        let (again, _) = try TestSupport.ingest(blob, options: .init(encoding: .uncompressed))
        #expect(again.inputCompression == .zstd)
        #expect(again.diffID == compressed.diffID)
    }

    @Test func gzipStillWorksThroughTheSharedEncoder() throws {
        let tar = try TestSupport.sampleTar()
        let (result, blob) = try TestSupport.ingest(tar, options: .init(encoding: .gzip(level: 6), chunkSize: 2048))
        #expect(CompressionFormat.detect(blob) == .gzip && result.blobDigest.description == TestSupport.sha256(blob))
        guard TestSupport.toolExists("gzip") else { return }
        #expect(try TestSupport.run(["gzip", "-dc"], input: blob).output == tar)
    }

    /// Random data goes out as stored blocks (fast, no bigger), text and flat-but-periodic data
    /// (which fools the entropy test alone) are still compressed; all of it decompresses exactly.
    @Test func gzipStoresIncompressibleBlocksAndCompressesTheRest() throws {
        var generator = SystemRandomNumberGenerator()
        let random = (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let periodic = (0..<300_000).map { UInt8(truncatingIfNeeded: $0) }
        let text = Array(String(repeating: "the quick brown fox jumps over the lazy dog\n", count: 7000).utf8)
        var tar: [UInt8] = []
        let writer = TarWriter { tar.append(contentsOf: $0) }
        for (name, data) in [("random", random), ("periodic", periodic), ("text", text)] {
            try writer.writeEntry(TarEntryHeader(name: name, kind: .regular), data: data)
        }
        try writer.finish()
        let (_, blob) = try TestSupport.ingest(tar, options: .init(encoding: .gzip(level: 1), chunkSize: 1 << 20))
        #expect(blob.count < random.count + 40_000, "random stored (~input size), the rest compressed well")
        #expect(blob.count > random.count)
        guard TestSupport.toolExists("gzip") else { return }
        #expect(try TestSupport.run(["gzip", "-dc"], input: blob).output == tar)
    }

    @Test func invalidZstdLevelIsRejected() throws {
        #expect(throws: ArchiveError.self) {
            try TestSupport.ingest(TestSupport.sampleTar(), options: .init(encoding: .zstd(level: 99)))
        }
    }

    @Test func mediaTypes() {
        #expect(LayerIngest.OutputEncoding.zstd(level: 3).ociMediaType == "application/vnd.oci.image.layer.v1.tar+zstd")
        #expect(LayerIngest.OutputEncoding.gzip(level: 1).ociMediaType == "application/vnd.oci.image.layer.v1.tar+gzip")
        #expect(LayerIngest.OutputEncoding.uncompressed.ociMediaType == "application/vnd.oci.image.layer.v1.tar")
    }
}
