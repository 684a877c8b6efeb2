import Foundation
import Testing

/// Escapes found by reviewing the sandbox as an attacker would, each shown to work before its fix: device nodes
/// opened through CAP_MKNOD, an image whose `/dev` points at the host's root, a symlink chain past the resolver's
/// budget, a signal to the process group killing the container behind Strata's back, a shared session keyring.
@Suite("confinement: escapes an image or Dockerfile could try", .enabled(if: DockerPeer.shouldRun, "needs the docker 20.10 peer"),
       .serialized)
struct ConfinementEscapeTests {
    static let image = ConfinementTests.image

    func strata() async throws -> StrataRunner { try await ConfinementTests.Fixture.shared.prepare().strata }

    /// docker's devices cgroup lets a container make nodes but open only its short list; Strata mounts everything
    /// the container reaches nodev and binds in just those devices.
    @Test func deviceNodesCannotBeOpened() async throws {
        let strata = try await strata()
        let script = "mknod /tmp/zero c 1 5 && head -c 3 /tmp/zero | wc -c; head -c 3 /dev/zero | wc -c; echo x > /dev/null && echo null-ok"
        let confined = try await strata.run(["run", "--rm", Self.image, "sh", "-c", script])
        #expect(confined.stdout == "0\n3\nnull-ok\n", "\(confined)")
        #expect(confined.stderr.contains("/tmp/zero"), "\(confined)")
        let privileged = try await strata.run(["run", "--rm", "--privileged", Self.image, "sh", "-c", script])
        #expect(privileged.stdout == "3\n3\nnull-ok\n", "\(privileged)")
        // A node shipped in a layer is no better than one made at run time.
        let work = try Files.tempDirectory("device-layer")
        defer { try? FileManager.default.removeItem(at: work) }
        try "FROM \(Self.image)\nRUN mknod -m 666 /opt-zero c 1 5\n".write(to: work.appendingPathComponent("Dockerfile"),
                                                                     atomically: true, encoding: .utf8)
        let tag = "strata-it/device-layer:1"
        let built = try await strata.run(["build", "-q", "-t", tag, work.path])
        try #require(built.status == 0, "\(built)")
        let shipped = try await strata.run(["run", "--rm", "-u", "nobody", tag, "sh", "-c", "head -c 3 /opt-zero | wc -c"])
        #expect(shipped.stdout == "0\n", "\(shipped)")
    }

    /// Writes a tar with `entries` (name, symlink target or nil for a directory) and imports it into strata.
    func importTree(_ entries: [(String, String?)], as tag: String, in work: URL) async throws {
        let script = """
            import sys, tarfile, io
            with tarfile.open(sys.argv[1], "w") as tar:
                for spec in sys.argv[2:]:
                    name, _, target = spec.partition("=")
                    info = tarfile.TarInfo(name)
                    if target:
                        info.type, info.linkname = tarfile.SYMTYPE, target
                    else:
                        info.type, info.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(info)
            """
        let tar = work.appendingPathComponent("tree.tar").path
        let made = try await ProcessRunner.run("/usr/bin/env", ["python3", "-c", script, tar]
                                               + entries.map { $0.0 + "=" + ($0.1 ?? "") })
        try #require(made.status == 0, "\(made)")
        let strata = try await strata()
        let imported = try await strata.run(["import", tar, tag])
        try #require(imported.status == 0, "\(imported)")
    }

    /// An image whose /dev is a symlink to / must not make Strata mount, write device nodes, /etc files or secrets
    /// into the host's root.
    @Test func imageDevSymlinkIsRefused() async throws {
        let work = try Files.tempDirectory("dev-symlink")
        defer { try? FileManager.default.removeItem(at: work) }
        try await importTree([("dev", "/"), ("etc", nil)], as: "strata-it/dev-symlink:1", in: work)
        let before = Set((try? FileManager.default.contentsOfDirectory(atPath: "/")) ?? [])
        let result = try await strata().run(["run", "--rm", "strata-it/dev-symlink:1", "true"])
        let after = Set((try? FileManager.default.contentsOfDirectory(atPath: "/")) ?? [])
        #expect(result.status == 125 && result.stderr.contains("/dev in the image is not a directory"), "\(result)")
        #expect(after.subtracting(before).isEmpty, "new entries in the host's /: \(after.subtracting(before))")
    }

    /// 256 chained symlinks exhaust the resolver; what is left must not be handed to the kernel, which would
    /// follow it from the host's root.
    @Test func symlinkChainPastTheBudgetIsELOOP() async throws {
        let work = try Files.tempDirectory("symlink-chain")
        defer { try? FileManager.default.removeItem(at: work) }
        let escaped = work.appendingPathComponent("escaped")
        try FileManager.default.createDirectory(at: escaped, withIntermediateDirectories: true)
        var entries: [(String, String?)] = (0..<256).map { ("w\($0)", "w\($0 + 1)") }
        entries[255] = ("w255", escaped.path)
        try await importTree(entries, as: "strata-it/symlink-chain:1", in: work)
        let result = try await strata().run(["run", "--rm", "-w", "/w0/created-by-container", "strata-it/symlink-chain:1", "true"])
        #expect(result.status == 125, "\(result)")
        #expect(!FileManager.default.fileExists(atPath: escaped.appendingPathComponent("created-by-container").path))
    }

    /// `timeout`, CI cancellation and `kill -TERM -PGID` signal the whole process group: the container gets the
    /// signal from Strata, as docker's --sig-proxy gives it, and is not killed by its holder.
    @Test func signalToTheProcessGroupReachesTheContainer() async throws {
        let strata = try await strata()
        let result = try await ProcessRunner.run("/usr/bin/timeout", ["2", strata.binary, "--root", strata.root.path, "run", "--rm",
                                                                      Self.image, "sh", "-c", "trap 'echo got-term; exit 42' TERM; sleep 5 & wait"])
        #expect(result.stdout.contains("got-term"), "\(result)")
    }

    /// runc gives every container a session keyring of its own; without one, a container that may use keyctl
    /// (no filter: --privileged, seccomp=unconfined) would share Strata's.
    @Test func sessionKeyringIsTheContainersOwn() async throws {
        let (strata, probe) = try await ConfinementTests.Fixture.shared.prepare()
        let inside = try await strata.run(["run", "--rm", "--privileged", Self.image, "/probe", "session-keyring"])
        let outside = try await ProcessRunner.run(probe.path, ["session-keyring"])
        #expect(inside.status == 0 && outside.status == 0, "\(inside)\n\(outside)")
        #expect(inside.stdout != outside.stdout, "the container shares Strata's session keyring \(outside.stdout)")
    }
}
