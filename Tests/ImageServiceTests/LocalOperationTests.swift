import Archive
import Foundation
import OCI
import Store
import Testing
import Transport
@testable import ImageService

/// The store-side operations called as a library: import, tag, save, load, copy, remove and prune, with no binary.
@Suite struct LocalOperationTests {
    static func tarFile(in directory: String, content: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/rootfs-\(UUID().uuidString).tar"
        var bytes: [UInt8] = []
        let writer = TarWriter { bytes.append(contentsOf: $0) }
        try writer.writeEntry(TarEntryHeader(name: "hello.txt", kind: .regular, size: Int64(content.utf8.count)),
                              data: Array(content.utf8))
        try writer.finish()
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    @Test func importTagSaveLoadRemoveAndPrune() async throws {
        let fixture = try ServiceFixture()
        defer { fixture.cleanup() }
        let service = fixture.service
        let tar = try Self.tarFile(in: fixture.directory + "/in", content: "hello")
        let imported = try service.importImage(from: .file(tar), config: ContainerConfig(), message: nil,
                                               reference: try ImageReference("demo/app:1"))
        let tagged = try service.tag("demo/app:1", as: try ImageReference("demo/app:2"))
        #expect(tagged.id == imported.id)
        #expect(try service.image("demo/app:2").repoTags.map(\.familiarString) == ["demo/app:1", "demo/app:2"])
        #expect(throws: ServiceError.self) { try service.tag("demo/app:1", as: try ImageReference("demo/app@sha256:" + String(repeating: "a", count: 64))) }

        // save as an OCI layout directory, load into a second service's root: same image ID and names.
        let layout = fixture.directory + "/layout"
        try await service.save(["demo/app:1"], format: .ociDirectory, to: nil, directory: layout)
        let other = try ServiceFixture()
        defer { other.cleanup() }
        let loaded = try await other.service.load(.directory(layout))
        #expect(loaded.map(\.image.id) == [imported.id])
        #expect(try other.service.image("demo/app:1").id == imported.id)

        // A name the store lacks is reported before anything is written.
        do {
            try await service.save(["nope:1"], format: .ociDirectory, to: nil, directory: fixture.directory + "/none")
            Issue.record("save of a missing name succeeded")
        } catch let error as UnresolvedNames {
            #expect(error.kind == .invalidArgument || error.kind == .notFound)
        }

        // copy between transports through the service: the store to an OCI layout and back into another root.
        let copied = try await service.copy(CopyOptions(source: try TransportName("strata:demo/app:2"),
                                                        destination: try TransportName("oci:\(fixture.directory)/copy:two")))
        #expect(copied.images.map(\.id) == [imported.id])
        #expect(copied.layersSent.count == 1 && copied.bytesSent > 0)
        let back = try await other.service.copy(CopyOptions(source: try TransportName("oci:\(fixture.directory)/copy:two"),
                                                            destination: try TransportName("strata:demo/copied:1")))
        #expect(back.layersSkipped.count == 1, "the layer was loaded before: \(back.layersSkipped)")
        #expect(try other.service.image("demo/copied:1").id == imported.id)

        // remove both names: the image goes; prune then has nothing left to free.
        #expect(try service.remove("demo/app:1", force: false) == [.untagged("demo/app:1")])
        let records = try service.remove("demo/app:2", force: false)
        #expect(records.contains(.deleted(imported.id.description)))
        #expect(try service.prune(all: true).records.isEmpty)
        #expect(try service.store().images().isEmpty)
        #expect(try service.store().check().isHealthy)
    }

    @Test func runOfAnImageWithoutCommandFailsBeforeAnyContainer() async throws {
        let fixture = try ServiceFixture()
        defer { fixture.cleanup() }
        let tar = try Self.tarFile(in: fixture.directory + "/in", content: "x")
        try fixture.service.importImage(from: .file(tar), config: ContainerConfig(), message: nil,
                                        reference: try ImageReference("demo/nocmd:1"))
        do {
            _ = try await fixture.service.run(RunOptions(image: "demo/nocmd:1"))
            Issue.record("a run without a command started")
        } catch let failure as RunFailure {
            guard case .noCommand = failure else { Issue.record("unexpected failure \(failure)"); return }
            #expect(failure.kind == .invalidArgument)
        }
        let containers = (try? FileManager.default.contentsOfDirectory(atPath: fixture.service.environment.root.containersDirectory)) ?? []
        #expect(containers.isEmpty)
    }
}
