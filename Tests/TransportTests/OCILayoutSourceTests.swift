import Foundation
import OCI
import Store
import Testing
@testable import Transport

@Suite struct OCILayoutSourceTests {
    /// store → oci:DIR:ref → OCILayoutSource → fresh store: same image ID, layer blobs byte for byte.
    @Test func layoutDirectoryRoundTripsThroughTheSource() async throws {
        let fixture = try TransportFixture()
        defer { fixture.cleanup() }
        let image = try fixture.importImage("hello", tag: "x/one:1")
        let layout = fixture.directory + "/layout"
        let destination = try OCILayoutDestination(directory: layout)
        destination.refName = "v1"
        try await ImageCopier().copy(from: try StoreSource(store: fixture.store, names: ["x/one:1"]), to: destination)

        let index = try JSONDecoder().decode(ImageIndex.self, from: Data(contentsOf: URL(fileURLWithPath: layout + "/index.json")))
        #expect(index.manifests.map { $0.annotations?[Descriptor.refNameAnnotation] } == ["v1"])
        #expect(index.manifests.first?.mediaType == MediaType.ociManifest)

        let target = try fixture.freshStore()
        let source = RenamedSource(OCILayoutSource(root: layout, reference: "v1"), names: [try ImageReference("x/two:2")])
        try await ImageCopier().copy(from: source, to: StoreDestination(store: target, action: "pull"))
        #expect(try target.imageID(named: try ImageReference("x/two:2")) == image.id)
        #expect(try target.layers(of: image.id).map(\.blobDigest) == fixture.store.layers(of: image.id).map(\.blobDigest))
    }

    @Test func unknownReferenceAndAmbiguousLayoutsAreRefused() async throws {
        let fixture = try TransportFixture()
        defer { fixture.cleanup() }
        try fixture.importImage("a", tag: "x/a:1")
        try fixture.importImage("b", tag: "x/b:1")
        let layout = fixture.directory + "/layout"
        try await ImageCopier().copy(from: try StoreSource(store: fixture.store, names: ["x/a:1", "x/b:1"]),
                                     to: try OCILayoutDestination(directory: layout))
        await #expect(throws: TransportError.unsupported("no descriptor found for reference \"nope\"")) {
            _ = try await OCILayoutSource(root: layout, reference: "nope").images()
        }
        await #expect(throws: TransportError.unsupported("more than one image in oci, choose an image")) {
            _ = try await OCILayoutSource(root: layout, reference: nil).images()
        }
    }

    @Test func aTamperedManifestIsRejected() async throws {
        let fixture = try TransportFixture()
        defer { fixture.cleanup() }
        try fixture.importImage("a", tag: "x/a:1")
        let layout = fixture.directory + "/layout"
        try await ImageCopier().copy(from: try StoreSource(store: fixture.store, names: ["x/a:1"]),
                                     to: try OCILayoutDestination(directory: layout))
        let index = try JSONDecoder().decode(ImageIndex.self, from: Data(contentsOf: URL(fileURLWithPath: layout + "/index.json")))
        let manifest = index.manifests[0].digest
        let path = layout + "/blobs/sha256/" + manifest.encoded
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: path))
        await #expect(throws: TransportError.self) { _ = try await OCILayoutSource(root: layout, reference: nil).images() }
    }

    @Test func dockerLayerTypesBecomeOCIOnes() {
        #expect(MediaType.ociEquivalent(ofLayer: MediaType.dockerLayerGzip) == MediaType.ociLayerGzip)
        #expect(MediaType.ociEquivalent(ofLayer: MediaType.dockerLayer) == MediaType.ociLayer)
        #expect(MediaType.ociEquivalent(ofLayer: MediaType.ociLayerZstd) == MediaType.ociLayerZstd)
    }
}
