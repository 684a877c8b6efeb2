import Foundation
import Testing

@testable import Archive

@Suite struct LayerDiffTests {
    @Test func diffListsAddsChangesDeletionsAndParents() throws {
        let (parent, before, after) = try LayerTestTrees.makeChangedPair()
        defer { try? FileManager.default.removeItem(at: parent) }
        let tar = try LayerTestTrees.diffLayer(before: before, after: after)
        let entries = try LayerTestTrees.entries(tar)
        #expect(entries.map(\.name) == [
            "d2l", "deep/", "deep/a/", "deep/a/b/", "deep/a/b/c.txt", "f2d/", "f2d/inner",
            ".wh.gone.txt", ".wh.gonedir", "keep/", "keep/changed.txt", "keep/chmod.txt", "keep/same-link",
            "keep/same.txt", "link", "new/", "new/h1", "new/h2", "xattr.txt",
        ])
        let byName = Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0) })
        #expect(byName["d2l"]?.kind == .symbolicLink && byName["d2l"]?.linkName == "keep")
        #expect(byName["link"]?.linkName == "bbbb", "same size and mtime, but the target changed")
        #expect(byName["keep/chmod.txt"]?.mode == 0o600)
        #expect(byName["keep/changed.txt"]?.size == 14)
        // A new link to an old file takes the file along (as overlayfs's copy-up does): the first path walked
        // carries the data, the other links to it.
        #expect(byName["keep/same-link"]?.kind == .regular)
        #expect(byName["keep/same.txt"]?.kind == .hardLink && byName["keep/same.txt"]?.linkName == "keep/same-link")
        #expect(byName["new/h2"]?.kind == .hardLink && byName["new/h2"]?.linkName == "new/h1")
        #expect(byName["xattr.txt"]?.xattrs["user.strata.test"] == Array("v".utf8))
        let whiteout = try #require(byName[".wh.gonedir"])
        #expect(whiteout.kind == .regular && whiteout.size == 0 && whiteout.mode == 0 && whiteout.modificationTime == 0)
        #expect(!entries.contains { $0.name.hasPrefix("untouched") })
        #expect(!entries.contains { $0.name.contains(LayerDiff.opaqueWhiteoutName) })
        #expect(try LayerTestTrees.diffLayer(before: before, after: after) == tar, "deterministic")
    }

    @Test func diffIsReadByGnuTar() throws {
        let (parent, before, after) = try LayerTestTrees.makeChangedPair()
        defer { try? FileManager.default.removeItem(at: parent) }
        let tar = try LayerTestTrees.diffLayer(before: before, after: after)
        guard TestSupport.toolExists("tar") else { return }
        let (listing, status) = try TestSupport.run(["tar", "-tvf", "-"], input: tar)
        #expect(status == 0)
        let text = String(decoding: listing, as: UTF8.self)
        #expect(text.contains("new/h2 link to new/h1"))
        #expect(text.contains(".wh.gone.txt"))
        #expect(text.contains("d2l -> keep"))
    }

    @Test func identicalTreesGiveAnEmptyLayer() throws {
        let root = try DirectoryTarStreamTests.makeTree()
        defer { try? FileManager.default.removeItem(at: root) }
        let tar = try LayerTestTrees.diffLayer(before: root, after: root)
        #expect(tar == [UInt8](repeating: 0, count: 1024))
    }

    @Test func diffAgainstAnEmptyTreeIsTheWholeTree() throws {
        let root = try DirectoryTarStreamTests.makeTree()
        let empty = try TestSupport.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: root)
            try? FileManager.default.removeItem(at: empty)
        }
        #expect(try LayerTestTrees.diffLayer(before: empty, after: root) == DirectoryTarStreamTests.tar(of: root))
        let removal = try LayerTestTrees.entries(LayerTestTrees.diffLayer(before: root, after: empty))
        #expect(removal.map(\.name) == [".wh.a", ".wh.b"])
    }

    @Test func metadataOnlyChangesOfDirectoriesAndOwners() throws {
        let parent = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        try LayerTestTrees.sh("""
            mkdir -p before/d/e before/t && echo f > before/d/e/f && echo o > before/owned
            cp -a before after
            touch -d @1000 after/d/e          # a directory's mtime alone is not a change (docker)
            chmod 700 after/t                  # its mode is
            chown 1234:5678 after/owned
            """, in: parent)
        let entries = try LayerTestTrees.entries(
            LayerTestTrees.diffLayer(before: parent.appendingPathComponent("before"), after: parent.appendingPathComponent("after")))
        #expect(entries.map(\.name) == ["owned", "t/"])
        #expect(entries.first?.uid == 1234 && entries.first?.gid == 5678)
    }

    @Test func pipeFeedsLayerIngest() throws {
        let (parent, before, after) = try LayerTestTrees.makeChangedPair()
        defer { try? FileManager.default.removeItem(at: parent) }
        let expected = try LayerTestTrees.diffLayer(before: before, after: after)
        let pipe = try LayerDiff.openPipe(before: before.path, after: after.path)
        let result = try LayerIngest.ingest(from: pipe.fileDescriptor, to: nil)
        close(pipe.fileDescriptor)
        try pipe.waitForWriter()
        #expect(result.diffID.description == TestSupport.sha256(expected))
        #expect(result.entryCount == 19)
    }
}
