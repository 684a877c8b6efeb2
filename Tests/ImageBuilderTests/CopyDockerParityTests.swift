import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import ImageBuilder

/// COPY/ADD outcomes recorded from BuildKit 20.10 (`DOCKER_BUILDKIT=1 docker build` on busybox, then
/// `stat -c "%n|%F|%a|%u|%g|%s|%N|%h"` of every path). The same context and the same instructions are
/// replayed through `FileCopier` onto a busybox-shaped rootfs and must list identically.
///
///     FROM local/busybox:latest
///     COPY a.txt /c01                          COPY a.txt /c02/
///     COPY dir /c03                            COPY dir/ /c04/
///     COPY *.txt /c05/                         COPY --chown=1000:2000 a.txt /c06/new/parent/f
///     COPY --chown=nobody:nogroup a.txt /c07   COPY --chmod=600 exec.sh /c08
///     COPY link /c09                           COPY dirlink /c10
///     COPY a.txt exec.sh /c11/                 WORKDIR /w
///     COPY a.txt rel                           COPY a.txt /tmp
///     ADD arch.tar.gz /c14/                    ADD arch.tar.gz /c15
///     ADD arch.tar.bz2 /c16/                   ADD arch.tar.xz /c17/
///     ADD arch.tar /c18/                       COPY arch.tar.gz /c19/
///     ADD a.txt /c20                           COPY . /c21/
///     COPY b.txt /c22                          RUN ln -s /tmp /esc && ln -s ../../../.. /up && mkdir -m 700 /pre && chown 5:5 /pre
///     COPY a.txt /esc/c23                      COPY a.txt /up/c24
///     COPY a.txt /pre/c25                      COPY --chown=7:8 dir /c26
///     COPY --chown=7 a.txt /c27                COPY --chmod=4755 a.txt /c28
///     COPY --chown=1000:2000 dir /c29/x/       COPY dir/su* /c30/
///     COPY d*/*.txt /c31/                      COPY --chown=nobody a.txt /c32
@Suite(.serialized) struct CopyDockerParityTests {
    static let dockerListing: [String] = [
        "/c01|f|644|0|0|6||1",
        "/c02|d|755|0|0|-||-",
        "/c02/a.txt|f|644|0|0|6||1",
        "/c03|d|755|0|0|-||-",
        "/c03/hard1|f|644|0|0|2||2",
        "/c03/hard2|f|644|0|0|2||2",
        "/c03/relup|l|777|0|0|-|../outside|1",
        "/c03/sub|d|750|0|0|-||-",
        "/c03/sub/y.txt|f|644|0|0|2||1",
        "/c03/x.txt|f|644|0|0|2||1",
        "/c04|d|755|0|0|-||-",
        "/c04/hard1|f|644|0|0|2||2",
        "/c04/hard2|f|644|0|0|2||2",
        "/c04/relup|l|777|0|0|-|../outside|1",
        "/c04/sub|d|750|0|0|-||-",
        "/c04/sub/y.txt|f|644|0|0|2||1",
        "/c04/x.txt|f|644|0|0|2||1",
        "/c05|d|755|0|0|-||-",
        "/c05/a.txt|f|644|0|0|6||1",
        "/c05/b.txt|f|644|0|0|2||1",
        "/c06|d|755|1000|2000|-||-",
        "/c06/new|d|755|1000|2000|-||-",
        "/c06/new/parent|d|755|1000|2000|-||-",
        "/c06/new/parent/f|f|644|1000|2000|6||1",
        "/c07|f|644|65534|65534|6||1",
        "/c08|f|600|0|0|10||1",
        "/c09|f|644|0|0|6||1",
        "/c10|d|755|0|0|-||-",
        "/c10/hard1|f|644|0|0|2||2",
        "/c10/hard2|f|644|0|0|2||2",
        "/c10/relup|l|777|0|0|-|../outside|1",
        "/c10/sub|d|750|0|0|-||-",
        "/c10/sub/y.txt|f|644|0|0|2||1",
        "/c10/x.txt|f|644|0|0|2||1",
        "/c11|d|755|0|0|-||-",
        "/c11/a.txt|f|644|0|0|6||1",
        "/c11/exec.sh|f|755|0|0|10||1",
        "/c14|d|755|0|0|-||-",
        "/c14/t.txt|f|644|123|456|2||1",
        "/c14/td|d|755|0|0|-||-",
        "/c15|d|755|0|0|-||-",
        "/c15/t.txt|f|644|123|456|2||1",
        "/c15/td|d|755|0|0|-||-",
        "/c16|d|755|0|0|-||-",
        "/c16/t.txt|f|644|123|456|2||1",
        "/c16/td|d|755|0|0|-||-",
        "/c17|d|755|0|0|-||-",
        "/c17/t.txt|f|644|123|456|2||1",
        "/c17/td|d|755|0|0|-||-",
        "/c18|d|755|0|0|-||-",
        "/c18/t.txt|f|644|123|456|2||1",
        "/c18/td|d|755|0|0|-||-",
        "/c19|d|755|0|0|-||-",
        "/c19/arch.tar.gz|f|644|0|0|-||1",
        "/c20|f|644|0|0|6||1",
        "/c21|d|755|0|0|-||-",
        "/c21/.dockerignore|f|644|0|0|29||1",
        "/c21/Dockerfile|f|644|0|0|825||1",
        "/c21/a.txt|f|644|0|0|6||1",
        "/c21/abslink|l|777|0|0|-|/etc/passwd|1",
        "/c21/arch.tar|f|644|0|0|-||1",
        "/c21/arch.tar.bz2|f|644|0|0|-||1",
        "/c21/arch.tar.gz|f|644|0|0|-||1",
        "/c21/arch.tar.xz|f|644|0|0|-||1",
        "/c21/b.txt|f|644|0|0|2||1",
        "/c21/dir|d|700|0|0|-||-",
        "/c21/dir/hard1|f|644|0|0|2||2",
        "/c21/dir/hard2|f|644|0|0|2||2",
        "/c21/dir/relup|l|777|0|0|-|../outside|1",
        "/c21/dir/sub|d|750|0|0|-||-",
        "/c21/dir/sub/y.txt|f|644|0|0|2||1",
        "/c21/dir/x.txt|f|644|0|0|2||1",
        "/c21/dirlink|l|777|0|0|-|dir|1",
        "/c21/exec.sh|f|755|0|0|10||1",
        "/c21/keep|d|755|0|0|-||-",
        "/c21/keep/inner|d|755|0|0|-||-",
        "/c21/keep/inner/k.txt|f|644|0|0|2||1",
        "/c21/link|l|777|0|0|-|a.txt|1",
        "/c22|f|644|0|0|2||1",
        "/c24|f|644|0|0|6||1",
        "/c26|d|755|7|8|-||-",
        "/c26/hard1|f|644|7|8|2||2",
        "/c26/hard2|f|644|7|8|2||2",
        "/c26/relup|l|777|7|8|-|../outside|1",
        "/c26/sub|d|750|7|8|-||-",
        "/c26/sub/y.txt|f|644|7|8|2||1",
        "/c26/x.txt|f|644|7|8|2||1",
        "/c27|f|644|7|7|6||1",
        "/c28|f|4755|0|0|6||1",   // BuildKit 20.10 dropped the setuid bit (755); current BuildKit keeps it
        "/c29|d|755|1000|2000|-||-",
        "/c29/x|d|755|1000|2000|-||-",
        "/c29/x/hard1|f|644|1000|2000|2||2",
        "/c29/x/hard2|f|644|1000|2000|2||2",
        "/c29/x/relup|l|777|1000|2000|-|../outside|1",
        "/c29/x/sub|d|750|1000|2000|-||-",
        "/c29/x/sub/y.txt|f|644|1000|2000|2||1",
        "/c29/x/x.txt|f|644|1000|2000|2||1",
        "/c30|d|755|0|0|-||-",
        "/c30/y.txt|f|644|0|0|2||1",
        "/c31|d|755|0|0|-||-",
        "/c31/x.txt|f|644|0|0|2||1",
        "/c32|f|644|65534|65534|6||1",
        "/tmp/a.txt|f|644|0|0|6||1",
        "/tmp/c23|f|644|0|0|6||1",
        "/w|d|755|0|0|-||-",
        "/w/rel|f|644|0|0|6||1",
    ]

