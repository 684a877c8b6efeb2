import Foundation
import OCI
import Testing
@testable import Store

/// The store as a holder of descriptors: indexes kept whole, artifacts listed as referrers, and GC following both.
@Suite struct DescriptorStoreTests {
    /// Two single-platform images (amd64 and arm64/v8) and an index over their manifests.
    struct TwoPlatforms {
        let amd: StoredImage
        let arm: StoredImage
        let index: Data
        var indexDigest: Digest { Digest.sha256(index) }
    }

    static func twoPlatforms(_ fixture: StoreFixture) throws -> TwoPlatforms {
        let amd = try fixture.importImage(content: "amd64 files", tag: nil)
        let arm = try fixture.importImage(content: "arm64 files", tag: nil)
        func entry(_ image: StoredImage, _ platform: String) throws -> Descriptor {
            Descriptor(mediaType: image.manifestMediaType, digest: image.manifestDigest,
                       size: fixture.store.blobs.size(of: image.manifestDigest) ?? 0, platform: try Platform.parse(platform))
        }
        let index = ImageIndex(manifests: [try entry(amd, "linux/amd64"), try entry(arm, "linux/arm64/v8")])
        return TwoPlatforms(amd: amd, arm: arm, index: try JSONEncoder().encode(index))
    }

    static let arm64 = PlatformMatcher(for: Platform(os: "linux", architecture: "arm64", variant: "v8"))

    @Test func indexIsKeptWholeAndItsNamesResolveToThePlatform() throws {
        let fixture = try StoreFixture()
        defer { fixture.cleanup() }
        let two = try Self.twoPlatforms(fixture)
        let tag = try ImageReference("multi/app:1")
        let byDigest = tag.repository.withDigest(two.indexDigest)
        let stored = try fixture.store.commitIndex(two.index, mediaType: MediaType.ociIndex, names: [tag, byDigest], platform: Self.arm64)
        #expect(stored.entries.map(\.imageID) == [two.amd.id, two.arm.id])
        #expect(try fixture.store.target(named: tag) == .index(two.indexDigest, image: two.arm.id))
        #expect(try fixture.store.target(named: byDigest) == .index(two.indexDigest, image: two.arm.id))
        #expect(try fixture.store.resolve("multi/app:1").id == two.arm.id)
        #expect(try fixture.store.manifest(digest: two.indexDigest)?.data == two.index)
        // Neither platform is dangling: the other one is an index entry, hidden from a plain listing.
        let images = try fixture.store.images()
        #expect(images.allSatisfy { !$0.isDangling })
        #expect(images.first { $0.id == two.amd.id }?.isIndexEntry == true)
        #expect(try fixture.store.check().isHealthy)

        // A tag of the name passes the index on.
        let arm = try #require(try fixture.store.image(id: two.arm.id))
        try fixture.store.tag(arm, as: try ImageReference("multi/copy:1"), index: two.indexDigest)
        #expect(try fixture.store.target(named: try ImageReference("multi/copy:1"))?.indexDigest == two.indexDigest)
    }

    @Test func removingTheLastNameOfAnIndexDeletesEveryPlatform() throws {
        let fixture = try StoreFixture()
        defer { fixture.cleanup() }
        let two = try Self.twoPlatforms(fixture)
        try fixture.store.commitIndex(two.index, mediaType: MediaType.ociIndex, names: [try ImageReference("multi/app:1")],
                                      platform: Self.arm64)
        // A platform of a named index is not removed by ID without force, nor by a dangling prune.
        #expect(throws: StoreError.self) { try fixture.store.remove(two.amd.id.description, force: false) }
        _ = try fixture.store.prune(all: false) { _ in true }
        #expect(try fixture.store.images().count == 2)

        let records = try fixture.store.remove("multi/app:1", force: false)
        #expect(records.first == .untagged("multi/app:1"))
        #expect(records.contains(.deleted(two.arm.id.description)))
        #expect(records.contains(.deleted(two.amd.id.description)))
        #expect(try fixture.store.images().isEmpty)
        #expect(try fixture.store.indexes().isEmpty)
        #expect(fixture.store.blobs.allDigests().isEmpty)
        #expect(try fixture.store.check().isHealthy)
    }

