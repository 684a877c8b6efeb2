import Archive
import Foundation
import OCI
import Store
import Testing
import Transport

@Suite struct MalformedArchiveTests {
    /// Rewrites a saved archive: `transform` gets (name, data) per entry and returns new data, or nil to drop it.
    static func rewrite(_ path: String, _ transform: (String, [UInt8]) -> [UInt8]?) throws -> String {
        let entries = try TransportFixture.entries(path)
        var bytes: [UInt8] = []
        let writer = TarWriter { bytes += $0 }
        for name in entries.keys.sorted() {
            let data = entries[name]!
            if name.hasSuffix("/") { continue }
            if data.starts(with: Array("-> ".utf8)) {
                try writer.writeHeader(TarEntryHeader(name: name, kind: .symbolicLink,
                                                      linkName: String(decoding: data.dropFirst(3), as: UTF8.self)))
                continue
            }
            guard let replaced = transform(name, data) else { continue }
            try writer.writeEntry(TarEntryHeader(name: name, kind: .regular), data: replaced)
        }
        try writer.finish()
        let out = path + ".mutated"
        try Data(bytes).write(to: URL(fileURLWithPath: out))
        return out
    }

    static func expectFailsCleanly(_ archive: String, _ fixture: TransportFixture, _ check: (Error) -> Bool) async throws {
        let target = try fixture.freshStore()
        do {
            _ = try await TransportFixture.load(archive, into: target)
            Issue.record("load of a malformed archive succeeded")
        } catch {
            #expect(check(error), "unexpected error: \(error)")
        }
        #expect(try target.images().isEmpty)
        #expect(target.blobs.allDigests().isEmpty, "staged blobs must be removed after a failed load")
        #expect(try target.check().isHealthy)
    }

    @Test func truncatedArchiveFails() async throws {
        let fixture = try TransportFixture()
        defer { fixture.cleanup() }
        try fixture.importImage("truncate me", tag: "demo/t:1")
        let archive = try await fixture.save(["demo/t:1"])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
        let cut = archive + ".cut"
        try bytes.prefix(bytes.count / 2 + 100).write(to: URL(fileURLWithPath: cut))
        try await Self.expectFailsCleanly(cut, fixture) { error in
            "\(error)".contains("unexpected EOF") || "\(error)".contains("neither manifest.json")
        }
    }

    @Test func missingManifestAndIndexFails() async throws {
        let fixture = try TransportFixture()
        defer { fixture.cleanup() }
        try fixture.importImage("no manifest", tag: "demo/m:1")
        let archive = try Self.rewrite(try await fixture.save(["demo/m:1"])) { name, data in
            name == "manifest.json" || name == "index.json" ? nil : data
        }
        try await Self.expectFailsCleanly(archive, fixture) { "\($0)".contains("neither manifest.json nor index.json") }
    }

    @Test func manifestNamingAMissingLayerFails() async throws {
        let fixture = try TransportFixture()
        defer { fixture.cleanup() }
        let image = try fixture.importImage("gone", tag: "demo/g:1")
        let diffID = try fixture.store.layers(of: image.id)[0].diffID
        let archive = try Self.rewrite(try await fixture.save(["demo/g:1"])) { name, data in
            name == "blobs/sha256/\(diffID.encoded)" ? nil : data
        }
        try await Self.expectFailsCleanly(archive, fixture) { "\($0)".contains("missing from the archive") }
    }

    @Test func layerWhoseContentDoesNotMatchItsNameFails() async throws {
        let fixture = try TransportFixture()
        defer { fixture.cleanup() }
        let image = try fixture.importImage("original", tag: "demo/d:1")
        let diffID = try fixture.store.layers(of: image.id)[0].diffID
        let other = try TransportFixture.layerTar("file", "tampered")
        let archive = try Self.rewrite(try await fixture.save(["demo/d:1"])) { name, data in
            name == "blobs/sha256/\(diffID.encoded)" ? other : data
        }
        try await Self.expectFailsCleanly(archive, fixture) { "\($0)".contains("invalid digest") }
    }

    @Test func diffIDMismatchAgainstConfigFails() async throws {
        let fixture = try TransportFixture()
        defer { fixture.cleanup() }
        try fixture.importImage("legacy", tag: "demo/l:1")
        // Point manifest.json at the legacy `<id>/layer.tar` path and swap its content for another layer.
        let other = try TransportFixture.layerTar("file", "swapped")
        var legacyPath = ""
        let saved = try await fixture.save(["demo/l:1"])
        let archive = try Self.rewrite(saved) { name, data in
            if name.hasSuffix("/layer.tar") { legacyPath = name; return nil }
            return data
        }
        let final = try Self.rewrite(archive) { name, data in
            if name == "manifest.json" {
                let text = String(decoding: data, as: UTF8.self)
                let replaced = text.replacingOccurrences(of: #""Layers":\["[^"]*"\]"#, with: "\"Layers\":[\"\(legacyPath)\"]",
                                                         options: .regularExpression)
                return Array(replaced.utf8)
            }
            return data
        }
        let withLayer = try Self.rewrite(final) { _, data in data }
        // Append the swapped layer under the legacy name.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: withLayer)).dropLast(1024))
        let writer = TarWriter { bytes += $0 }
        try writer.writeEntry(TarEntryHeader(name: legacyPath, kind: .regular), data: other)
        try writer.finish()
        try Data(bytes).write(to: URL(fileURLWithPath: withLayer))
        try await Self.expectFailsCleanly(withLayer, fixture) { "\($0)".contains("invalid diffID for layer 0") }
    }

    @Test func garbageInputFails() async throws {
        let fixture = try TransportFixture()
        defer { fixture.cleanup() }
        let path = fixture.directory + "/garbage"
        try FileManager.default.createDirectory(atPath: fixture.directory, withIntermediateDirectories: true)
        try Data("this is not a tar archive at all".utf8).write(to: URL(fileURLWithPath: path))
        try await Self.expectFailsCleanly(path, fixture) { $0 is ArchiveError }
    }
}
