import Foundation
import Testing

@testable import Archive
#if os(Linux)
import CXattr
#endif

@Suite struct LayerApplyTests {
    static let isRoot = geteuid() == 0

    @Test func everyEntryTypeIsCreatedWithItsMetadata() throws {
        let fixture = try LayerApplyFixture()
        let summary = try fixture.apply(try LayerApplyFixture.layer { tar in
            try tar.directory("dir/", mode: 0o750, uid: 12, gid: 34, mtime: 1_500_000_000)
            try tar.file("dir/file", "hello", mode: 0o640, uid: 1234, gid: 5678, mtime: 1_400_000_000)
            try tar.file("dir/setuid", "x", mode: 0o4755)
            try tar.file("dir/setgid", "x", mode: 0o2711)
            try tar.directory("sticky/", mode: 0o1777)
            try tar.symlink("dir/link", to: "file", uid: 7, gid: 8)
            // A hard link's header metadata lands on the shared inode (as in docker), so it repeats the file's.
            try tar.hardLink("dir/hard", to: "dir/file", mode: 0o640, uid: 1234, gid: 5678, mtime: 1_400_000_000)
            try tar.writeEntry(TarEntryHeader(name: "fifo", kind: .fifo, mode: 0o620, modificationTime: 1_000))
            try tar.writeEntry(TarEntryHeader(name: "null", kind: .characterDevice, mode: 0o666, deviceMajor: 1, deviceMinor: 3))
            try tar.writeEntry(TarEntryHeader(name: "loop", kind: .blockDevice, mode: 0o660, deviceMajor: 7, deviceMinor: 300))
        })
        #expect(summary.entryCount == 10)
        #expect(summary.fileBytes == 7)
        #expect(summary.compression == .none)
        let file = try #require(fixture.stat("dir/file"))
        #expect(file.st_mode & 0o7777 == 0o640)
        #expect(file.st_mtim.tv_sec == 1_400_000_000)
        #expect(file.st_nlink == 2)
        #expect(fixture.contents("dir/hard") == "hello")
        #expect(fixture.stat("dir/hard")?.st_ino == file.st_ino)
        #expect(fixture.stat("dir/setuid")!.st_mode & 0o7777 == 0o4755)
        #expect(fixture.stat("dir/setgid")!.st_mode & 0o7777 == 0o2711)
        #expect(fixture.stat("sticky")!.st_mode & 0o7777 == 0o1777)
        #expect(fixture.linkTarget("dir/link") == "file")
        let directory = try #require(fixture.stat("dir"))
        #expect(directory.st_mode & 0o7777 == 0o750)
        #expect(directory.st_mtim.tv_sec == 1_500_000_000, "directory mtimes are set after their contents")
        #expect(fixture.stat("fifo")!.st_mode & S_IFMT == S_IFIFO)
        #expect(fixture.stat("fifo")!.st_mode & 0o7777 == 0o620)
        if Self.isRoot {
            #expect(file.st_uid == 1234 && file.st_gid == 5678)
            #expect(directory.st_uid == 12 && directory.st_gid == 34)
            let link = try #require(fixture.stat("dir/link"))
            #expect(link.st_uid == 7 && link.st_gid == 8, "symlinks are lchowned")
            let null = try #require(fixture.stat("null"))
            #expect(null.st_mode & S_IFMT == S_IFCHR && null.st_rdev == LayerApplier.deviceNumber(major: 1, minor: 3))
            let loop = try #require(fixture.stat("loop"))
            #expect(loop.st_mode & S_IFMT == S_IFBLK && loop.st_rdev == LayerApplier.deviceNumber(major: 7, minor: 300))
            #expect(loop.st_mode & 0o7777 == 0o660)
        }
    }

    @Test func ownershipIsLeftAloneWhenNotRequested() throws {
        let fixture = try LayerApplyFixture()
        try fixture.apply(try LayerApplyFixture.layer { try $0.file("f", "x", uid: 1234, gid: 5678) },
                          options: .init(preserveOwnership: false))
        #expect(fixture.stat("f")?.st_uid == geteuid())
    }

    @Test func xattrsAreAppliedAndUnsupportedOnesSkipped() throws {
        let fixture = try LayerApplyFixture()
        let probe = fixture.target.appendingPathComponent("probe").path
        FileManager.default.createFile(atPath: probe, contents: nil)
        let supported = setxattr(probe, "user.probe", "1", 1, 0) == 0
        unlink(probe)
        try fixture.apply(try LayerApplyFixture.layer { tar in
            var header = TarEntryHeader(name: "f", kind: .regular, mode: 0o644)
            header.xattrs = ["user.strata": Array("yes".utf8), "trusted.nope.\(Self.isRoot ? "x" : "y")": [1]]
            try tar.writeEntry(header, data: [1, 2, 3])
            var link = TarEntryHeader(name: "l", kind: .symbolicLink, linkName: "f")
            link.xattrs = ["user.onlink": [1]]  // user.* is refused on symlinks (EPERM): skipped
            try tar.writeEntry(link)
        })
        #expect(fixture.contents("f")?.utf8.count == 3)
        if supported {
            var value = [UInt8](repeating: 0, count: 16)
            let count = getxattr(fixture.target.appendingPathComponent("f").path, "user.strata", &value, 16)
            #expect(count == 3 && Array(value[0..<3]) == Array("yes".utf8))
        }
    }

