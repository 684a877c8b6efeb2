import Archive
import Foundation
import OCI
import Testing
@testable import Store

/// Pulled layers are committed with only their blob digest proven; these tests hold the store to proving the
/// diffID (and measuring sizes) before anything uses the content.
@Suite struct PendingLayerTests {
    /// Commits an image the way a pull does: a gzip layer blob whose config claims `claimedContent`'s diffID.
    private func commitPending(_ fixture: StoreFixture, content: String, claimedContent: String? = nil,
                               tag: String) throws -> (StoredImage, StoredLayer) {
        let gzip = try gzipLayer(fixture, content: content)
        let claimed = try Digest.sha256(Data(try Self.tarBytes(content: claimedContent ?? content)))
        let layer = StoredLayer(blobDigest: gzip.digest, diffID: claimed, mediaType: MediaType.ociLayerGzip,
                                blobSize: gzip.size, contentSize: nil)
        return (try commitClaim(fixture, layer, tag: tag), layer)
    }

    private func commitClaim(_ fixture: StoreFixture, _ layer: StoredLayer, tag: String) throws -> StoredImage {
        let config = Data("""
            {"architecture":"amd64","os":"linux","config":{"Env":["TAG=\(tag)"]},"rootfs":{"type":"layers","diff_ids":["\(layer.diffID)"]}}
            """.utf8)
        return try fixture.store.commit(config: config, layers: [layer], tags: [try ImageReference(tag)], action: "pull")
    }

    private func claiming(_ layer: StoredLayer, content: String) throws -> StoredLayer {
        StoredLayer(blobDigest: layer.blobDigest, diffID: try Digest.sha256(Data(try Self.tarBytes(content: content))),
                    mediaType: layer.mediaType, blobSize: layer.blobSize, contentSize: nil)
    }

    private func gzipLayer(_ fixture: StoreFixture, content: String) throws -> (digest: Digest, size: Int64) {
        let input = try fixture.tarFile(content: content)
        let output = input + ".gz"
        let inFD = open(input, O_RDONLY), outFD = open(output, O_CREAT | O_WRONLY | O_TRUNC, 0o600)
        defer { close(inFD); close(outFD) }
        let result = try LayerIngest.ingest(from: inFD, to: outFD, options: .init(encoding: .gzip(level: 6)))
        let digest = try fixture.store.blobs.write(try Data(contentsOf: URL(fileURLWithPath: output)))
        #expect(digest == result.blobDigest)
        return (digest, result.blobSize)
    }

    private static func tarBytes(content: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        let writer = TarWriter { bytes.append(contentsOf: $0) }
        try writer.writeEntry(TarEntryHeader(name: "file.txt", kind: .regular, size: Int64(content.utf8.count)),
                              data: Array(content.utf8))
        try writer.finish()
        return bytes
    }

    @Test func aPendingLayerIsMeasuredOnFirstUse() throws {
        let fixture = try StoreFixture()
        defer { fixture.cleanup() }
        let (image, layer) = try commitPending(fixture, content: "hello", tag: "demo/pulled:1")
        #expect(image.size == 0)
        #expect(try fixture.store.layers(of: image.id).map(\.isVerified) == [false])
        #expect(try fixture.store.pendingLayers().map(\.blobDigest) == [layer.blobDigest])
        // Nothing may be reused by a diffID that is only claimed.
        #expect(try fixture.store.layer(diffID: layer.diffID) == nil)

        #expect(try fixture.store.verifyPendingLayers(ofImages: nil).isEmpty)
        let measured = try #require(try fixture.store.layers(of: image.id).first)
        #expect(measured.contentSize == 5)
        #expect(measured.uncompressedSize == Int64(try Self.tarBytes(content: "hello").count))
        #expect(try fixture.store.image(id: image.id)?.size == 5)
        #expect(try fixture.store.pendingLayers().isEmpty)
        #expect(try fixture.store.layer(diffID: layer.diffID)?.blobDigest == layer.blobDigest)
        #expect(try fixture.store.check().isHealthy)
    }

    @Test func unpackingProvesPendingLayersFirst() throws {
        let fixture = try StoreFixture()
        defer { fixture.cleanup() }
        let (image, _) = try commitPending(fixture, content: "unpack me", tag: "demo/pulled:2")
        let target = fixture.directory + "/unpacked"
        try ImageUnpacker(store: fixture.store).unpack(image, into: target)
        #expect(try String(contentsOfFile: target + "/file.txt", encoding: .utf8) == "unpack me")
        #expect(try fixture.store.image(id: image.id)?.size == 9)
        #expect(try fixture.store.pendingLayers().isEmpty)
    }

