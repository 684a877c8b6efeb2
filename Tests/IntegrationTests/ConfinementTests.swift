import Foundation
import Testing

/// `strata run` containers are confined as docker 20.10 confines them: the same capability sets, seccomp mode and
/// no_new_privs, the same refusals (mount, remount of a read-only bind, network administration, unshare, module
/// loading, /proc and /sys writes), no open_by_handle_at escape, and the flags that relax it re-open exactly what
/// docker's re-open. A small C probe (Fixtures/confinement-probe.c, compiled here) does what a shell cannot.
@Suite("confinement: strata run vs docker run", .enabled(if: DockerPeer.shouldRun, "needs the docker 20.10 peer"),
       .serialized)
struct ConfinementTests {
    static let image = "local/confinement-probe"

    /// A busybox image with the probe at /probe (setuid root), built by docker and loaded into one strata store.
    actor Fixture {
        static let shared = Fixture()
        private static let store = RunCommandTests.Fixture()
        private var ready: (StrataRunner, URL)?

        func prepare() async throws -> (strata: StrataRunner, probe: URL) {
            if let ready { return ready }
            guard geteuid() == 0 else { throw FixtureError("confinement tests need root") }
            let docker = try DockerPeer.require()
            // A store of its own: RunCommandTests count the containers of theirs while this suite runs in parallel.
            let strata = try await Self.store.strata()
            let work = try Files.tempDirectory("confinement")
            let probe = try await ConfinementTests.compileProbe(into: work)
            try FileManager.default.copyItem(at: probe, to: work.appendingPathComponent("context/probe", isDirectory: false))
            try "FROM local/busybox:latest\nCOPY probe /probe\nRUN chmod 4755 /probe\n"
                .write(to: work.appendingPathComponent("context/Dockerfile"), atomically: true, encoding: .utf8)
            let built = try await docker.run(["build", "-q", "-t", ConfinementTests.image, work.appendingPathComponent("context").path])
            guard built.status == 0 else { throw FixtureError("docker build of the probe image failed: \(built)") }
            let archive = work.appendingPathComponent("probe.tar").path
            let saved = try await docker("save", "-o", archive, ConfinementTests.image)
            guard saved.status == 0 else { throw FixtureError("docker save failed: \(saved)") }
            let loaded = try await strata("load", "-i", archive)
            guard loaded.status == 0 else { throw FixtureError("strata load failed: \(loaded)") }
            ready = (strata, probe)
            return (strata, probe)
        }
    }

    /// gcc -static of the probe (gcc is on every machine of this project's kind; missing it fails the test).
    static func compileProbe(into work: URL) async throws -> URL {
        let source = TestEnvironment.packageRoot.appendingPathComponent("Tests/IntegrationTests/Fixtures/confinement-probe.c")
        try FileManager.default.createDirectory(at: work.appendingPathComponent("context"), withIntermediateDirectories: true)
        let output = work.appendingPathComponent("probe-bin")
        let compiled = try await ProcessRunner.run("/usr/bin/gcc", ["-static", "-O1", "-o", output.path, source.path])
        guard compiled.status == 0 else { throw FixtureError("gcc -static confinement-probe.c failed: \(compiled)") }
        return output
    }

    /// Runs `args` with both and returns (strata, docker).
    func both(_ args: [String]) async throws -> (CommandResult, CommandResult) {
        let (strata, _) = try await Fixture.shared.prepare()
        let docker = try DockerPeer.require()
        return (try await strata.run(["run", "--rm"] + args), try await docker.run(["run", "--rm"] + args))
    }