    @Test func whiteoutsRemoveLowerEntriesAndAreNeverCreated() throws {
        let fixture = try LayerApplyFixture()
        try fixture.apply { tar in
            try tar.file("etc/keep", "k")
            try tar.file("etc/gone", "g")
            try tar.directory("var/cache/")
            try tar.file("var/cache/deep/file", "d")
            try tar.symlink("lnk", to: "/etc")
        }
        try fixture.apply { tar in
            try tar.file("etc/.wh.gone")
            try tar.file("var/.wh.cache")
            try tar.file(".wh.lnk")
            try tar.file("etc/.wh.never-existed")
        }
        #expect(fixture.listing() == ["etc", "etc/keep", "var"])
    }

    @Test func opaqueDirectoryKeepsOnlyThisLayersEntriesWhateverTheOrder() throws {
        let fixture = try LayerApplyFixture()
        try fixture.apply { tar in
            try tar.file("d/lower1", "1")
            try tar.file("d/sub/lower2", "2")
            try tar.file("d/sub2/lower3", "3")
            try tar.file("other/x", "x")
        }
        try fixture.apply { tar in
            try tar.directory("d/")
            try tar.file("d/before", "b")
            try tar.file("d/sub/new", "n")  // d/sub survives as this layer's parent, its lower content does not
            try tar.file("d/.wh..wh..opq")
            try tar.file("d/after", "a")
        }
        #expect(fixture.listing() == ["d", "d/after", "d/before", "d/sub", "d/sub/new", "other", "other/x"])
    }

    @Test func rootLevelOpaqueMarkerAndAufsMetadata() throws {
        let fixture = try LayerApplyFixture()
        try fixture.apply { try $0.file("old", "o") }
        try fixture.apply { tar in
            try tar.file("new", "n")
            try tar.file(".wh..wh..opq")
            try tar.directory(".wh..wh.plnk/")
            try tar.file(".wh..wh.plnk/123", "aufs")
        }
        #expect(fixture.listing() == ["new"])
    }

    @Test func existingEntriesAreReplacedAndDirectoriesMerged() throws {
        let fixture = try LayerApplyFixture()
        try fixture.apply { tar in
            try tar.file("dir-becomes-file/child", "c")
            try tar.file("file-becomes-dir", "f")
            try tar.directory("merged/", mode: 0o700)
            try tar.file("merged/lower", "l")
            try tar.file("file-becomes-link", "f")
            try tar.symlink("link-becomes-dir", to: "merged")
            try tar.file("overwritten", "old contents that are longer")
        }
        try fixture.apply { tar in
            try tar.file("dir-becomes-file", "now a file")
            try tar.directory("file-becomes-dir/")
            try tar.directory("merged/", mode: 0o755)
            try tar.file("merged/upper", "u")
            try tar.symlink("file-becomes-link", to: "merged/lower")
            try tar.directory("link-becomes-dir/")
            try tar.file("overwritten", "new")
        }
        #expect(fixture.contents("dir-becomes-file") == "now a file")
        #expect(fixture.stat("file-becomes-dir")!.st_mode & S_IFMT == S_IFDIR)
        #expect(fixture.stat("merged")!.st_mode & 0o7777 == 0o755)
        #expect(fixture.contents("merged/lower") == "l" && fixture.contents("merged/upper") == "u")
        #expect(fixture.linkTarget("file-becomes-link") == "merged/lower")
        #expect(fixture.stat("link-becomes-dir")!.st_mode & S_IFMT == S_IFDIR)
        #expect(fixture.contents("overwritten") == "new")
    }

    @Test func hardLinksReachEarlierEntriesAndExistingFiles() throws {
        let fixture = try LayerApplyFixture()
        try fixture.apply { try $0.file("lower/file", "lower") }
        try fixture.apply { tar in
            try tar.file("bin/busybox", "bb", mode: 0o755)
            try tar.hardLink("bin/sh", to: "bin/busybox", mode: 0o755)
            try tar.hardLink("./bin/ls", to: "/bin/busybox", mode: 0o755)
            try tar.hardLink("upper/file", to: "lower/file")
        }
        let busybox = try #require(fixture.stat("bin/busybox"))
        #expect(busybox.st_nlink == 3)
        #expect(fixture.stat("bin/ls")?.st_ino == busybox.st_ino)
        #expect(fixture.stat("upper/file")?.st_ino == fixture.stat("lower/file")?.st_ino)
    }