    @Test func aLayerThatLiesAboutItsDiffIDIsNeverUnpacked() throws {
        let fixture = try StoreFixture()
        defer { fixture.cleanup() }
        let (image, layer) = try commitPending(fixture, content: "evil", claimedContent: "good", tag: "demo/liar:1")
        #expect {
            try fixture.store.verifyPendingLayers(fixture.store.layers(of: image.id))
        } throws: { error in
            "\(error)".contains("layer \(layer.blobDigest) does not match its image") && "\(error)".contains(layer.diffID.description)
        }
        let target = fixture.directory + "/unpacked"
        #expect(throws: StoreError.self) { try ImageUnpacker(store: fixture.store).unpack(image, into: target) }
        #expect(!FileManager.default.fileExists(atPath: target), "a failed unpack leaves nothing behind")
        // It stays pending, and the listing path reports it without failing.
        #expect(try fixture.store.verifyPendingLayers(ofImages: nil).count == 1)
        #expect(try fixture.store.image(id: image.id)?.size == 0)
        let report = try fixture.store.check()
        #expect(report.damage.contains { $0.contains("does not match its image") })
        _ = try fixture.store.remove("demo/liar:1", force: false)
        #expect(try fixture.store.check().isHealthy)
    }

    /// One blob, two claims: the tar decides when the second image arrives, whichever came first.
    @Test func conflictingClaimsAreSettledByTheTar() throws {
        do {
            let fixture = try StoreFixture()
            defer { fixture.cleanup() }
            let (liar, lie) = try commitPending(fixture, content: "truth", claimedContent: "lie", tag: "demo/liar:1")
            let honest = try commitClaim(fixture, try claiming(lie, content: "truth"), tag: "demo/honest:1")
            let row = try #require(try fixture.store.layer(blobDigest: lie.blobDigest))
            let truth = try claiming(lie, content: "truth").diffID
            #expect(row.isVerified && row.diffID == truth)
            let target = fixture.directory + "/honest"
            try ImageUnpacker(store: fixture.store).unpack(honest, into: target)
            #expect(try String(contentsOfFile: target + "/file.txt", encoding: .utf8) == "truth")
            // The liar's config no longer matches the row its blob has: check names it.
            #expect(try fixture.store.check().damage.contains { $0.contains("image \(liar.id.shortID)") })
        }
        do {
            let fixture = try StoreFixture()
            defer { fixture.cleanup() }
            let (_, truth) = try commitPending(fixture, content: "truth", tag: "demo/honest:1")
            let lie = try claiming(truth, content: "lie")
            #expect(throws: StoreError.layerMismatch(blob: truth.blobDigest.description, claimed: lie.diffID.description,
                                                     actual: truth.diffID.description)) {
                try commitClaim(fixture, lie, tag: "demo/liar:1")
            }
            #expect(try fixture.store.imageID(named: try ImageReference("demo/liar:1")) == nil)
            #expect(try fixture.store.check().isHealthy)
        }
    }

    @Test func aMeasuredCommitSettlesAPendingRow() throws {
        let fixture = try StoreFixture()
        defer { fixture.cleanup() }
        let (pulled, layer) = try commitPending(fixture, content: "shared", tag: "demo/pulled:3")
        let proven = StoredLayer(blobDigest: layer.blobDigest, diffID: layer.diffID, mediaType: layer.mediaType,
                                 blobSize: layer.blobSize, contentSize: 6, uncompressedSize: 1536)
        let config = Data("""
            {"architecture":"amd64","os":"linux","config":{"Env":["A=1"]},"rootfs":{"type":"layers","diff_ids":["\(layer.diffID)"]}}
            """.utf8)
        let other = try fixture.store.commit(config: config, layers: [proven], tags: [], action: "load")
        #expect(other.size == 6)
        #expect(try fixture.store.image(id: pulled.id)?.size == 6)
        #expect(try fixture.store.pendingLayers().isEmpty)
        #expect(try fixture.store.layer(blobDigest: layer.blobDigest)?.contentSize == 6)
    }
}
