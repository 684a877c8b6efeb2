import Archive
import Foundation
import OCI
import Store
import Testing
import Transport

@Suite struct SaveLoadRoundTripTests {
    @Test func dockerArchiveRoundTripKeepsIDsDiffIDsAndNames() async throws {
        let fixture = try TransportFixture()
        defer { fixture.cleanup() }
        let image = try fixture.importImage("hello", tag: "demo/app:1")
        try fixture.store.tag(image, as: try ImageReference("demo/other:2"))
        let archive = try await fixture.save(["demo/app:1", "demo/other"])

        let entries = try TransportFixture.entries(archive)
        let manifest = try JSONDecoder().decode([DockerArchiveManifestEntry].self, from: Data(entries["manifest.json"]!))
        #expect(manifest.count == 1)
        #expect(manifest[0].repoTags == ["demo/app:1", "demo/other:2"])
        let diffID = try fixture.store.layers(of: image.id)[0].diffID
        #expect(manifest[0].layers == ["blobs/sha256/\(diffID.encoded)"])
        // The layer inside is the uncompressed tar: its digest is the diffID.
        #expect(Digest.sha256(Data(entries[manifest[0].layers[0]]!)) == diffID)
        #expect(entries["oci-layout"] != nil && entries["index.json"] != nil && entries["repositories"] != nil)
        #expect(entries.keys.contains { $0.hasSuffix("/layer.tar") })

        let target = try fixture.freshStore()
        let loaded = try await TransportFixture.load(archive, into: target)
        #expect(loaded.map(\.image.id) == [image.id])
        #expect(loaded[0].names.map(\.familiarString) == ["demo/app:1", "demo/other:2"])
        #expect(try target.layers(of: image.id).map(\.diffID) == [diffID])
        #expect(try target.check().isHealthy)
        #expect(try target.events().last?.action == "load")
        #expect(try !target.events().contains { $0.action == "tag" })
    }

    @Test func sharedLayersAreWrittenOnceAndLoadedOnce() async throws {
        let fixture = try TransportFixture()
        defer { fixture.cleanup() }
        let base = try fixture.importImage("base", tag: "demo/base:1")
        let derived = try fixture.stackImage(on: base, content: "top", tag: "demo/derived:1")
        let archive = try await fixture.save(["demo/base:1", "demo/derived:1"])
        let entries = try TransportFixture.entries(archive)
        let layerBlobs = entries.keys.filter { $0.hasPrefix("blobs/sha256/") && entries[$0]!.count >= 1024 }
        #expect(layerBlobs.count == 2)

        let target = try fixture.freshStore()
        let loaded = try await TransportFixture.load(archive, into: target)
        #expect(Set(loaded.map(\.image.id)) == [base.id, derived.id])
        #expect(try target.layers(of: derived.id).count == 2)
        #expect(try target.check().isHealthy)
        // Loading again writes nothing new.
        let before = target.blobs.allDigests()
        _ = try await TransportFixture.load(archive, into: target)
        #expect(target.blobs.allDigests() == before)
    }

    @Test func ociLayoutTarAndDirectoryKeepManifestBytes() async throws {
        let fixture = try TransportFixture()
        defer { fixture.cleanup() }
        let image = try fixture.importImage("oci", tag: "demo/oci:v1")
        let tar = try await fixture.save(["demo/oci:v1"], oci: true)
        let entries = try TransportFixture.entries(tar)
        let index = try JSONDecoder().decode(ImageIndex.self, from: Data(entries["index.json"]!))
        #expect(index.manifests.first?.digest == image.manifestDigest)
        #expect(index.manifests.first?.annotations?[Descriptor.refNameAnnotation] == "v1")

        let target = try fixture.freshStore()
        let loaded = try await TransportFixture.load(tar, into: target)
        #expect(loaded.first?.image.id == image.id)
        #expect(loaded.first?.image.manifestDigest == image.manifestDigest)
        #expect(loaded.first?.names.map(\.familiarString) == ["demo/oci:v1"])

        let directory = fixture.directory + "/layout"
        try await ImageCopier().copy(from: try StoreSource(store: fixture.store, names: ["demo/oci:v1"]),
                                     to: try OCILayoutDestination(directory: directory))
        #expect(FileManager.default.fileExists(atPath: directory + "/blobs/sha256/" + image.id.encoded))
        let third = try fixture.freshStore()
        let fromDirectory = try await TransportFixture.load(directory, into: third)
        #expect(fromDirectory.first?.image.manifestDigest == image.manifestDigest)
        #expect(try third.check().isHealthy)
    }

    @Test func compressedArchiveInputLoads() async throws {
        let fixture = try TransportFixture()
        defer { fixture.cleanup() }
        let image = try fixture.importImage("zipped", tag: "demo/zip:1")
        let archive = try await fixture.save(["demo/zip:1"])
        let gz = archive + ".gz"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "gzip -c '\(archive)' > '\(gz)'"]
        try process.run()
        process.waitUntilExit()
        let loaded = try await TransportFixture.load(gz, into: try fixture.freshStore())
        #expect(loaded.first?.image.id == image.id)
    }

    @Test func untaggedImageSavesWithoutNames() async throws {
        let fixture = try TransportFixture()
        defer { fixture.cleanup() }
        let image = try fixture.importImage("bare", tag: nil)
        let archive = try await fixture.save([image.id.description])
        let loaded = try await TransportFixture.load(archive, into: try fixture.freshStore())
        #expect(loaded.first?.image.id == image.id)
        #expect(loaded.first?.names.isEmpty == true)
    }
}