    @Test func missingParentsAreCreatedAs0755() throws {
        let fixture = try LayerApplyFixture()
        try fixture.apply { try $0.file("a/b/c/file", "x") }
        #expect(fixture.stat("a/b")!.st_mode & 0o7777 == 0o755)
        #expect(fixture.contents("a/b/c/file") == "x")
    }

    @Test func rootEntryAppliesToTheTargetItself() throws {
        let fixture = try LayerApplyFixture()
        try fixture.apply { try $0.directory("./", mode: 0o711, mtime: 1_234_567) }
        var info = stat()
        #expect(lstat(fixture.targetPath, &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o711 && info.st_mtim.tv_sec == 1_234_567)
        #expect(throws: ArchiveError.self) { try fixture.apply { try $0.symlink("./", to: "/") } }
    }

    @Test(arguments: [["gzip", "-c"], ["zstd", "-q", "-c"], ["bzip2", "-c"], ["xz", "-c"]])
    func compressedLayersAreDecoded(_ command: [String]) throws {
        guard TestSupport.toolExists(command[0]) else { return }
        let layer = try LayerApplyFixture.layer { tar in
            try tar.file("big", String(repeating: "0123456789", count: 300_000))
            try tar.file("small", "s")
        }
        let compressed = try TestSupport.run(command, input: layer)
        let fixture = try LayerApplyFixture()
        let summary = try fixture.apply(compressed.output)
        #expect(summary.compression != .none)
        #expect(fixture.contents("big")?.utf8.count == 3_000_000)
        #expect(fixture.contents("small") == "s")
    }

    @Test func largeFilesStreamThroughSmallBuffers() throws {
        let fixture = try LayerApplyFixture()
        let data = (0..<200_003).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let layer = try LayerApplyFixture.layer { tar in
            try tar.writeEntry(TarEntryHeader(name: "blob", kind: .regular), data: data)
            try tar.file("after", "a")
        }
        let applier = try LayerApplier(directory: fixture.targetPath, options: .init(bufferSize: 4096))
        try layer.withUnsafeBytes { _ = try applier.apply(layerBytes: $0) }
        #expect(FileManager.default.contents(atPath: fixture.target.appendingPathComponent("blob").path).map(Array.init) == data)
        #expect(fixture.contents("after") == "a")
    }

    @Test func truncatedAndMalformedLayersFail() throws {
        let layer = try LayerApplyFixture.layer { try $0.file("f", String(repeating: "x", count: 2000)) }
        let fixture = try LayerApplyFixture()
        #expect(throws: ArchiveError.unexpectedEOF(entry: "f")) { try fixture.apply(Array(layer[0..<1000])) }
        var corrupt = layer
        corrupt[100] ^= 0xff
        #expect(throws: ArchiveError.invalidHeader(offset: 0)) { try fixture.apply(corrupt) }
        let contiguous = try LayerApplyFixture.layer {
            try $0.writeEntry(TarEntryHeader(name: "c", kind: .other(UInt8(ascii: "7"))), data: [1])
        }
        #expect(throws: ArchiveError.invalidArgument("unhandled tar header type 55")) { try fixture.apply(contiguous) }
        // Without the end-of-archive blocks, a stream ending between entries is complete (as Go's reader).
        let unterminated = Array(layer[0..<(512 + 2048)])
        #expect(try fixture.apply(unterminated).entryCount == 1)
        #expect(try fixture.apply([]).entryCount == 0)
    }

    @Test func removeTreeDeletesDeepAndUnreadableTrees() throws {
        let root = try TestSupport.temporaryDirectory()
        var path = root.appendingPathComponent("tree").path
        #expect(mkdir(path, 0o755) == 0)
        for level in 0..<300 {
            path += "/d\(level)"
            #expect(mkdir(path, 0o755) == 0)
        }
        FileManager.default.createFile(atPath: path + "/file", contents: Data([1]))
        #expect(symlink("/etc", root.appendingPathComponent("tree/link").path) == 0)
        chmod(root.appendingPathComponent("tree/d0").path, 0o000)
        try LayerTreeRemoval.removeTree(atPath: root.appendingPathComponent("tree").path)
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("tree").path))
        #expect(FileManager.default.fileExists(atPath: "/etc/passwd"))
        try LayerTreeRemoval.removeTree(atPath: root.path)
        try LayerTreeRemoval.removeTree(atPath: root.path)  // absent is fine
    }
}
