import Foundation
import Testing

/// Unit tests of the build oracle's pure parts: `ImageTree` parsing/diffing and `BuildOracleConfig`.
@Suite("BuildOracle comparison rules")
struct BuildOracleImageTreeTests {
    static func record(_ path: String, _ kind: String, _ mode: String, uid: Int = 0, gid: Int = 0, size: Int = 0,
                       mtime: String = "0.0000000000", link: String = "", inode: Int, links: Int = 1) -> String {
        [path, kind, mode, "\(uid)", "\(gid)", "\(size)", mtime, link, "\(inode)", "\(links)"].joined(separator: "\0") + "\0"
    }

    static func entry(_ path: String, _ kind: ImageTree.Kind = .file, mode: Int = 0o644, uid: Int = 0, gid: Int = 0,
                      size: Int = 1, mtime: Int = 0, link: String = "", inode: UInt64 = 1, links: Int = 1,
                      sha: String = "aa") -> ImageTree.Entry {
        ImageTree.Entry(path: path, kind: kind, mode: mode, uid: uid, gid: gid, size: kind == .file ? size : 0,
                        mtime: mtime, linkTarget: link, device: "", inode: inode, linkCount: links,
                        sha256: kind == .file ? sha : "")
    }

    static let rules = ImageTree.Rules(mtimeCutoff: 1_000)

    @Test("parses find records: modes incl. setuid, owners, fractional mtimes, symlinks, odd names")
    func parse() throws {
        let output = Self.record("bin", "d", "755", inode: 2)
            + Self.record("bin/sh", "l", "777", link: "busybox", inode: 3)
            + Self.record("bin/su", "f", "4755", uid: 1, gid: 2, size: 10, mtime: "1609459200.9999999990", inode: 4, links: 2)
            + Self.record("dir with space/ünï", "f", "600", inode: 5)
            + Self.record("tmp", "d", "1777", inode: 6)
            + Self.record("fifo", "p", "644", inode: 7)
        let entries = try ImageTree.parse(findOutput: output)
        #expect(entries.map(\.path) == ["/bin", "/bin/sh", "/bin/su", "/dir with space/ünï", "/tmp", "/fifo"])
        #expect(entries[1].kind == .symlink && entries[1].linkTarget == "busybox" && entries[1].size == 0)
        #expect(entries[2].mode == 0o4755 && entries[2].uid == 1 && entries[2].gid == 2 && entries[2].size == 10)
        #expect(entries[2].mtime == 1_609_459_200 && entries[2].linkCount == 2 && entries[2].inode == 4)
        #expect(entries[4].mode == 0o1777 && entries[5].kind == .fifo)
    }

    @Test("rejects malformed listings")
    func parseErrors() {
        #expect(throws: ImageTreeError.self) { try ImageTree.parse(findOutput: "a\0x\0755\00\00\00\00\0\01\01\0") }
        #expect(throws: ImageTreeError.self) { try ImageTree.parse(findOutput: "a\0f\0") }
    }

    @Test("identical trees have no differences")
    func same() {
        let tree = ImageTree([Self.entry("/a"), Self.entry("/d", .directory, mode: 0o755, inode: 2)])
        #expect(ImageTree.differences(expected: tree, actual: tree, rules: Self.rules).isEmpty)
    }

    @Test("missing, unexpected, type, mode, owner, content, size and symlink differences are each reported")
    func eachDifference() {
        let docker = ImageTree([
            Self.entry("/gone"), Self.entry("/kind"), Self.entry("/mode", mode: 0o4755), Self.entry("/owner", uid: 1, gid: 2),
            Self.entry("/bytes", sha: "11"), Self.entry("/size", size: 5), Self.entry("/link", .symlink, mode: 0o777, link: "a"),
        ])
        let strata = ImageTree([
            Self.entry("/extra"), Self.entry("/kind", .directory, mode: 0o644), Self.entry("/mode", mode: 0o755),
            Self.entry("/owner"), Self.entry("/bytes", sha: "22"), Self.entry("/size", size: 6),
            Self.entry("/link", .symlink, mode: 0o777, link: "b"),
        ])
        let lines = ImageTree.differences(expected: docker, actual: strata, rules: Self.rules)
        #expect(lines.count == 8, "\(lines)")
        #expect(lines.contains("/gone: missing (docker has file 0644 0:0 1B)"))
        #expect(lines.contains("/extra: unexpected file 0644 0:0 1B (docker has nothing)"))
        #expect(lines.contains { $0.hasPrefix("/kind: type directory != file") })
        #expect(lines.contains { $0.hasPrefix("/mode: mode 0755 != 04755") })
        #expect(lines.contains { $0.hasPrefix("/owner: owner 0:0 != 1:2") })
        #expect(lines.contains { $0.hasPrefix("/bytes: content sha256 22 != 11") })
        #expect(lines.contains { $0.hasPrefix("/size: size 6 != 5") })
        #expect(lines.contains { $0.hasPrefix("/link: symlink target \"b\" != \"a\"") })
        #expect(lines == lines.sorted())
    }

