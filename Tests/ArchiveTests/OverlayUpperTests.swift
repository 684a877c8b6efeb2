import Foundation
import Testing

@testable import Archive

@Suite struct OverlayUpperTests {
    static var isRoot: Bool { getuid() == 0 }

    /// An upper dir made by hand, the way overlayfs lays one out.
    static func makeUpper() throws -> URL {
        let upper = try TestSupport.temporaryDirectory()
        try LayerTestTrees.sh("""
            mkdir -p etc opq/sub uopq plain
            echo n > etc/new.conf; echo f > opq/f; echo g > uopq/g; echo p > plain/copied-up
            mknod removed c 0 0; chown 12:34 removed; touch -d @1700000000 removed
            ln removed etc/.shared-whiteout-check 2>/dev/null || true
            mknod etc/gone c 0 0
            mknod realdev c 1 3
            chmod 750 opq
            """, in: upper)
        try LayerTestTrees.setXattr(upper.appendingPathComponent("opq"), "trusted.overlay.opaque", "y")
        try LayerTestTrees.setXattr(upper.appendingPathComponent("uopq"), "user.overlay.opaque", "y")
        try LayerTestTrees.setXattr(upper.appendingPathComponent("plain/copied-up"), "trusted.overlay.origin", "xyz")
        try LayerTestTrees.setXattr(upper.appendingPathComponent("plain/copied-up"), "user.kept", "k")
        return upper
    }

    @Test(.enabled(if: isRoot)) func whiteoutsAndOpaqueDirectoriesAreConverted() throws {
        let upper = try Self.makeUpper()
        defer { try? FileManager.default.removeItem(at: upper) }
        let entries = try LayerTestTrees.entries(LayerTestTrees.upperLayer(upper))
        #expect(entries.map(\.name) == [
            "etc/", "etc/.wh..shared-whiteout-check", "etc/.wh.gone", "etc/new.conf",
            "opq/", "opq/.wh..wh..opq", "opq/f", "opq/sub/",
            "plain/", "plain/copied-up", "realdev", ".wh.removed",
            "uopq/", "uopq/.wh..wh..opq", "uopq/g",
        ])
        let byName = Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0) })
        let removed = try #require(byName[".wh.removed"])
        #expect(removed.kind == .regular && removed.mode == 0o600 && removed.size == 0)
        #expect(removed.uid == 12 && removed.gid == 34 && removed.modificationTime == 1_700_000_000)
        #expect(byName["etc/.wh..shared-whiteout-check"]?.kind == .regular, "a shared whiteout inode is no hard link")
        #expect(byName["opq/"]?.xattrs.isEmpty == true)
        #expect(byName["opq/.wh..wh..opq"]?.mode == 0o750)
        #expect(byName["plain/copied-up"]?.xattrs == ["user.kept": Array("k".utf8)])
        #expect(byName["realdev"]?.kind == .characterDevice && byName["realdev"]?.deviceMinor == 3)
    }

    @Test(.enabled(if: isRoot)) func redirectAndMetacopyFailUnlessAllowed() throws {
        let upper = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: upper) }
        try LayerTestTrees.sh("mkdir moved && echo m > moved/m", in: upper)
        try LayerTestTrees.setXattr(upper.appendingPathComponent("moved"), "trusted.overlay.redirect", "/old")
        #expect(throws: ArchiveError.self) { try LayerTestTrees.upperLayer(upper) }
        let entries = try LayerTestTrees.entries(
            LayerTestTrees.upperLayer(upper, options: .init(redirectAndMetacopy: .treatAsRegularContent)))
        #expect(entries.map(\.name) == ["moved/", "moved/m"])
        #expect(entries.first?.xattrs.isEmpty == true)
    }

    /// The real thing: an overlay mount, changed through the merged dir; skipped where mounting fails.
    @Test(.enabled(if: isRoot)) func realOverlayUpperMatchesTheNaiveDiff() throws {
        let parent = try TestSupport.temporaryDirectory()
        defer {
            _ = try? TestSupport.run(["umount", parent.appendingPathComponent("merged").path])
            try? FileManager.default.removeItem(at: parent)
        }
        try LayerTestTrees.sh("""
            mkdir -p lower/keep lower/redo/old lower/gone upper work merged
            echo k > lower/keep/k; echo o > lower/redo/old/o; echo g > lower/gone/g; echo x > lower/x
            """, in: parent)
        let (_, status) = try TestSupport.run([
            "mount", "-t", "overlay", "overlay", "-o",
            "lowerdir=lower,upperdir=upper,workdir=work,redirect_dir=off,metacopy=off", "merged",
        ], directory: parent)
        guard status == 0 else {
            // Mounting overlayfs needs root; CI runs as root, so there it must work.
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("mount -t overlay failed under CI") }
            return
        }
        try LayerTestTrees.sh("""
            cd merged && rm x && rm -r gone && rm -r redo && mkdir redo && echo n > redo/n
            echo more >> keep/k && mkdir fresh && echo f > fresh/f
            """, in: parent)
        let entries = try LayerTestTrees.entries(LayerTestTrees.upperLayer(parent.appendingPathComponent("upper")))
        #expect(entries.map(\.name) == [
            "fresh/", "fresh/f", ".wh.gone", "keep/", "keep/k", "redo/", "redo/.wh..wh..opq", "redo/n", ".wh.x",
        ])
    }
}
