import Foundation
import Testing

@testable import Archive

@Suite struct ParallelZstdTests {
    @Test func zstdLayerDecompressesWithTheZstdTool() throws {
        let tar = try TestSupport.sampleTar(fileSizes: [0, 1, 5000, 70_000, 300_000, 1_000_000])
        let (result, blob) = try TestSupport.ingest(
            tar, options: .init(encoding: .zstd(level: 3), chunkSize: 8192, parallelism: 3))
        #expect(CompressionFormat.detect(blob) == .zstd)
        #expect(result.diffID == TestSupport.sha256(tar))
        #expect(result.blobDigest == TestSupport.sha256(blob))
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
        #expect(CompressionFormat.detect(blob) == .gzip && result.blobDigest == TestSupport.sha256(blob))
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
