import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import ImageBuilder

/// Single COPY/ADD cases; "docker:" notes give what BuildKit 20.10 did with the same instruction.
@Suite(.serialized) struct CopySemanticsTests {
    final class Fixture {
        let scratch = Scratch()
        let ctx: String
        let root: String
        let context: BuildContext

        init() throws {
            ctx = scratch.sub("ctx")
            root = scratch.sub("root")
            CopyDockerParityTests.makeContext(ctx)
            makeBusyboxLikeRoot(root)
            context = try BuildContext.open(directory: ctx)
        }

        func copy(_ sources: [String], _ dest: String, workdir: String = "/", chown: String? = nil, chmod: String? = nil,
                  add: Bool = false, tree: SourceTree? = nil) throws {
            try FileCopier.copyLocal(CopyRequest(sources: sources, destination: dest, workingDirectory: workdir, chown: chown,
                                                 chmod: chmod, isAdd: add), from: tree ?? context.tree, into: root)
        }

        func error(_ sources: [String], _ dest: String) -> String? {
            do { try copy(sources, dest); return nil } catch { return "\(error)" }
        }

        func list(_ path: String) -> String? { listing(root: root, path: path) }
    }

    @Test func missingSourcesFailWithBuildKitWording() throws {
        let f = try Fixture()
        // docker: #6 ERROR: "/nosuch" not found: not found / failed to compute cache key: …
        #expect(f.error(["nosuch"], "/x") == "\"/nosuch\" not found: not found")
        #expect(SourceError.notFound("/nosuch").buildFailureMessage == "failed to compute cache key: \"/nosuch\" not found: not found")
        #expect(f.error(["ignored.txt"], "/x") == "\"/ignored.txt\" not found: not found")
        #expect(f.error(["keep/no.txt"], "/x") == "\"/keep/no.txt\" not found: not found")
        // Symlinks resolve inside the context: the message names the resolved path.
        #expect(f.error(["abslink"], "/x") == "\"/etc/passwd\" not found: not found")
        #expect(f.error(["dir/relup"], "/x") == "\"/outside\" not found: not found")
        // A missing source fails the step before anything is written.
        #expect(f.error(["a.txt", "nosuch"], "/multi/") != nil)
        #expect(f.list("/multi") == nil)
    }

    @Test func destinationErrorsNameHostPaths() throws {
        let f = try Fixture()
        // docker: mkdir <merged>/bin/busybox: not a directory (the /bin/sh symlink is followed)
        #expect(f.error(["a.txt"], "/bin/sh/") == "mkdir \(f.root)/bin/busybox: not a directory")
        #expect(f.error(["a.txt"], "/etc/passwd/x") == "mkdir \(f.root)/etc/passwd: not a directory")
        #expect(f.error(["dir"], "/etc/passwd") == "cannot copy to non-directory: \(f.root)/etc/passwd")
    }

    @Test func buildKitLeniencies() throws {
        guard geteuid() == 0 else { return }
        let f = try Fixture()
        // docker: two sources onto a non-directory path succeed, the last one wins.
        try f.copy(["a.txt", "b.txt"], "/notdir")
        #expect(readText(f.root + "/notdir") == "b\n")
        // docker: a wildcard matching nothing copies nothing and creates nothing.
        try f.copy(["nomatch*"], "/none/")
        #expect(f.list("/none") == nil)
        try f.copy(["a.txt", "nomatch*"], "/some/")
        #expect(f.list("/some/a.txt") == "/some/a.txt|f|644|0|0|6||1")
        // docker: "../a.txt" is cleaned to "/a.txt".
        try f.copy(["../a.txt"], "/up1")
        #expect(f.list("/up1") == "/up1|f|644|0|0|6||1")
        // Unknown names and modes are errors (docker's builder and current BuildKit), never a silent 0:0 or 644.
        #expect(throws: CopyMode.Invalid.self) { try f.copy(["a.txt"], "/badmode", chmod: "abc") }
        #expect(throws: CopyOwner.UnknownName.self) { try f.copy(["a.txt"], "/nouser", chown: "nosuchuser") }
        #expect(throws: CopyOwner.UnknownName.self) { try f.copy(["a.txt"], "/nogroup", chown: "root:nosuchgroup") }
        #expect(f.list("/badmode") == nil && f.list("/nouser") == nil && f.list("/nogroup") == nil)
        try f.copy(["a.txt"], "/g1", chown: "1:")
        #expect(f.list("/g1") == "/g1|f|644|1|1|6||1")
        try f.copy(["a.txt"], "/g2", chown: "1:nogroup")
        #expect(f.list("/g2") == "/g2|f|644|1|65534|6||1")
        try f.copy(["a.txt"], "/g3", chown: "65534")
        #expect(f.list("/g3") == "/g3|f|644|65534|65534|6||1")
    }

