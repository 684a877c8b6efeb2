import Foundation
import Testing

/// `strata run --rm local/busybox …` against `docker run --rm local/busybox …`: same stdout, stderr
/// (with "docker" read as "strata") and exit status. Container IDs (hostnames) are masked.
@Suite("strata run vs docker run", .enabled(if: DockerPeer.shouldRun, "needs the docker 20.10 peer (scripts/peers-up)"),
       .serialized)
struct RunCommandTests {
    /// One strata store with local/busybox loaded from the peer (`docker save | strata load`).
    actor Fixture {
        static let shared = Fixture()
        private var runner: StrataRunner?

        func strata() async throws -> StrataRunner {
            if let runner { return runner }
            guard geteuid() == 0 else { throw FixtureError("strata run needs root (namespaces, overlayfs)") }
            let docker = try DockerPeer.require()
            let strata = try StrataRunner()
            let work = try Files.tempDirectory("run")
            defer { try? FileManager.default.removeItem(at: work) }
            let archive = work.appendingPathComponent("busybox.tar").path
            let saved = try await docker("save", "-o", archive, "local/busybox:latest")
            guard saved.status == 0 else { throw FixtureError("docker save local/busybox failed: \(saved)") }
            let loaded = try await strata("load", "-i", archive)
            guard loaded.status == 0 else { throw FixtureError("strata load failed: \(loaded)") }
            runner = strata
            return strata
        }
    }

