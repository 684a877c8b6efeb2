import Foundation
import Testing

/// RUN steps are confined as BuildKit (docker 20.10) confines them; `RUN --security=insecure` needs
/// `--allow security.insecure`; a secret never reaches a disk, even when the build is killed with -9.
@Suite("confinement: strata build vs docker build", .enabled(if: DockerPeer.shouldRun, "needs the docker 20.10 peer"),
       .serialized)
struct ConfinementBuildTests {
    /// A context holding the probe and `dockerfile`.
    static func context(_ dockerfile: String) async throws -> URL {
        let (_, probe) = try await ConfinementTests.Fixture.shared.prepare()
        let directory = try Files.tempDirectory("confined-build")
        // A hard link, not a copy: a copy's write descriptor, inherited by a process another test forks at that
        // moment, makes the exec fail with "Text file busy".
        try FileManager.default.linkItem(at: probe, to: directory.appendingPathComponent("probe"))
        try dockerfile.write(to: directory.appendingPathComponent("Dockerfile"), atomically: true, encoding: .utf8)
        return directory
    }

    /// What RUN steps saw, recorded in files of the image, read back by each tool's own `run`.
    @Test func runStepsSeeWhatBuildKitsSee() async throws {
        let (strata, _) = try await ConfinementTests.Fixture.shared.prepare()
        let docker = try DockerPeer.require()
        let directory = try await Self.context("""
            FROM local/busybox:latest
            COPY probe /probe
            RUN grep -E '^(Cap|NoNewPrivs|Seccomp)' /proc/self/status > /status
            RUN /probe probe > /probe.txt 2>&1
            RUN chmod 4755 /probe && mkdir -m 1777 /out
            RUN ip link add strata-b0 type dummy > /out/ip.txt 2>&1; ip addr add 192.0.2.7/32 dev lo 2>> /out/ip.txt; \
                echo 1 > /proc/sysrq-trigger 2>> /out/ip.txt; touch /sys/kernel/x 2>> /out/ip.txt; \
                unshare -m true 2>> /out/ip.txt; true
            RUN --mount=type=bind,target=/ctx mount -o remount,rw /ctx 2>> /out/ip.txt; touch /ctx/x 2>> /out/ip.txt; true
            USER nobody
            RUN /probe caps > /out/caps.txt; grep -E '^(Cap|Seccomp)' /proc/self/status >> /out/caps.txt

            """)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tag = DockerPeer.uniqueRepository("confined")
        let theirs = try await docker.run(["build", "--network", "host", "-q", "-t", tag, directory.path],
                                         environment: ["DOCKER_BUILDKIT": "1"])
        try #require(theirs.status == 0, "docker build: \(theirs)")
        defer { Task { await docker.remove([tag]) } }
        let ours = try await strata.run(["build", "-q", "-t", tag, directory.path])
        try #require(ours.status == 0, "strata build: \(ours)")
        let show = ["run", "--rm", tag, "cat", "/status", "/probe.txt", "/out/caps.txt", "/out/ip.txt"]
        let seenByDocker = try await docker.run(show)
        let seenByStrata = try await strata.run(show)
        #expect(seenByStrata.stdout == seenByDocker.stdout, "strata:\n\(seenByStrata.stdout)\ndocker:\n\(seenByDocker.stdout)")
        #expect(seenByStrata.stdout.contains("CapEff:\t00000000a80425fb") && seenByStrata.stdout.contains("Seccomp:\t2"))
        #expect(try await ProcessRunner.run("/usr/sbin/ip", ["link", "show", "strata-b0"]).status != 0)
    }