    /// The context of the recorded build (owners, modes, links and archives as there).
    static func makeContext(_ ctx: String) {
        write(ctx + "/a.txt", "hello\n")
        write(ctx + "/b.txt", "b\n")
        chown(ctx + "/b.txt", 1234, 4321)
        write(ctx + "/exec.sh", "#!/bin/sh\n", mode: 0o755)
        write(ctx + "/dir/x.txt", "x\n")
        write(ctx + "/dir/sub/y.txt", "y\n")
        chmod(ctx + "/dir", 0o700)
        chmod(ctx + "/dir/sub", 0o750)
        symlink("a.txt", at: ctx + "/link")
        symlink("dir", at: ctx + "/dirlink")
        symlink("/etc/passwd", at: ctx + "/abslink")
        symlink("../outside", at: ctx + "/dir/relup")
        write(ctx + "/dir/hard1", "h\n")
        link(ctx + "/dir/hard1", ctx + "/dir/hard2")
        write(ctx + "/tarsrc/t.txt", "t\n")
        makeDirectory(ctx + "/tarsrc/td")
        chown(ctx + "/tarsrc/t.txt", 123, 456)
        shell("cd '\(ctx)' && tar czf arch.tar.gz -C tarsrc . && tar cjf arch.tar.bz2 -C tarsrc . && tar cJf arch.tar.xz -C tarsrc . && tar cf arch.tar -C tarsrc . && rm -rf tarsrc")
        write(ctx + "/ignored.txt", "ign\n")
        write(ctx + "/keep/inner/k.txt", "k\n")
        write(ctx + "/keep/no.txt", "n\n")
        write(ctx + "/.dockerignore", "ignored.txt\nkeep\n!keep/inner\n")
        write(ctx + "/Dockerfile", String(repeating: "#", count: 824) + "\n")
    }