    @Test func destinations() throws {
        let f = try Fixture()
        // docker: an existing directory without a trailing slash receives the file.
        try f.copy(["a.txt"], "/bin")
        #expect(f.list("/bin/a.txt") == "/bin/a.txt|f|644|0|0|6||1")
        // docker: /x/../y/./z is cleaned to /y/z.
        try f.copy(["a.txt"], "/x/../y/./z")
        #expect(f.list("/y/z") != nil && f.list("/x") == nil)
        // docker: a directory source copies its contents.
        try f.copy(["dir/sub"], "/ds/")
        #expect(f.list("/ds/y.txt") != nil)
        // docker: a file over an existing file replaces it.
        try f.copy(["dir/x.txt"], "/etc/passwd")
        #expect(readText(f.root + "/etc/passwd") == "x\n")
        // Relative to WORKDIR, "." is a directory.
        makeDirectory(f.root + "/work")
        try f.copy(["a.txt"], ".", workdir: "/work")
        #expect(f.list("/work/a.txt") != nil)
    }

    @Test func existingDirectories() throws {
        guard geteuid() == 0 else { return }
        let f = try Fixture()
        // docker: COPY d /m onto an existing 1777 /m keeps /m; an existing /m/sub takes the source's metadata.
        makeDirectory(f.root + "/m/sub", mode: 0o711)
        chmod(f.root + "/m", 0o1777)
        chown(f.root + "/m/sub", 9, 9)
        try f.copy(["dir"], "/m")
        #expect(f.list("/m") == "/m|d|1777|0|0|-||-")
        #expect(f.list("/m/sub") == "/m/sub|d|750|0|0|-||-")
        try f.copy(["dir"], "/tmp")
        #expect(f.list("/tmp") == "/tmp|d|1777|0|0|-||-")
        // docker: --chmod applies to copied files and directories, not to the destination directory.
        try f.copy(["dir"], "/e1", chmod: "755")
        #expect(f.list("/e1") == "/e1|d|755|0|0|-||-")
        #expect(f.list("/e1/sub") == "/e1/sub|d|755|0|0|-||-")
        #expect(f.list("/e1/x.txt") == "/e1/x.txt|f|755|0|0|2||1")
        #expect(f.list("/e1/relup") == "/e1/relup|l|777|0|0|-|../outside|1")
    }

    @Test func addArchivesKeepTheirOwnersAndChownTheDirectory() throws {
        guard geteuid() == 0 else { return }
        let f = try Fixture()
        // docker: ADD --chown=5:6 arch.tar.gz /t1/ → /t1 5:6, t.txt 123:456 from the archive.
        try f.copy(["arch.tar.gz"], "/t1/", chown: "5:6", add: true)
        #expect(f.list("/t1") == "/t1|d|755|5|6|-||-")
        #expect(f.list("/t1/t.txt") == "/t1/t.txt|f|644|123|456|2||1")
        // COPY never extracts.
        try f.copy(["arch.tar.gz"], "/t2/", chown: "5:6")
        #expect(f.list("/t2/arch.tar.gz") == "/t2/arch.tar.gz|f|644|5|6|-||1")
        // A gzip file that is not a tar is copied as it is.
        shell("cd '\(f.ctx)' && gzip -k a.txt")
        let context = try BuildContext.open(directory: f.ctx)
        try f.copy(["a.txt.gz"], "/t3/", add: true, tree: context.tree)
        #expect(f.list("/t3/a.txt.gz") != nil)
    }

    @Test func copyFromAStageKeepsOwnersAndStaysInsideItsRoot() throws {
        guard geteuid() == 0 else { return }
        let f = try Fixture()
        let stage = f.scratch.sub("stage")
        makeBusyboxLikeRoot(stage)
        write(stage + "/etc/passwd", "stage-passwd\n")
        write(stage + "/s/dd/f", "q\n")
        shell("chown -R 33:44 '\(stage)/s' && chmod 1750 '\(stage)/s/dd'")
        symlink("/etc/passwd", at: stage + "/s/abs")
        symlink("dd", at: stage + "/s/rel")
        let tree = SourceTree(rootDirectory: stage)
        // docker: COPY --from=st /s /fs/ keeps 33:44 and 1750; symlinks stay symlinks.
        try f.copy(["/s"], "/fs/", tree: tree)
        #expect(f.list("/fs") == "/fs|d|755|0|0|-||-")
        #expect(f.list("/fs/dd") == "/fs/dd|d|1750|33|44|-||-")
        #expect(f.list("/fs/dd/f") == "/fs/dd/f|f|644|33|44|2||1")
        #expect(f.list("/fs/abs") == "/fs/abs|l|777|0|0|-|/etc/passwd|1")
        // docker: a top-level absolute symlink resolves inside the stage's root, not the host's.
        try f.copy(["/s/abs"], "/fs2", tree: tree)
        #expect(readText(f.root + "/fs2") == "stage-passwd\n")
        try f.copy(["/s/rel"], "/fs3", tree: tree)
        #expect(f.list("/fs3/f") == "/fs3/f|f|644|33|44|2||1")
    }

