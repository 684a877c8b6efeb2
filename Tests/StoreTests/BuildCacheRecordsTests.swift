import Foundation
import OCI
import Testing
@testable import Store

@Suite struct BuildCacheRecordsTests {
    @Test func aRecordedStepIsFoundAndKeepsItsLayerAliveUntilPruned() throws {
        let fixture = try StoreFixture()
        defer { fixture.cleanup() }
        let image = try fixture.importImage(content: "step output", tag: "x/step:1")
        let layer = try #require(try fixture.store.layers(of: image.id).first)
        try fixture.store.recordBuildStep(key: "k-run", layer: layer, description: "RUN make")
        try fixture.store.recordBuildStep(key: "k-env", layer: nil, description: "ENV A=b")
        #expect(try fixture.store.cachedBuildStep(key: "nope") == nil)
        // Asking whether a step is cached is not a use of it.
        #expect(try fixture.store.hasBuildStep(key: "k-run") && fixture.store.hasBuildStep(key: "k-env"))
        #expect(try !fixture.store.hasBuildStep(key: "nope"))
        let hit = try #require(try fixture.store.cachedBuildStep(key: "k-run"))
        #expect(hit.layer == layer && hit.description == "RUN make" && hit.usageCount == 2)
        #expect(try fixture.store.cachedBuildStep(key: "k-env")?.layer == nil)

        // Removing the image keeps the layer the cache still names; the store stays consistent.
        _ = try fixture.store.remove("x/step:1", force: false)
        #expect(fixture.store.blobs.contains(layer.blobDigest))
        #expect(try fixture.store.check().isHealthy)

        // A prune of entries unused since a time in the past removes nothing; a full prune frees the layer.
        #expect(try fixture.store.pruneBuildCache(all: true, unusedSince: Date(timeIntervalSince1970: 0)).removedKeys.isEmpty)
        let pruned = try fixture.store.pruneBuildCache(all: true)
        #expect(Set(pruned.removedKeys) == ["k-run", "k-env"])
        #expect(pruned.reclaimedBytes == layer.blobSize)
        #expect(!fixture.store.blobs.contains(layer.blobDigest))
        #expect(try !fixture.store.hasBuildStep(key: "k-run"))
        #expect(try fixture.store.buildCacheEntries().isEmpty)
        #expect(try fixture.store.check().isHealthy)
    }

    @Test func withoutAllEntriesWhoseLayerAnImageUsesAreKept() throws {
        let fixture = try StoreFixture()
        defer { fixture.cleanup() }
        let image = try fixture.importImage(content: "in use", tag: "x/used:1")
        let layer = try #require(try fixture.store.layers(of: image.id).first)
        try fixture.store.recordBuildStep(key: "k", layer: layer, description: "COPY . /")
        #expect(try fixture.store.pruneBuildCache(all: false).removedKeys.isEmpty)
        #expect(try fixture.store.pruneBuildCache(all: true).removedKeys == ["k"])
        #expect(fixture.store.blobs.contains(layer.blobDigest), "the image still uses it")
    }
}