    /// An OCI 1.1 artifact about `subject`: an empty config and one layer.
    static func artifact(_ fixture: StoreFixture, subject: Descriptor, type: String, content: String) throws -> Data {
        let empty = try fixture.store.blobs.write(Data("{}".utf8))
        let payload = Data(content.utf8)
        let layer = try fixture.store.blobs.write(payload)
        let manifest = ImageManifest(
            config: Descriptor(mediaType: MediaType.ociEmpty, digest: empty, size: 2),
            layers: [Descriptor(mediaType: "application/vnd.example.payload", digest: layer, size: Int64(payload.count))],
            subject: subject, annotations: ["org.example.kind": content], artifactType: type)
        return try JSONEncoder().encode(manifest)
    }

    @Test func artifactIsListedAsAReferrerAndLivesAsLongAsItsSubject() throws {
        let fixture = try StoreFixture()
        defer { fixture.cleanup() }
        let image = try fixture.importImage(content: "signed", tag: "signed/app:1")
        let subject = Descriptor(mediaType: image.manifestMediaType, digest: image.manifestDigest,
                                 size: fixture.store.blobs.size(of: image.manifestDigest) ?? 0)
        let signature = try Self.artifact(fixture, subject: subject, type: "application/vnd.example.signature", content: "sig")
        let sbom = try Self.artifact(fixture, subject: subject, type: "application/spdx+json", content: "sbom")
        let signed = try fixture.store.commitArtifact(signature, mediaType: MediaType.ociManifest)
        try fixture.store.commitArtifact(sbom, mediaType: MediaType.ociManifest)
        // An artifact about the signature refers to it, not to the image.
        let sigDescriptor = Descriptor(mediaType: MediaType.ociManifest, digest: signed.digest, size: signed.size)
        let countersign = try Self.artifact(fixture, subject: sigDescriptor, type: "application/vnd.example.signature", content: "c")
        try fixture.store.commitArtifact(countersign, mediaType: MediaType.ociManifest)

        let referrers = try fixture.store.referrers(of: image.manifestDigest)
        #expect(Set(referrers.map(\.artifactType)) == ["application/vnd.example.signature", "application/spdx+json"])
        #expect(try fixture.store.referrers(of: image.manifestDigest, artifactType: "application/spdx+json").map(\.digest)
            == [Digest.sha256(sbom)])
        #expect(referrers.first { $0.digest == signed.digest }?.annotations == ["org.example.kind": "sig"])
        #expect(try fixture.store.referrers(of: signed.digest).map(\.digest) == [Digest.sha256(countersign)])
        #expect(try fixture.store.manifest(digest: signed.digest)?.data == signature)

        // A prune keeps them (and their blobs) while the subject is stored.
        _ = try fixture.store.prune(all: false) { _ in true }
        #expect(try fixture.store.referrers(of: image.manifestDigest).count == 2)
        #expect(try fixture.store.check().notes.isEmpty)
        #expect(try fixture.store.check().isHealthy)

        // An artifact needs its subject.
        let stray = try Self.artifact(fixture, subject: Descriptor(mediaType: MediaType.ociManifest, digest: Digest.sha256(Data("x".utf8)),
                                                                   size: 1), type: "t", content: "stray")
        #expect(throws: StoreError.self) { try fixture.store.commitArtifact(stray, mediaType: MediaType.ociManifest) }

        // Removing the subject removes what refers to it, transitively, blobs included.
        _ = try fixture.store.remove("signed/app:1", force: false)
        #expect(try fixture.store.referrers(of: image.manifestDigest).isEmpty)
        #expect(try fixture.store.manifest(digest: signed.digest) == nil)
        _ = try fixture.store.prune(all: false) { _ in true }
        #expect(fixture.store.blobs.allDigests().isEmpty)
    }
}