    func compare(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let (ours, theirs) = try await both(args)
        #expect(ours.status == theirs.status, "exit status of run \(args)\nstrata: \(ours)\ndocker: \(theirs)", sourceLocation: sourceLocation)
        #expect(ours.stdout == theirs.stdout, "stdout of run \(args)\nstrata: \(ours)\ndocker: \(theirs)", sourceLocation: sourceLocation)
        #expect(RunCommandTests.normalized(ours.stderr) == RunCommandTests.normalized(theirs.stderr),
                "stderr of run \(args)", sourceLocation: sourceLocation)
    }

    static let status = ["sh", "-c", "grep -E '^(Cap|NoNewPrivs|Seccomp)' /proc/self/status"]

    @Test func statusMatchesDocker() async throws {
        let flagSets: [[String]] = [
            [], ["-u", "nobody"], ["-u", "1234:1234"], ["--cap-add", "NET_ADMIN"], ["--cap-add", "sys_admin", "--cap-drop", "chown"],
            ["--cap-drop", "ALL"], ["--cap-drop", "all", "--cap-add", "NET_BIND_SERVICE"], ["--cap-add", "ALL", "--cap-drop", "CAP_SYS_RESOURCE"],
            ["--security-opt", "no-new-privileges"], ["--security-opt", "no-new-privileges=false"],
            ["--security-opt", "seccomp=unconfined"], ["--security-opt", "seccomp:unconfined"],
        ]
        for flags in flagSets { try await compare(flags + [Self.image] + Self.status) }
        let (ours, _) = try await both([Self.image] + Self.status)
        #expect(ours.stdout.contains("CapEff:\t00000000a80425fb") && ours.stdout.contains("CapBnd:\t00000000a80425fb"))
        #expect(ours.stdout.contains("Seccomp:\t2"))
    }

    /// docker --privileged fails on a host whose own bounding set is short ("unable to apply caps"); Strata grants
    /// every capability it holds, drops the filter and the masks. Where docker manages, the two must agree.
    @Test func privilegedGrantsWhatTheHostHolds() async throws {
        let (ours, theirs) = try await both(["--privileged", Self.image] + Self.status)
        #expect(ours.status == 0, "\(ours)")
        if theirs.status == 0 { #expect(ours.stdout == theirs.stdout) }
        let held = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
            .split(separator: "\n").first { $0.hasPrefix("CapPrm:") }
            .flatMap { UInt64($0.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) } ?? 0
        let expected = String(format: "%016llx", held & 0x3f_ffff_ffff)
        #expect(ours.stdout.contains("CapEff:\t\(expected)"), "\(ours.stdout)")
        #expect(ours.stdout.contains("Seccomp:\t0"))
        let devices = try await Fixture.shared.prepare().strata.run(["run", "--rm", "--privileged", Self.image, "ls", "/dev"])
        #expect(devices.stdout.contains("loop-control") || devices.stdout.contains("kmsg"), "host devices: \(devices.stdout)")
    }

    @Test func refusalsMatchDocker() async throws {
        let work = try Files.tempDirectory("ro-bind")
        defer { try? FileManager.default.removeItem(at: work) }
        try await compare([Self.image, "/probe", "probe"])
        try await compare(["-v", "\(work.path):/m:ro", Self.image, "sh", "-c", """
            mount -o remount,rw /m; touch /m/x; ip link add strata-t0 type dummy; unshare -m true; \
            echo 1 > /proc/sys/kernel/ns_last_pid; echo 1 > /proc/sysrq-trigger; touch /sys/kernel/x; \
            cat /proc/keys /proc/timer_list; ls /sys/firmware /proc/acpi; echo done
            """])
        #expect(!FileManager.default.fileExists(atPath: work.path + "/x"))
        // A container that could administer the host's network would have left this link behind.
        let link = try await ProcessRunner.run("/usr/sbin/ip", ["link", "show", "strata-t0"])
        if link.status == 0 { _ = try await ProcessRunner.run("/usr/sbin/ip", ["link", "del", "strata-t0"]) }
        #expect(link.status != 0, "a container created a link in the host's network namespace")
    }

    @Test func flagsReopenWhatDockersReopen() async throws {
        try await compare(["--cap-add", "SYS_ADMIN", Self.image, "/probe", "probe"])
        try await compare(["--security-opt", "seccomp=unconfined", Self.image, "/probe", "probe"])
        try await compare(["--cap-add", "NET_ADMIN", "--network", "none", Self.image, "sh", "-c",
                           "ip link add strata-t1 type dummy && ip -o link show strata-t1 | cut -d' ' -f2"])
        let (privileged, _) = try await both(["--privileged", Self.image, "/probe", "probe"])
        #expect(privileged.stdout.contains("keyctl: allowed") && privileged.stdout.contains("unshare mount namespace: allowed"),
                "\(privileged)")
    }

    /// The setuid-root probe run by a non-root user gets docker's 14 capabilities back, never more.
    @Test func setuidBinaryStaysBounded() async throws {
        try await compare(["-u", "nobody", Self.image, "/probe", "caps"])
        let (ours, _) = try await both(["-u", "nobody", Self.image, "/probe", "caps"])
        #expect(ours.stdout.contains("CapEff:\t00000000a80425fb"), "\(ours.stdout)")
    }

    /// open_by_handle_at through a bind mount reaches the host's files only when the container may (--privileged,
    /// --cap-add DAC_READ_SEARCH): the probe is shown to escape there, so "no escape" elsewhere means something.
    @Test func openByHandleCannotLeaveTheBindMount() async throws {
        let (strata, probe) = try await Fixture.shared.prepare()
        let secretDirectory = try Files.tempDirectory("host-secret")
        let exposed = try Files.tempDirectory("exposed")
        defer {
            try? FileManager.default.removeItem(at: secretDirectory)
            try? FileManager.default.removeItem(at: exposed)
        }
        let secret = "host-secret-\(UUID().uuidString)"
        let secretFile = secretDirectory.appendingPathComponent("secret").path
        try (secret + "\n").write(toFile: secretFile, atomically: true, encoding: .utf8)
        let handle = try await ProcessRunner.run(probe.path, ["handle", secretFile])
        let parts = handle.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        try #require(handle.status == 0 && parts.count == 2, "name_to_handle_at on the host: \(handle)")
        let scan = ["-v", "\(exposed.path):/m:ro", Self.image, "/probe", "scan", parts[0], parts[1]]
        let confined = try await strata.run(["run", "--rm"] + scan)
        #expect(confined.stdout.contains("no escape (every mount tried)"), "\(confined)")
        #expect(!confined.stdout.contains(secret))
        for flags in [["--privileged"], ["--cap-add", "DAC_READ_SEARCH"]] {
            let opened = try await strata.run(["run", "--rm"] + flags + scan)
            #expect(opened.stdout.contains("escaped via /m: \(secret)"), "\(flags): \(opened)")
        }
    }

    @Test func customSeccompProfile() async throws {
        let work = try Files.tempDirectory("seccomp")
        defer { try? FileManager.default.removeItem(at: work) }
        let profile = work.appendingPathComponent("profile.json").path
        try """
            {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
             "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"},
                          {"names": ["chmod", "fchmodat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
            """.write(toFile: profile, atomically: true, encoding: .utf8)
        try await compare(["--security-opt", "seccomp=\(profile)", Self.image, "sh", "-c",
                           "mkdir /tmp/d; chmod 600 /etc/hosts; touch /tmp/f && echo touched; grep Seccomp: /proc/self/status"])
        let broken = work.appendingPathComponent("broken.json").path
        try "{\"defaultAction\": \"SCMP_ACT_BOGUS\"}".write(toFile: broken, atomically: true, encoding: .utf8)
        let (ours, _) = try await both(["--security-opt", "seccomp=\(broken)", Self.image, "true"])
        #expect(ours.status == 125 && ours.stderr.contains("SCMP_ACT_BOGUS"), "\(ours)")
        #expect(ours.stderr.split(separator: "\n").count <= 2, "one line (and docker's See line): \(ours.stderr)")
    }

    @Test func badFlagsMatchDocker() async throws {
        try await compare(["--cap-add", "foo", Self.image, "true"])
        try await compare(["--cap-drop", "bar", Self.image, "true"])
        try await compare(["--security-opt", "bogus", Self.image, "true"])
        try await compare(["--security-opt", "foo=bar", Self.image, "true"])
        try await compare(["--security-opt", "no-new-privileges=maybe", Self.image, "true"])
        try await compare(["--security-opt", "seccomp=/nonexistent/profile.json", Self.image, "true"])
    }

    /// kill -9 of strata takes the container's whole process tree with it (holder + PID namespace).
    @Test func killedRunLeavesNoProcess() async throws {
        let (strata, _) = try await Fixture.shared.prepare()
        let marker = String(Int.random(in: 100_000...999_999))
        let child = try strata.launch(["run", "--rm", Self.image, "sh", "-c", "sleep \(marker) & sleep \(marker)1"])
        defer { child.kill() }
        try #require(try await Self.waitForProcesses(matching: "sleep \(marker)", present: true, within: .seconds(5)),
                     "the container never started")
        child.kill(SIGKILL)
        _ = await child.wait(timeout: .seconds(5))
        #expect(try await Self.waitForProcesses(matching: "sleep \(marker)", present: false, within: .seconds(1)),
                "container processes outlived strata by a second: \(Self.processes(matching: "sleep \(marker)"))")
    }

    /// Polls until a process whose command line contains `text` exists (`present`) or none does; false on timeout.
    static func waitForProcesses(matching text: String, present: Bool, within limit: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if processes(matching: text).isEmpty != present { return true }
            try await Task.sleep(for: .milliseconds(25))
        }
        return processes(matching: text).isEmpty != present
    }

    /// PIDs whose command line contains `text` (arguments joined by spaces).
    static func processes(matching text: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let line = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return line.contains(text) && !line.contains("strata")
        }
    }
}