    @Test func destinationSymlinksNeverEscapeTheRoot() throws {
        let f = try Fixture()
        let outside = f.scratch.sub("outside")
        symlink(outside, at: f.root + "/abs-out")
        symlink("../../../../../../" + outside, at: f.root + "/rel-out")
        try f.copy(["a.txt"], "/abs-out/f1")
        try f.copy(["a.txt"], "/rel-out/f2")
        try f.copy(["dir"], "/abs-out/d/")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: outside))?.isEmpty == true)
        // Both land inside the root, at the link targets taken as rootfs paths.
        #expect(readText(f.root + outside + "/f1") == "hello\n")
        #expect(readText(f.root + outside + "/f2") == "hello\n")
        #expect(readText(f.root + outside + "/d/x.txt") == "x\n")
        // A symlinked directory inside a copied tree is followed inside the root too.
        symlink("/", at: f.root + "/tmp/sub")
        try f.copy(["dir"], "/tmp")
        #expect(readText(f.root + "/y.txt") == "y\n")
        // A file replacing a symlink replaces the link, never writes through it.
        symlink("/etc/group", at: f.root + "/victim")
        try f.copy(["a.txt"], "/victim")
        #expect(f.list("/victim")?.hasPrefix("/victim|f|") == true)
        #expect(readText(f.root + "/etc/group")?.hasPrefix("root") == true)
    }

    @Test func contextFilterAndStdinTar() throws {
        let f = try Fixture()
        // docker: excluding Dockerfile and .dockerignore drops them from COPY . like any file;
        // an excluded directory with a possible exception below is still sent (empty).
        write(f.ctx + "/.dockerignore", "keep2\n!keep2/nothing\nDockerfile\n.dockerignore\nignored.txt\nkeep\n!keep/inner\n")
        write(f.ctx + "/keep2/a", "a\n")
        let context = try BuildContext.open(directory: f.ctx)
        try f.copy(["."], "/all/", tree: context.tree)
        #expect(f.list("/all/Dockerfile") == nil && f.list("/all/.dockerignore") == nil)
        #expect(f.list("/all/keep2") != nil && f.list("/all/keep2/a") == nil)
        #expect(f.list("/all/keep/inner/k.txt") != nil && f.list("/all/keep/no.txt") == nil)
        #expect(context.dockerfile.count == 825)

        // `docker build -` with a tar: the Dockerfile comes from inside it.
        let tarPath = f.scratch.path + "/ctx.tar.gz"
        shell("tar czf '\(tarPath)' -C '\(f.ctx)' .")
        let fd = open(tarPath, O_RDONLY)
        defer { close(fd) }
        let fromTar = try BuildContext.open(tarStream: fd, scratchDirectory: f.scratch.sub("tmp"))
        #expect(fromTar.dockerfile.count == 825)
        #expect(try fromTar.checksum(sources: ["dir"]) == (try context.checksum(sources: ["dir"])))
        // …and without a tar the input is the Dockerfile itself, with an empty context.
        let plain = f.scratch.path + "/Dockerfile.plain"
        write(plain, "FROM scratch\n")
        let pfd = open(plain, O_RDONLY)
        defer { close(pfd) }
        let fromText = try BuildContext.open(tarStream: pfd, scratchDirectory: f.scratch.sub("tmp"))
        #expect(String(decoding: fromText.dockerfile, as: UTF8.self) == "FROM scratch\n")
        #expect(throws: SourceError.notFound("/a.txt")) { try fromText.checksum(sources: ["a.txt"]) }
    }

    @Test func dockerfileOutsideTheContext() throws {
        let scratch = Scratch()
        let ctx = scratch.sub("ctx")
        write(ctx + "/a", "a")
        write(scratch.path + "/elsewhere/Dockerfile.web", "FROM busybox\n")
        let context = try BuildContext.open(directory: ctx, dockerfilePath: scratch.path + "/elsewhere/Dockerfile.web")
        #expect(String(decoding: context.dockerfile, as: UTF8.self) == "FROM busybox\n")
        #expect(throws: BuildContextError.self) { try BuildContext.open(directory: ctx) }
    }
}