    /// open_by_handle_at from a RUN step through its bind-mounted context fails; `--security=insecure` (allowed)
    /// shows the same probe does escape, so the refusal is real. Without `--allow` BuildKit's gate stops the build.
    @Test func insecureNeedsTheEntitlementAndRunStepsCannotEscape() async throws {
        let (strata, probe) = try await ConfinementTests.Fixture.shared.prepare()
        let secretDirectory = try Files.tempDirectory("host-secret")
        defer { try? FileManager.default.removeItem(at: secretDirectory) }
        let secret = "host-secret-\(UUID().uuidString)"
        let secretFile = secretDirectory.appendingPathComponent("secret").path
        try (secret + "\n").write(toFile: secretFile, atomically: true, encoding: .utf8)
        let handle = try await ProcessRunner.run(probe.path, ["handle", secretFile])
        let parts = handle.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        try #require(handle.status == 0 && parts.count == 2, "\(handle)")
        let scan = "/ctx/probe scan \(parts[0]) \(parts[1])"
        for (security, allow, expected) in [("", false, "no escape"), ("--security=insecure ", true, "escaped via /ctx: \(secret)")] {
            let directory = try await Self.context("FROM local/busybox:latest\nRUN \(security)--mount=type=bind,target=/ctx \(scan)\n")
            defer { try? FileManager.default.removeItem(at: directory) }
            let result = try await strata.run(["build", "--no-cache", "--progress=plain"] + (allow ? ["--allow", "security.insecure"] : [])
                                              + [directory.path])
            #expect(result.status == 0, "\(result)")
            #expect(result.stderr.contains(expected), "\(security): \(result.stderr)")
        }
        let directory = try await Self.context("FROM local/busybox:latest\nRUN --security=insecure true\n")
        defer { try? FileManager.default.removeItem(at: directory) }
        let refused = try await strata.run(["build", directory.path])
        #expect(refused.status == 1 && refused.stderr.contains("security.insecure is not allowed"), "\(refused)")
        let unknown = try await strata.run(["build", "--allow", "root.everything", directory.path])
        #expect(unknown.status != 0 && unknown.stderr.contains("unknown entitlement root.everything"), "\(unknown)")
    }

    /// A build killed with -9 while a RUN step holds a secret leaves no byte of it on any disk path: not in TMPDIR,
    /// not under the store root (secrets live in a tmpfs of the step's own mount namespace).
    @Test func killedBuildLeavesNoSecretBehind() async throws {
        let temporary = try Files.tempDirectory("secret-tmpdir")
        let outside = try Files.tempDirectory("secret-source")
        defer {
            try? FileManager.default.removeItem(at: temporary)
            try? FileManager.default.removeItem(at: outside)
        }
        let strata = try StrataRunner(environment: ["TMPDIR": temporary.path])
        let loaded = try await strata.run(["load", "-i", try await Self.busyboxArchive()])
        try #require(loaded.status == 0, "\(loaded)")
        let token = "strata-secret-\(UUID().uuidString)"
        let source = outside.appendingPathComponent("token").path
        try token.write(toFile: source, atomically: true, encoding: .utf8)
        let marker = String(Int.random(in: 100_000...999_999))
        let directory = try await Self.context("""
            FROM local/busybox:latest
            RUN --mount=type=secret,id=tok,required=true cat /run/secrets/tok > /dev/null && sleep \(marker)

            """)
        defer { try? FileManager.default.removeItem(at: directory) }
        let child = try strata.launch(["build", "--no-cache", "--secret", "id=tok,src=\(source)", directory.path])
        defer { child.kill() }
        try #require(try await ConfinementTests.waitForProcesses(matching: "sleep \(marker)", present: true, within: .seconds(10)),
                     "the RUN step never started")
        child.kill(SIGKILL)
        _ = await child.wait(timeout: .seconds(5))
        #expect(try await ConfinementTests.waitForProcesses(matching: "sleep \(marker)", present: false, within: .seconds(1)),
                "the RUN step outlived the build")
        let found = try await ProcessRunner.run("/bin/grep", ["-rlF", token, temporary.path, strata.root.path])
        #expect(found.stdout.isEmpty, "the secret was found on disk after kill -9: \(found.stdout)")
        // The killed step's overlay stays mounted until the next build sweeps the dead session.
        let next = try await Self.context("FROM local/busybox:latest\nRUN true\n")
        defer { try? FileManager.default.removeItem(at: next) }
        let swept = try await strata.run(["build", "-q", next.path])
        #expect(swept.status == 0, "\(swept)")
        let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(!mounts.contains(strata.root.path), "mounts left under the store: \(mounts)")
    }

    static func busyboxArchive() async throws -> String {
        let docker = try DockerPeer.require()
        let work = try Files.tempDirectory("bb-archive")
        let archive = work.appendingPathComponent("busybox.tar").path
        let saved = try await docker("save", "-o", archive, "local/busybox:latest")
        guard saved.status == 0 else { throw FixtureError("docker save: \(saved)") }
        return archive
    }
}
