import Foundation
import Testing
@testable import Archive

/// Diff and apply are inverses: applying diff(before, after) onto before gives after.
@Suite struct LayerRoundTripTests {
    @Test func applyingADiffReproducesTheNewTree() throws {
        let (parent, before, after) = try LayerTestTrees.makeChangedPair()
        defer { try? FileManager.default.removeItem(at: parent) }
        let layer = try LayerTestTrees.diffLayer(before: before, after: after)
        let target = parent.appendingPathComponent("target")
        try LayerTestTrees.sh("cp -a before target", in: parent)
        let applier = try LayerApplier(directory: target.path)
        try layer.withUnsafeBytes { _ = try applier.apply(layerBytes: $0) }
        // A new hard link to an unchanged lower file travels as a copy (docker's layers do the same: a tar
        // link can only name an entry of the same tar), so link identity is compared as content.
        let expected = try TreeSnapshot.of(after).linksAsContent()
        let actual = try TreeSnapshot.of(target).linksAsContent()
        #expect(actual == expected, "applied tree differs:\n\(actual)\n---\n\(expected)")
    }

    @Test func applyingAWholeTreeLayerOntoNothingReproducesIt() throws {
        let (parent, _, after) = try LayerTestTrees.makeChangedPair()
        defer { try? FileManager.default.removeItem(at: parent) }
        var tar: [UInt8] = []
        try DirectoryTarStream.write(directory: after.path, to: TarWriter { tar.append(contentsOf: $0) })
        let target = parent.appendingPathComponent("fresh")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        try tar.withUnsafeBytes { _ = try LayerApplier(directory: target.path).apply(layerBytes: $0) }
        #expect(try TreeSnapshot.of(target) == TreeSnapshot.of(after))
    }
}

extension TreeSnapshot {
    /// Each hard link replaced by what its target holds, with the link's own name.
    func linksAsContent() -> TreeSnapshot {
        var result = entries
        for (name, line) in entries where line.hasPrefix("hardLink") {
            if let target = line.components(separatedBy: " -> ").last, let content = entries[target] {
                result[name] = content.replacingOccurrences(of: "hardLink", with: "regular")
            }
        }
        for (name, line) in result where line.hasPrefix("hardLink") { result[name] = nil }
        return TreeSnapshot(entries: result)
    }
}