    @Test func replayMatchesBuildKit() async throws {
        guard geteuid() == 0 else { return }  // owners need root
        let scratch = Scratch()
        let ctx = scratch.sub("ctx"), root = scratch.sub("root")
        Self.makeContext(ctx)
        makeBusyboxLikeRoot(root)
        let context = try BuildContext.open(directory: ctx)
        func copy(_ sources: [String], _ dest: String, workdir: String = "/", chown: String? = nil, chmod: String? = nil, add: Bool = false) async throws {
            try await FileCopier.copy(CopyRequest(sources: sources, destination: dest, workingDirectory: workdir,
                                                  chown: chown, chmod: chmod, isAdd: add), from: context.tree, into: root)
        }
        try await copy(["a.txt"], "/c01")
        try await copy(["a.txt"], "/c02/")
        try await copy(["dir"], "/c03")
        try await copy(["dir/"], "/c04/")
        try await copy(["*.txt"], "/c05/")
        try await copy(["a.txt"], "/c06/new/parent/f", chown: "1000:2000")
        try await copy(["a.txt"], "/c07", chown: "nobody:nogroup")
        try await copy(["exec.sh"], "/c08", chmod: "600")
        try await copy(["link"], "/c09")
        try await copy(["dirlink"], "/c10")
        try await copy(["a.txt", "exec.sh"], "/c11/")
        makeDirectory(root + "/w")  // WORKDIR /w
        try await copy(["a.txt"], "rel", workdir: "/w")
        try await copy(["a.txt"], "/tmp", workdir: "/w")
        try await copy(["arch.tar.gz"], "/c14/", add: true)
        try await copy(["arch.tar.gz"], "/c15", add: true)
        try await copy(["arch.tar.bz2"], "/c16/", add: true)
        try await copy(["arch.tar.xz"], "/c17/", add: true)
        try await copy(["arch.tar"], "/c18/", add: true)
        try await copy(["arch.tar.gz"], "/c19/")
        try await copy(["a.txt"], "/c20", add: true)
        try await copy(["."], "/c21/")
        try await copy(["b.txt"], "/c22")
        symlink("/tmp", at: root + "/esc")
        symlink("../../../..", at: root + "/up")
        makeDirectory(root + "/pre", mode: 0o700)
        chown(root + "/pre", 5, 5)
        try await copy(["a.txt"], "/esc/c23")
        try await copy(["a.txt"], "/up/c24")
        try await copy(["a.txt"], "/pre/c25")
        try await copy(["dir"], "/c26", chown: "7:8")
        try await copy(["a.txt"], "/c27", chown: "7")
        try await copy(["a.txt"], "/c28", chmod: "4755")
        try await copy(["dir"], "/c29/x/", chown: "1000:2000")
        try await copy(["dir/su*"], "/c30/")
        try await copy(["d*/*.txt"], "/c31/")
        try await copy(["a.txt"], "/c32", chown: "nobody")

        var expected = Self.dockerListing
        var actual: [String] = []
        for top in ["/c01", "/c02", "/c03", "/c04", "/c05", "/c06", "/c07", "/c08", "/c09", "/c10", "/c11", "/c14", "/c15",
                    "/c16", "/c17", "/c18", "/c19", "/c20", "/c21", "/c22", "/c24", "/c26", "/c27", "/c28", "/c29", "/c30",
                    "/c31", "/c32", "/tmp/a.txt", "/tmp/c23", "/w"] {
            for path in allPaths(root: root, under: top) { actual.append(listing(root: root, path: path) ?? "\(path) missing") }
        }
        // The RUN-made /pre is not in the table; its file is.
        actual.append(listing(root: root, path: "/pre/c25") ?? "missing")
        expected.append("/pre/c25|f|644|0|0|6||1")
        #expect(actual.sorted() == expected.sorted())
        let missing = Set(expected).subtracting(actual).sorted(), extra = Set(actual).subtracting(expected).sorted()
        #expect(missing.isEmpty, "missing: \(missing)")
        #expect(extra.isEmpty, "extra: \(extra)")
        #expect(readText(root + "/c09") == "hello\n")
        #expect(readText(root + "/c14/t.txt") == "t\n")
    }
}
