import Foundation
import GoText
import OCI
import Testing
@testable import Store

@Suite struct ImageStoreTests {
    @Test func importRecordsLayerConfigAndTag() throws {
        let fixture = try StoreFixture()
        defer { fixture.cleanup() }
        let image = try fixture.importImage(content: "hello", tag: "demo/app:1")
        #expect(image.repoTags.map(\.familiarString) == ["demo/app:1"])
        #expect(image.size == 5)
        let layers = try fixture.store.layers(of: image.id)
        #expect(layers.count == 1)
        let config = try JSONDecoder().decode(ImageConfig.self, from: try fixture.store.blobs.read(image.id))
        #expect(config.rootfs.diffIDs == [layers[0].diffID])
        #expect(config.history?.first?.comment == "Imported from -")
        #expect(try fixture.store.check().isHealthy)
    }

    @Test func resolvesByTagFullIDAndUniquePrefix() throws {
        let fixture = try StoreFixture()
        defer { fixture.cleanup() }
        let image = try fixture.importImage(content: "a", tag: "demo/app")
        #expect(try fixture.store.resolve("demo/app").id == image.id)
        #expect(try fixture.store.resolve("demo/app:latest").id == image.id)
        #expect(try fixture.store.resolve(image.id.description).id == image.id)
        #expect(try fixture.store.resolve(String(image.id.encoded.prefix(8))).id == image.id)
        #expect(throws: StoreError.noSuchImage("nope")) { try fixture.store.resolve("nope") }
        #expect(throws: ReferenceError.self) { try fixture.store.resolve("UPPER") }
    }

    @Test func untaggingOneOfTwoTagsKeepsTheImage() throws {
        let fixture = try StoreFixture()
        defer { fixture.cleanup() }
        let image = try fixture.importImage(content: "x", tag: "demo/app:1")
        try fixture.store.tag(image, as: try ImageReference("demo/app:2"))
        #expect(try fixture.store.remove("demo/app:1", force: false) == [.untagged("demo/app:1")])
        #expect(try fixture.store.image(id: image.id) != nil)
        let records = try fixture.store.remove("demo/app:2", force: false)
        #expect(records.first == .untagged("demo/app:2"))
        #expect(records.contains(.deleted(image.id.description)))
        #expect(try fixture.store.image(id: image.id) == nil)
        #expect(fixture.store.blobs.allDigests().isEmpty)
        #expect(try fixture.store.check().isHealthy)
    }

    @Test func removingByIDNamedInTwoRepositoriesNeedsForce() throws {
        let fixture = try StoreFixture()
        defer { fixture.cleanup() }
        let image = try fixture.importImage(content: "y", tag: "one/app")
        try fixture.store.tag(image, as: try ImageReference("two/app"))
        #expect(throws: StoreError.self) { try fixture.store.remove(image.id.shortID, force: false) }
        let records = try fixture.store.remove(image.id.shortID, force: true)
        #expect(records.prefix(2) == [.untagged("one/app:latest"), .untagged("two/app:latest")])
        #expect(records.contains(.deleted(image.id.description)))
    }

    @Test func sharedLayerSurvivesRemovalOfOneImage() throws {
        let fixture = try StoreFixture()
        defer { fixture.cleanup() }
        let first = try fixture.importImage(content: "same", tag: "a:1")
        let second = try fixture.importImage(content: "same", tag: "b:1", config: {
            var config = ContainerConfig(); config.cmd = ["/bin/sh"]; return config
        }())
        #expect(first.id != second.id)
        let records = try fixture.store.remove("a:1", force: false)
        #expect(records.count == 2)  // untagged + deleted image; the layer is still used
        #expect(try fixture.store.check().isHealthy)
        #expect(try fixture.store.layers(of: second.id).count == 1)
    }

    @Test func pruneRemovesDanglingImagesAndReportsSpace() throws {
        let fixture = try StoreFixture()
        defer { fixture.cleanup() }
        try fixture.importImage(content: "12345", tag: nil)
        try fixture.importImage(content: "kept", tag: "keep:1")
        let result = try fixture.store.prune(all: false) { _ in true }
        #expect(result.reclaimedBytes == 5)
        #expect(result.records.filter { if case .deleted = $0 { true } else { false } }.count == 2)
        #expect(try fixture.store.images().count == 1)
        #expect(try fixture.store.check().isHealthy)
    }

    @Test func checkFindsACorruptedBlob() throws {
        let fixture = try StoreFixture()
        defer { fixture.cleanup() }
        let image = try fixture.importImage(content: "data", tag: "c:1")
        let layer = try fixture.store.layers(of: image.id)[0]
        let path = fixture.store.blobs.path(for: layer.blobDigest)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: path))
        let report = try fixture.store.check()
        #expect(!report.isHealthy)
        #expect(report.damage.contains { $0.contains(layer.blobDigest.description) })
    }

    @Test func abandonedIngestFilesAreSweptOnOpen() throws {
        let fixture = try StoreFixture()
        defer { fixture.cleanup() }
        let leftover = fixture.store.root.ingestDirectory + "/12345-stale"
        FileManager.default.createFile(atPath: leftover, contents: Data("partial".utf8))
        _ = try ImageStore(root: fixture.store.root)
        #expect(!FileManager.default.fileExists(atPath: leftover))
    }

    @Test func truncatedTarRecordsNothing() throws {
        let fixture = try StoreFixture()
        defer { fixture.cleanup() }
        let path = try fixture.tarFile(content: String(repeating: "z", count: 4000))
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 1000)
        try handle.close()
        #expect(throws: (any Error).self) {
            try ImageImporter(store: fixture.store).importImage(from: .file(path), config: ContainerConfig(), message: nil,
                                                                 reference: try ImageReference("t:1"))
        }
        #expect(try fixture.store.images().isEmpty)
        #expect(fixture.store.blobs.allDigests().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.store.root.ingestDirectory).isEmpty)
    }

    @Test func concurrentImportsIntoOneStoreAllLand() async throws {
        let fixture = try StoreFixture()
        defer { fixture.cleanup() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<8 {
                group.addTask { try fixture.importImage(content: "content \(index)", tag: "par/img:\(index)") }
            }
            try await group.waitForAll()
        }
        #expect(try fixture.store.images().count == 8)
        #expect(try fixture.store.check().isHealthy)
    }

    @Test func eventsRecordTagBeforeImport() throws {
        let fixture = try StoreFixture()
        defer { fixture.cleanup() }
        try fixture.importImage(content: "e", tag: "ev:1")
        #expect(try fixture.store.events().map(\.action) == ["tag", "import"])
    }

    @Test func chainIDsFollowDockersDefinition() throws {
        let a = Digest.sha256(Data("a".utf8)), b = Digest.sha256(Data("b".utf8))
        let chains = chainIDs(of: [a, b])
        #expect(chains[0] == a)
        #expect(chains[1] == Digest.sha256(Data("\(a) \(b)".utf8)))
    }

    @Test func rfc3339ParsingHandlesFractionsAndOffsets() {
        #expect((try? Timestamp("1970-01-01T00:00:01Z"))?.secondsSince1970 == 1)
        #expect((try? Timestamp("1970-01-01T01:00:00+01:00"))?.secondsSince1970 == 0)
        #expect((try? Timestamp("1970-01-01T00:00:00.5Z"))?.secondsSince1970 == 0.5)
        #expect((try? Timestamp("garbage")) == nil)
    }
}