    static func normalized(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.contains("level=error") }
            .joined(separator: "\n")
            .replacing(/\b[0-9a-f]{12}\b/, with: "<ID>")
            .replacingOccurrences(of: "docker", with: "strata")
    }

    /// `unordered`: docker's env order past PATH and HOSTNAME follows a Go map, so lines are compared sorted.
    func compare(_ args: [String], unordered: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let strata = try await Fixture.shared.strata()
        let docker = try DockerPeer.require()
        let theirs = try await docker.run(["run", "--rm"] + args)
        let ours = try await strata.run(["run", "--rm"] + args)
        #expect(ours.status == theirs.status, "exit status of run \(args)\nstrata: \(ours)\ndocker: \(theirs)", sourceLocation: sourceLocation)
        let sort = { (text: String) in unordered ? text.split(separator: "\n").sorted().joined(separator: "\n") : text }
        #expect(sort(Self.normalized(ours.stdout)) == sort(Self.normalized(theirs.stdout)), "stdout of run \(args)", sourceLocation: sourceLocation)
        #expect(Self.normalized(ours.stderr) == Self.normalized(theirs.stderr), "stderr of run \(args)", sourceLocation: sourceLocation)
    }

    static let image = "local/busybox"

    @Test func basicCommands() async throws {
        try await compare([Self.image, "echo", "hello", "world"])
        try await compare([Self.image, "env"])
        try await compare([Self.image, "id"])
        try await compare([Self.image, "pwd"])
        try await compare([Self.image, "hostname"])
        try await compare([Self.image, "cat", "/etc/hosts"])
        try await compare([Self.image, "sh", "-c", "cat /etc/hostname; echo $HOSTNAME; ls /dev; ls /dev/pts /dev/shm"])
        try await compare([Self.image, "sh", "-c", "echo out; echo err >&2; exit 3"])
        try await compare([Self.image, "sh", "-c", "echo $$; kill -TERM $$; echo survived"])
        try await compare([Self.image, "sh", "-c", "sleep 10 & kill -9 $!; wait $!"])
    }

    @Test func startFailures() async throws {
        try await compare([Self.image, "nosuch"])
        try await compare([Self.image, "/etc"])
        try await compare([Self.image, "./x"])
        try await compare(["-u", "nosuch", Self.image, "id"])
        try await compare(["-u", "root:nosuchgrp", Self.image, "id"])
        try await compare(["--network", "bogus", Self.image, "true"])
        try await compare(["--entrypoint", "", Self.image])
        try await compare(["-v", "/tmp:x", Self.image, "true"])
        try await compare(["-w", "rel", Self.image, "pwd"])
    }

    @Test func options() async throws {
        try await compare(["-u", "nobody", Self.image, "sh", "-c", "id; echo $HOME"])
        try await compare(["-u", "1234:5678", Self.image, "sh", "-c", "id; echo $HOME"])
        try await compare(["-u", "nobody:root", Self.image, "id"])
        try await compare(["-w", "/tmp", Self.image, "pwd"])
        try await compare(["-w", "/does/not/exist", Self.image, "sh", "-c", "pwd; stat -c '%n %F %a %u %g' /does/not/exist"])
        try await compare(["-e", "A=1", "-e", "PATH=/bin", "-e", "HOME=/h", Self.image, "env"], unordered: true)
        try await compare(["-e", "Z=1", "-e", "A", "-e", "B=2", Self.image, "env"], unordered: true)
        try await compare(["--entrypoint", "echo", Self.image, "hi", "there"])
        try await compare(["--network", "none", Self.image, "sh", "-c", "cat /proc/net/dev; ip addr"])
        try await compare(["--network", "none", Self.image, "cat", "/etc/hosts", "/etc/resolv.conf"])
    }

    @Test func readOnlyBindMount() async throws {
        let directory = try Files.tempDirectory("bind")
        defer { try? FileManager.default.removeItem(at: directory) }
        try "content\n".write(to: directory.appendingPathComponent("file"), atomically: true, encoding: .utf8)
        try await compare(["-v", "\(directory.path):/data:ro", Self.image, "sh", "-c", "cat /data/file; touch /data/new; echo $?"])
        try await compare(["-v", "\(directory.path):/data", Self.image, "sh", "-c", "echo hi > /data/rw; cat /data/rw"])
    }

    @Test func writableLayerKeptWithoutRm() async throws {
        let strata = try await Fixture.shared.strata()
        let result = try await strata.run(["run", Self.image, "sh", "-c", "echo kept > /kept"])
        #expect(result.status == 0 && result.stdout.isEmpty)
        let containers = strata.root.appendingPathComponent("containers").path
        let kept = try FileManager.default.contentsOfDirectory(atPath: containers).filter { name in
            FileManager.default.fileExists(atPath: "\(containers)/\(name)/upper/kept")
        }
        #expect(kept.count == 1)
        let removed = try await strata.run(["run", "--rm", Self.image, "true"])
        #expect(removed.status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: containers).count == 1)
    }

    /// A strata killed with -9 mid-run leaves its overlay mounted; the next run unmounts it and removes the
    /// container's files (--rm) or keeps them (no --rm), as for a container that stopped.
    @Test func killedRunIsSweptByTheNext() async throws {
        guard geteuid() == 0 else { throw FixtureError("strata run needs root (namespaces, overlayfs)") }
        let strata = try StrataRunner()
        _ = try await strata.importImage(try Files.busyboxRootfs(), "local/sleepy")
        let containers = strata.root.appendingPathComponent("containers").path
        for (flags, keptAfter) in [(["--rm"], 0), ([], 1)] {
            let child = try strata.launch(["run"] + flags + ["local/sleepy", "sleep", "3"])
            let deadline = ContinuousClock.now + .seconds(30)
            while Files.mountPoints(under: containers + "/").isEmpty && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(!Files.mountPoints(under: containers + "/").isEmpty, "the container's overlay never appeared")
            child.kill(SIGKILL)
            _ = await child.wait(timeout: .seconds(30))
            #expect(!Files.mountPoints(under: containers + "/").isEmpty, "expected the dead run's mount to stay until swept")

            let next = try await strata.run(["run", "--rm", "local/sleepy", "true"])
            #expect(next.status == 0, "\(next)")
            #expect(Files.mountPoints(under: containers + "/").isEmpty)
            let left = try FileManager.default.contentsOfDirectory(atPath: containers)
            #expect(left.count == keptAfter, "run \(flags): \(left)")
            #expect(left.allSatisfy { FileManager.default.fileExists(atPath: "\(containers)/\($0)/upper") })
        }
        #expect(try await strata.run(["system", "check"]).status == 0)
    }

    /// An image's VOLUMEs become anonymous volumes: a copy of the image's content mounted over the path (an empty
    /// directory when the image has none), writable, gone with --rm.
    @Test func imageVolumesAreMounted() async throws {
        let strata = try await Fixture.shared.strata()
        let docker = try DockerPeer.require()
        let rootfs = try Files.busyboxRootfs()
        let change = #"VOLUME ["/bin", "/empty"]"#
        #expect(try await docker.run(["import", "-c", change, rootfs, "local/volumes"]).status == 0)
        _ = try await strata.importImage(rootfs, "local/volumes", changes: [change])
        try await compare(["local/volumes", "sh", "-c", """
            stat -c '%n %F %a %u %g' /bin /empty; ls /bin | wc -l; grep -c ' /bin \\| /empty ' /proc/mounts
            touch /empty/x /bin/y && ls /empty && /bin/echo still-runs
            """])
        let containers = strata.root.appendingPathComponent("containers").path
        let before = (try? FileManager.default.contentsOfDirectory(atPath: containers).count) ?? 0
        #expect(try await strata.run(["run", "--rm", "local/volumes", "true"]).status == 0)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: containers).count) ?? 0) == before)
    }
}
