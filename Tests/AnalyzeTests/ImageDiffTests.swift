import Foundation
import OCI
import Testing
@testable import Analyze

/// `ImageDiff.files` against the Python reference's diff of the same two images' final trees.
@Suite struct ImageDiffTests {
    typealias Entry = AnalyzeTestSupport.LayerEntry
    static func bytes(_ count: Int, _ seed: UInt8) -> [UInt8] { AnalyzeTestSupport.content(count, seed: seed) }

    static let shared: [Entry] = [
        .directory("etc"), .file("etc/passwd", bytes(100, 1)), .file("etc/hosts", bytes(50, 2)),
        .directory("bin"), .file("bin/sh", bytes(900, 3), mode: 0o755), .symlink("bin/ash", target: "sh"),
        .directory("data"), .file("data/a", bytes(10, 4)), .file("data/b", bytes(20, 5)),
        .file("var/log/old.log", bytes(30, 6)),
    ]
    static let oldTop: [Entry] = [.file("app/config", bytes(40, 7)), .file("app/binary", bytes(4000, 8), mode: 0o755)]
    static let newTop: [Entry] = [
        .file("app/config", bytes(40, 9)),  // same size, new content
        .file("app/binary", bytes(4000, 8), mode: 0o700),  // same content, new mode
        .file("etc/hosts", bytes(50, 2), uid: 1000),  // new owner
        .symlink("bin/ash", target: "/bin/busybox"),  // new link target
        .whiteout("data"), .file("data", bytes(3, 10)),  // a directory becomes a file
        .opaque("var/log"), .file("var/log/new.log", bytes(5, 11)),
        .hardLink("bin/sh2", target: "bin/sh"),
    ]

    @Test func matchesTheReferenceDiff() throws {
        let directory = try AnalyzeTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let base = try AnalyzeTestSupport.layer(AnalyzeTestSupport.layerTar(Self.shared), in: directory, name: "base.tar")
        let old = try AnalyzeTestSupport.layer(AnalyzeTestSupport.layerTar(Self.oldTop), in: directory, name: "old.tar")
        let new = try AnalyzeTestSupport.layer(AnalyzeTestSupport.layerTar(Self.newTop), in: directory, name: "new.tar")
        guard let reference = try AnalyzeTestSupport.reference([base.path, old.path], against: [base.path, new.path]),
              let expected = reference.diff else { return }
        let diff = try ImageDiff.files(old: [base.source, old.source], new: [base.source, new.source])
        #expect(diff.added.map(\.path) == expected.added)
        #expect(diff.removed.map(\.path) == expected.removed)
        #expect(diff.changed.map { "\($0.path) \($0.changes.map(\.rawValue))" } == expected.changed.map { "\($0.path) \($0.changes)" })
        // What the fixture is meant to show.
        #expect(expected.changed.count >= 5 && diff.removed.map(\.path).contains("/data/a"))
        let config = diff.changed.first { $0.path == "/app/config" }
        #expect(config?.changes == [.content] && config?.old.contentDigest == Digest.sha256(Self.bytes(40, 7)))
        #expect(diff.added.first { $0.path == "/bin/sh2" }?.linkTarget == "bin/sh")
        #expect(try JSONDecoder().decode(ImageDiff.self, from: JSONEncoder().encode(diff)) == diff)
    }

    @Test func anImageDiffedWithItselfIsEmpty() throws {
        let directory = try AnalyzeTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let base = try AnalyzeTestSupport.layer(AnalyzeTestSupport.layerTar(Self.shared), in: directory, name: "base.tar")
        let top = try AnalyzeTestSupport.layer(AnalyzeTestSupport.layerTar(Self.newTop), in: directory, name: "top.tar")
        let diff = try ImageDiff.files(old: [base.source, top.source], new: [base.source, top.source])
        #expect(diff.added.isEmpty && diff.removed.isEmpty && diff.changed.isEmpty)
        let fromScratch = try ImageDiff.files(old: [], new: [base.source])
        #expect(fromScratch.added.count == 12 && fromScratch.added.first { $0.path == "/var" }?.implicit == true)
    }

    @Test func modificationTimesOnlyWhenAsked() {
        var old = FileState(path: "f", record: nil)
        old.kind = .file
        var new = old
        new.modificationTime = 5
        #expect(ImageDiff.differences(old, new, options: ImageDiffOptions()).isEmpty)
        #expect(ImageDiff.differences(old, new, options: ImageDiffOptions(compareModificationTimes: true)) == [.modificationTime])
    }
}