    @Test("mtimes are compared only where docker's is preserved (before the cutoff)")
    func mtimeRule() {
        let docker = ImageTree([Self.entry("/old", mtime: 500), Self.entry("/new", mtime: 5_000),
                                Self.entry("/dir", .directory, mode: 0o755, mtime: 999)])
        let strata = ImageTree([Self.entry("/old", mtime: 501), Self.entry("/new", mtime: 6_000),
                                Self.entry("/dir", .directory, mode: 0o755, mtime: 7_000)])
        let lines = ImageTree.differences(expected: docker, actual: strata, rules: Self.rules)
        #expect(lines.count == 2, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("/old: mtime 1970-01-01T00:08:21Z != 1970-01-01T00:08:20Z") })
        #expect(lines.contains { $0.hasPrefix("/dir: mtime") })
    }

    @Test("hard-link groups are compared by membership, not inode numbers")
    func hardLinks() {
        let docker = ImageTree([Self.entry("/a", inode: 10, links: 2), Self.entry("/b", inode: 10, links: 2), Self.entry("/c", inode: 11)])
        let sameGroups = ImageTree([Self.entry("/a", inode: 77, links: 2), Self.entry("/b", inode: 77, links: 2), Self.entry("/c", inode: 5)])
        #expect(ImageTree.differences(expected: docker, actual: sameGroups, rules: Self.rules).isEmpty)
        let copies = ImageTree([Self.entry("/a", inode: 1), Self.entry("/b", inode: 2), Self.entry("/c", inode: 3)])
        let lines = ImageTree.differences(expected: docker, actual: copies, rules: Self.rules)
        #expect(lines == ["/a: hard links [] != [\"/b\"] (strata != docker)", "/b: hard links [] != [\"/a\"] (strata != docker)"])
    }

    @Test("ignoreContent skips bytes and size, ignorePaths skips whole subtrees")
    func ignores() {
        let docker = ImageTree([Self.entry("/bin/hello", size: 10, sha: "1"), Self.entry("/var/x"), Self.entry("/var/x/y")])
        let strata = ImageTree([Self.entry("/bin/hello", size: 11, sha: "2")])
        var rules = Self.rules
        rules.ignoreContent = ["/bin/hello"]
        rules.ignorePaths = ["/var/x"]
        #expect(ImageTree.differences(expected: docker, actual: strata, rules: rules).isEmpty)
    }

    @Test("config: fields, platform, layers and history differences; absent equals null, ArgsEscaped absent equals false")
    func config() throws {
        let docker = #"""
            {"architecture":"amd64","os":"linux","config":{"Env":["A=b"],"Cmd":["sh"],"Labels":{"k":"v"},"ArgsEscaped":true,"Entrypoint":null},
             "history":[{"created_by":"FROM","comment":"Imported from -"},{"created_by":"ENV A=b","comment":"buildkit.dockerfile.v0","empty_layer":true}]}
            """#
        let same = #"""
            {"os":"linux","architecture":"amd64","config":{"Labels":{"k":"v"},"Cmd":["sh"],"Env":["A=b"],"ArgsEscaped":true},
             "history":[{"comment":"Imported from -","created_by":"FROM"},{"created_by":"ENV A=b","empty_layer":true,"comment":"buildkit.dockerfile.v0"}]}
            """#
        #expect(try BuildOracleConfig.differences(expected: Data(docker.utf8), actual: Data(same.utf8),
                                                  expectedLayers: 1, actualLayers: 1).isEmpty)
        let other = #"""
            {"architecture":"arm64","os":"linux","config":{"Env":["A=c"],"Cmd":["sh"],"Labels":{"k":"v"}},
             "history":[{"created_by":"FROM","comment":"Imported from -"},{"created_by":"ENV A=c","comment":"buildkit.dockerfile.v0"}]}
            """#
        let lines = try BuildOracleConfig.differences(expected: Data(docker.utf8), actual: Data(other.utf8),
                                                      expectedLayers: 1, actualLayers: 2)
        #expect(lines.contains("config architecture: strata \"arm64\" != docker \"amd64\""))
        #expect(lines.contains("config.Env: strata [\"A=c\"] != docker [\"A=b\"]"))
        #expect(lines.contains("config.ArgsEscaped: strata false != docker true"))
        #expect(lines.contains("layers: strata has 2, docker 1"))
        #expect(lines.contains("history[1]: strata \"ENV A=c\" comment=\"buildkit.dockerfile.v0\" != docker \"ENV A=b\" (empty_layer) comment=\"buildkit.dockerfile.v0\""))
        #expect(lines.count == 5, "\(lines)")
        #expect(try BuildOracleConfig.differences(expected: Data(docker.utf8), actual: Data(other.utf8), expectedLayers: 1,
                                                  actualLayers: 1, compareHistory: false).count == 3)
    }
}
