import Archive
import Foundation
import OCI
import Store
import Testing
@testable import ImageBuilder

/// Exports a one-file image from a throw-away store to each kind of destination.
@Suite struct OutputExporterTests {
    struct Fixture {
        let directory = NSTemporaryDirectory() + "strata-output-tests-\(UUID().uuidString)"
        let store: ImageStore
        let image: StoredImage

        init() throws {
            store = try ImageStore(root: StoreRoot(path: directory))
            var bytes: [UInt8] = []
            let writer = TarWriter { bytes.append(contentsOf: $0) }
            try writer.writeHeader(TarEntryHeader(name: "etc/", kind: .directory, mode: 0o755))
            try writer.writeEntry(TarEntryHeader(name: "etc/hello", kind: .regular, size: 3, mode: 0o644), data: Array("hi\n".utf8))
            try writer.finish()
            let tar = directory + "/rootfs.tar"
            _ = FileManager.default.createFile(atPath: tar, contents: Data(bytes))
            image = try ImageImporter(store: store).importImage(from: .file(tar), config: ContainerConfig(), message: nil,
                                                                reference: try ImageReference("out/test:1"))
        }

        func cleanup() { try? FileManager.default.removeItem(atPath: directory) }
    }

    @Test func localWritesTheRootFilesystemAndMergesIntoAnExistingDirectory() async throws {
        let fixture = try Fixture()
        defer { fixture.cleanup() }
        let exporter = BuildOutputExporter(store: fixture.store)
        let fresh = fixture.directory + "/fresh"
        try await exporter.export(imageID: fixture.image.id, spec: fresh)
        #expect(try String(contentsOfFile: fresh + "/etc/hello", encoding: .utf8) == "hi\n")

        let existing = fixture.directory + "/existing"
        try FileManager.default.createDirectory(atPath: existing + "/etc", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: existing + "/keep", contents: Data("k".utf8))
        _ = FileManager.default.createFile(atPath: existing + "/etc/hello", contents: Data("old".utf8))
        try await exporter.export(imageID: fixture.image.id, spec: "type=local,dest=\(existing)")
        #expect(try String(contentsOfFile: existing + "/etc/hello", encoding: .utf8) == "hi\n")
        #expect(FileManager.default.fileExists(atPath: existing + "/keep"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: fixture.directory).filter { $0.hasPrefix(".strata-output-") }
        #expect(leftovers.isEmpty)
    }

    @Test func tarOCIAndDockerWriteArchives() async throws {
        let fixture = try Fixture()
        defer { fixture.cleanup() }
        let exporter = BuildOutputExporter(store: fixture.store)
        for (kind, expected) in [("tar", "etc/hello"), ("oci", "index.json"), ("docker", "manifest.json")] {
            let path = fixture.directory + "/\(kind).tar"
            try await exporter.export(imageID: fixture.image.id, spec: "type=\(kind),dest=\(path)")
            let listing = try Self.tarNames(path)
            #expect(listing.contains(expected), "\(kind): \(listing)")
        }
    }

    @Test func imageTagsTheBuiltImageAndFileDestinationsMustNotBeDirectories() async throws {
        let fixture = try Fixture()
        defer { fixture.cleanup() }
        let exporter = BuildOutputExporter(store: fixture.store)
        try await exporter.export(imageID: fixture.image.id, spec: "type=image,name=out/other:2")
        #expect(try fixture.store.resolve("out/other:2").id == fixture.image.id)
        await #expect(throws: BuildOutputError("destination file \(fixture.directory) is a directory")) {
            try await exporter.export(imageID: fixture.image.id, spec: "type=tar,dest=\(fixture.directory)")
        }
    }

    static func tarNames(_ path: String) throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var names: [String] = []
        var offset = 0
        while offset + 512 <= data.count {
            let header = data[offset..<(offset + 512)]
            if header.allSatisfy({ $0 == 0 }) { break }
            let name = String(decoding: header.prefix(100).prefix { $0 != 0 }, as: UTF8.self)
            let sizeText = String(decoding: header.dropFirst(124).prefix(12).prefix { $0 != 0 && $0 != 0x20 }, as: UTF8.self)
            let size = Int(sizeText, radix: 8) ?? 0
            if name != "././@PaxHeader" && !name.hasPrefix("PaxHeader") { names.append(name) }
            offset += 512 + (size + 511) / 512 * 512
        }
        return names
    }
}
