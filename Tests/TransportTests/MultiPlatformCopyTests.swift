import Foundation
import GoText
import OCI
import Store
import Testing
@testable import Transport

/// `copy --all` (an index and every entry, byte for byte) and `--dest-compress-format` (layers re-encoded, the
/// image ID kept) through the layout and store transports.
@Suite struct MultiPlatformCopyTests {
    /// A layout holding one two-entry index (linux/amd64 and linux/arm64/v8) under the ref "multi".
    static func multiLayout(_ fixture: TransportFixture) async throws -> (layout: String, index: Digest, amd: Digest, arm: Digest) {
        let amd = try fixture.importImage("amd64 bits", tag: "x/amd:1")
        let arm = try fixture.importImage("arm64 bits", tag: "x/arm:1")
        let layout = fixture.directory + "/multi-layout"
        let destination = try OCILayoutDestination(directory: layout)
        try await ImageCopier().copy(from: try StoreSource(store: fixture.store, names: ["x/amd:1", "x/arm:1"]), to: destination)
        let written = try JSONDecoder().decode(ImageIndex.self, from: Data(contentsOf: URL(fileURLWithPath: layout + "/index.json")))
        var entries = written.manifests.sorted { ($0.annotations?[Descriptor.refNameAnnotation] ?? "") < ($1.annotations?[Descriptor.refNameAnnotation] ?? "") }
        #expect(entries.count == 2)
        entries = entries.map { var e = $0; e.annotations = nil; return e }
        entries[0].platform = Platform(os: "linux", architecture: "amd64")
        entries[1].platform = Platform(os: "linux", architecture: "arm64", variant: "v8")
        let indexData = GoJSON.encode(ImageIndex(manifests: entries))
        let indexDigest = Digest.sha256(indexData)
        try indexData.write(to: URL(fileURLWithPath: layout + "/blobs/sha256/" + indexDigest.encoded))
        var top = Descriptor(mediaType: MediaType.ociIndex, digest: indexDigest, size: Int64(indexData.count))
        top.annotations = [Descriptor.refNameAnnotation: "multi"]
        try GoJSON.encode(ImageIndex(manifests: [top])).write(to: URL(fileURLWithPath: layout + "/index.json"))
        return (layout, indexDigest, amd.id, arm.id)
    }

    @Test func allPlatformsKeepsTheIndexDigestAndEveryEntry() async throws {
        let fixture = try TransportFixture()
        defer { fixture.cleanup() }
        let built = try await Self.multiLayout(fixture)
        let copyLayout = fixture.directory + "/copy"
        let destination = try OCILayoutDestination(directory: copyLayout)
        destination.refName = "again"
        let images = try await ImageCopier().copy(from: OCILayoutSource(root: built.layout, reference: "multi", allPlatforms: true),
                                                  to: destination).images
        #expect(images.count == 2 && images.allSatisfy(\.isIndexEntry))
        let index = try JSONDecoder().decode(ImageIndex.self, from: Data(contentsOf: URL(fileURLWithPath: copyLayout + "/index.json")))
        #expect(index.manifests.count == 1)
        #expect(index.manifests.first?.digest == built.index)
        #expect(index.manifests.first?.annotations?[Descriptor.refNameAnnotation] == "again")
        for id in [built.amd, built.arm] {
            #expect(FileManager.default.fileExists(atPath: copyLayout + "/blobs/sha256/" + id.encoded))
        }
        // The copy reads back whole, and narrowed to one platform.
        let reread = try await OCILayoutSource(root: copyLayout, reference: "again", allPlatforms: true).index()
        #expect(reread?.digest == built.index)
        let arm = try await OCILayoutSource(root: copyLayout, reference: "again",
                                            platform: PlatformMatcher(for: try Platform.parse("linux/arm64"))).images()
        #expect(arm.map(\.id) == [built.arm])
    }

    @Test func intoTheStoreEveryEntryIsKeptAndTheHostOneIsNamed() async throws {
        let fixture = try TransportFixture()
        defer { fixture.cleanup() }
        let built = try await Self.multiLayout(fixture)
        let target = try fixture.freshStore()
        let destination = StoreDestination(store: target, action: "pull")
        destination.indexPlatform = PlatformMatcher(for: try Platform.parse("linux/arm64/v8"))
        let name = try ImageReference("x/multi:1")
        try await ImageCopier().copy(from: RenamedSource(OCILayoutSource(root: built.layout, reference: "multi", allPlatforms: true),
                                                         names: [name]), to: destination)
        #expect(try target.image(id: built.amd) != nil)
        #expect(try target.imageID(named: name) == built.arm)
    }

    @Test func recompressionKeepsTheImageIDAndChangesTheLayerEncoding() async throws {
        let fixture = try TransportFixture()
        defer { fixture.cleanup() }
        let image = try fixture.importImage("recompress me", tag: "x/r:1")
        let zstdLayout = fixture.directory + "/zstd"
        let toZstd = try RecompressingSource(try StoreSource(store: fixture.store, names: ["x/r:1"]), format: .zstd,
                                             temporaryDirectory: fixture.directory)
        let destination = try OCILayoutDestination(directory: zstdLayout)
        destination.refName = "z"
        let zstdImages = try await ImageCopier().copy(from: toZstd, to: destination).images
        #expect(zstdImages.first?.layers.map(\.blob.mediaType) == [MediaType.ociLayerZstd])
        #expect(zstdImages.first?.id == image.id)

        let back = try RecompressingSource(OCILayoutSource(root: zstdLayout, reference: "z"), format: .gzip,
                                           temporaryDirectory: fixture.directory)
        let target = try fixture.freshStore()
        let name = try ImageReference("x/back:1")
        try await ImageCopier().copy(from: RenamedSource(back, names: [name]), to: StoreDestination(store: target, action: "pull"))
        #expect(try target.imageID(named: name) == image.id)
        #expect(try target.layers(of: image.id).map(\.mediaType) == [MediaType.ociLayerGzip])
        // Already gzip: nothing is re-encoded, the blob is the same.
        let same = try RecompressingSource(try StoreSource(store: fixture.store, names: ["x/r:1"]), format: .gzip,
                                           temporaryDirectory: fixture.directory)
        #expect(try await same.images().first?.layers == (try await StoreSource(store: fixture.store, names: ["x/r:1"]).images().first?.layers))
    }
}
