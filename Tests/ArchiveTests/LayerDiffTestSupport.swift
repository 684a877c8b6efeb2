import Foundation

@testable import Archive

#if os(Linux)
import CXattr
#endif

/// Tree fixtures and layer readers for the LayerDiff / OverlayUpper tests, shaped for reuse by a
/// later round-trip test: `TreeSnapshot.of(after) == TreeSnapshot.of(apply(diff(before, after), before))`.
enum LayerTestTrees {
    /// Runs a shell script (bash -e) with `cwd` as working directory; fails the test on error.
    static func sh(_ script: String, in cwd: URL) throws {
        let (_, status) = try TestSupport.run(["bash", "-ec", script], directory: cwd)
        guard status == 0 else { throw ArchiveError.invalidArgument("script failed (\(status)): \(script)") }
    }

    /// The layer `LayerDiff` writes for two trees, as bytes.
    static func diffLayer(before: URL, after: URL) throws -> [UInt8] {
        var tar: [UInt8] = []
        try LayerDiff.write(before: before.path, after: after.path, to: TarWriter { tar.append(contentsOf: $0) })
        return tar
    }

    /// The layer `OverlayUpper` writes for an upper dir, as bytes.
    static func upperLayer(_ upper: URL, options: OverlayUpper.Options = .init()) throws -> [UInt8] {
        var tar: [UInt8] = []
        try OverlayUpper.write(upper: upper.path, to: TarWriter { tar.append(contentsOf: $0) }, options: options)
        return tar
    }

    /// A tar's entries in order, read by our validator (every entry is checked on the way).
    static func entries(_ tar: [UInt8]) throws -> [TarEntryHeader] {
        var entries: [TarEntryHeader] = []
        _ = try TarStreamValidator.validate(tar) { entries.append($0) }
        return entries
    }

    static func setXattr(_ url: URL, _ name: String, _ value: String) throws {
        #if os(Linux)
        let bytes = Array(value.utf8)
        guard lsetxattr(url.path, name, bytes, bytes.count, 0) == 0 else {
            throw ArchiveError.systemCall("setxattr \(name)", errno: errno)
        }
        #endif
    }

    /// `before`, and `after` = a copy of it (`cp -a`: same mtimes, xattrs, hard links) then changed
    /// in every way the differ must notice. Returns (parent, before, after); remove the parent.
    static func makeChangedPair() throws -> (parent: URL, before: URL, after: URL) {
        let parent = try TestSupport.temporaryDirectory()
        try sh("""
            mkdir before && cd before
            mkdir -p keep gonedir/sub d2l deep/a/b untouched
            echo same > keep/same.txt; echo old > keep/changed.txt; echo mode > keep/chmod.txt
            echo x > gone.txt; echo y > gonedir/sub/f; echo z > f2d; echo w > d2l/x
            echo c > deep/a/b/c.txt; echo u > untouched/u; echo x > xattr.txt; ln -s aaaa link
            cd .. && cp -a before after && cd after
            echo newer-content > keep/changed.txt; chmod 600 keep/chmod.txt
            ln keep/same.txt keep/same-link
            rm gone.txt; rm -r gonedir; rm f2d; mkdir f2d; echo i > f2d/inner
            rm -r d2l; ln -s keep d2l; echo cc > deep/a/b/c.txt
            rm link; ln -s bbbb link; touch -h -r ../before/link link
            mkdir new; echo h > new/h1; ln new/h1 new/h2
            """, in: parent)
        try setXattr(parent.appendingPathComponent("after/xattr.txt"), "user.strata.test", "v")
        return (parent, parent.appendingPathComponent("before"), parent.appendingPathComponent("after"))
    }
}

/// What a tree holds, path by path, for comparing trees (mtimes of directories left out: applying
/// a layer changes them, and docker ignores them too).
struct TreeSnapshot: Equatable, CustomStringConvertible {
    var entries: [String: String]

    static func of(_ root: URL) throws -> TreeSnapshot {
        var tar: [UInt8] = []
        var contents: [String: String] = [:]
        try DirectoryTarStream.write(directory: root.path, to: TarWriter { tar.append(contentsOf: $0) })
        for header in try LayerTestTrees.entries(tar) {
            var line = "\(header.kind) \(String(header.mode, radix: 8)) \(header.uid):\(header.gid)"
            if header.kind != .directory { line += " t=\(header.modificationTime)" }
            if header.kind == .regular {
                line += " " + TestSupport.sha256(Array(try Data(contentsOf: root.appendingPathComponent(header.name))))
            }
            if !header.linkName.isEmpty { line += " -> \(header.linkName)" }
            let xattrs = header.xattrs.keys.sorted().map { "\($0)=\(header.xattrs[$0]!)" }
            if !xattrs.isEmpty { line += " " + xattrs.joined(separator: ",") }
            contents[header.name] = line
        }
        return TreeSnapshot(entries: contents)
    }

    var description: String {
        entries.keys.sorted().map { "\($0): \(entries[$0]!)" }.joined(separator: "\n")
    }
}
