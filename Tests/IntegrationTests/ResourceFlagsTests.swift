import Foundation
import Testing

/// `--shm-size`, `--ulimit` and `-m/--memory` of `strata run` and `strata build` take effect (checked from inside the
/// container and compared with docker 20.10's `docker run`), bad values are refused in docker's words, and
/// `build --ssh` forwards an agent (a socket, or keys loaded into an agent) to `RUN --mount=type=ssh` as BuildKit does.
/// docker 20.10's BuildKit ignores the resource flags of `docker build`: there the peer only checks the refusals.
@Suite("resource flags and ssh forwarding")
struct ResourceFlagsTests {
    static let image = "local/busybox:latest"
    /// The memory limit as the container sees it, on cgroup v2 or v1 hosts alike.
    static let memoryLimit = "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes"

    /// A store holding busybox under the name the peer gives it.
    static func strata() async throws -> StrataRunner {
        let strata = try StrataRunner()
        try await strata.importImage(try Files.busyboxRootfs(), image)
        return strata
    }

    /// Whether the host programs are there; missing ones skip the test, but fail it under CI=true.
    static func haveTools(_ programs: [String]) -> Bool {
        let missing = programs.filter { !FileManager.default.isExecutableFile(atPath: $0) }
        if missing.isEmpty { return true }
        if TestEnvironment.isCI { Issue.record("missing \(missing.joined(separator: ", ")) (CI=true: required; scripts/install-test-tools installs them)") }
        return false
    }

    /// Whether memory limits can be enforced here: root, and cgroup v2 or v1's memory hierarchy. Under CI=true the
    /// tests run regardless (and fail if they cannot).
    static var memoryLimitsUsable: Bool {
        if TestEnvironment.isCI { return true }
        guard geteuid() == 0 else { return false }
        let controllers = (try? String(contentsOfFile: "/sys/fs/cgroup/cgroup.controllers", encoding: .utf8)) ?? ""
        return controllers.contains("memory") || FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory/memory.limit_in_bytes")
    }

    /// gcc -static of a fixture program into `directory`.
    static func compile(_ fixture: String, into directory: URL) async throws -> URL {
        let source = TestEnvironment.packageRoot.appendingPathComponent("Tests/IntegrationTests/Fixtures/\(fixture).c")
        let output = directory.appendingPathComponent(fixture)
        let compiled = try await ProcessRunner.run("/usr/bin/gcc", ["-static", "-O1", "-o", output.path, source.path])
        guard compiled.status == 0 else { throw FixtureError("gcc -static \(fixture).c failed: \(compiled)") }
        return output
    }

    /// docker's words with Strata's name (and without the log lines dockerd's client adds).
    static func normalized(_ result: CommandResult) -> CommandResult {
        var result = result
        result.stdout = RunCommandTests.normalized(result.stdout)
        result.stderr = RunCommandTests.normalized(result.stderr)
        return result
    }

    /// `run --rm --network host ARGS` with strata and, when the peer is there, the same with docker: identical.
    static func runBoth(_ strata: StrataRunner, _ args: [String], sourceLocation: SourceLocation = #_sourceLocation)
        async throws -> CommandResult {
        let ours = try await strata.run(["run", "--rm", "--network", "host"] + args)
        if DockerPeer.shouldRun {
            let theirs = try await DockerPeer.require().run(["run", "--rm", "--network", "host"] + args)
            expectIdentical(normalized(ours), normalized(theirs), "run \(args.joined(separator: " "))", sourceLocation: sourceLocation)
        }
        return ours
    }

    /// The cgroups Strata left whose owner is gone (none once its runs and builds have ended).
    static func abandonedCgroups() -> [String] {
        ["/sys/fs/cgroup/strata", "/sys/fs/cgroup/memory/strata"].flatMap { parent -> [String] in
            let names = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
            return names.filter { name in
                guard let pid = name.split(separator: "-").first.flatMap({ Int32($0) }) else { return false }
                return kill(pid, 0) != 0 && errno == ESRCH
            }.map { parent + "/" + $0 }
        }
    }

    @Test("run --shm-size and --ulimit take effect, as in docker run")
    func runShmAndUlimit() async throws {
        let strata = try await Self.strata()
        let shm = try await Self.runBoth(strata, ["--shm-size", "128m", Self.image, "sh", "-c", "df -k /dev/shm | tail -1"])
        #expect(shm.status == 0 && shm.stdout.contains(" 131072 "), "\(shm)")
        let defaultShm = try await Self.runBoth(strata, [Self.image, "sh", "-c", "df -k /dev/shm | tail -1"])
        #expect(defaultShm.stdout.contains(" 65536 "), "\(defaultShm)")
        let limits = try await Self.runBoth(strata, ["--ulimit", "nofile=1024:2048", "--ulimit", "core=-1", Self.image,
                                                     "sh", "-c", "ulimit -n; ulimit -Hn; ulimit -c"])
        #expect(limits.stdout == "1024\n2048\nunlimited\n", "\(limits)")
        // One value sets both limits; the last of a name wins.
        let single = try await Self.runBoth(strata, ["--ulimit", "nofile=99", "--ulimit", "nofile=512", Self.image,
                                                     "sh", "-c", "ulimit -n; ulimit -Hn"])
        #expect(single.stdout == "512\n512\n", "\(single)")
    }

    @Test("run -m sets the cgroup's limit, and a process past it is killed: exit 137 as in docker run",
          .enabled(if: memoryLimitsUsable, "needs root and cgroup v2 or v1's memory controller"))
    func runMemory() async throws {
        guard Self.haveTools(["/usr/bin/gcc"]) else { return }
        let strata = try await Self.strata()
        let limit = try await Self.runBoth(strata, ["-m", "64m", Self.image, "sh", "-c", Self.memoryLimit])
        #expect(limit.status == 0 && limit.stdout == "67108864\n", "\(limit)")
        let work = try Files.tempDirectory("memory-hog")
        defer { try? FileManager.default.removeItem(at: work) }
        _ = try await Self.compile("memory-hog", into: work)
        let killed = try await Self.runBoth(strata, ["-m", "8m", "-v", "\(work.path):/hog:ro", Self.image, "/hog/memory-hog", "64"])
        #expect(killed.status == 137, "\(killed)")
        let fits = try await Self.runBoth(strata, ["-m", "64m", "-v", "\(work.path):/hog:ro", Self.image, "/hog/memory-hog", "16"])
        #expect(fits.status == 0 && fits.stdout == "allocated 16 MiB\n", "\(fits)")
        // Without -m the container is in no cgroup of Strata's and the same program runs to its end.
        let unlimited = try await strata.run(["run", "--rm", "-v", "\(work.path):/hog:ro", Self.image, "/hog/memory-hog", "64"])
        #expect(unlimited.status == 0, "\(unlimited)")
        #expect(Self.abandonedCgroups().isEmpty, "cgroups left behind: \(Self.abandonedCgroups())")
    }

    @Test("bad values are refused in docker's words, by run and by build")
    func refusals() async throws {
        let strata = try await Self.strata()
        let context = try Files.tempDirectory("resource-refusals")
        defer { try? FileManager.default.removeItem(at: context) }
        try Data("FROM \(Self.image)\nRUN true\n".utf8).write(to: context.appendingPathComponent("Dockerfile"))
        let clientRefusals: [[String]] = [
            ["-m", "foo"], ["--memory=10x"], ["-m", "-1"], ["--shm-size", "foo"], ["--shm-size", "1.2.3m"],
            ["--shm-size", " 1m"], ["--ulimit", "x=1"], ["--ulimit", "NOFILE=5"], ["--ulimit", "nofile=2:1"], ["--ulimit", "nofile"],
            ["--ulimit", "nofile=a"], ["--ulimit", "nofile=1:b"], ["--ulimit", "nofile=1:2:3"],
        ]
        let daemonRefusals: [[String]] = [["-m", "1k"], ["-m", "4m"], ["--shm-size", "99999999999999999999"], ["--ulimit", "nofile=-1"]]
        for flags in clientRefusals + daemonRefusals {
            let ours = try await strata.run(["run", "--rm", "--network", "host"] + flags + [Self.image, "true"])
            #expect(ours.status == 125 && !ours.stderr.isEmpty, "run \(flags): \(ours)")
            _ = try await Self.runBoth(strata, flags + [Self.image, "true"])
        }
        for flags in clientRefusals {
            let args = ["build", "-q", "--network", "host"] + flags + [context.path]
            let ours = try await strata.run(args)
            #expect(ours.status == 125 && ours.stderr.hasSuffix("See 'strata build --help'.\n"), "build \(flags): \(ours)")
            if DockerPeer.shouldRun {
                let theirs = try await DockerPeer.require().run(args, environment: ["DOCKER_BUILDKIT": "1"])
                expectIdentical(Self.normalized(ours), Self.normalized(theirs), "build \(flags)")
            }
        }
        // BuildKit ignores these; Strata applies them, so dockerd's checks apply too (the classic builder's words).
        let small = try await strata.run(["build", "-q", "-m", "1k", context.path])
        #expect(small.status == 1 && small.stderr == "Minimum memory limit allowed is 6MB\n", "\(small)")
        let huge = try await strata.run(["build", "-q", "--shm-size", "99999999999999999999", context.path])
        #expect(huge.status == 1 && huge.stderr == "SHM size can not be less than 0\n", "\(huge)")
    }

    @Test("build --shm-size, --ulimit and -m apply to every RUN step and enter its cache key")
    func buildFlags() async throws {
        let strata = try await Self.strata()
        let context = try Files.tempDirectory("resource-build")
        defer { try? FileManager.default.removeItem(at: context) }
        try Data("""
            FROM \(Self.image)
            RUN { df -k /dev/shm | tail -1; ulimit -n; ulimit -Hn; } > /limits
            RUN ulimit -s > /stack

            """.utf8).write(to: context.appendingPathComponent("Dockerfile"))
        func build(_ flags: [String]) async throws -> String {
            let built = try await strata.run(["build", "-q"] + flags + [context.path])
            #expect(built.status == 0, "build \(flags): \(built)")
            return built.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        func read(_ id: String, _ file: String) async throws -> String {
            try await strata.run(["run", "--rm", id, "cat", file]).stdout
        }
        let flags = ["--shm-size", "128m", "--ulimit", "nofile=1024:2048", "--ulimit", "stack=16777216"]
        let limited = try await build(flags)
        let limits = try await read(limited, "/limits")
        #expect(limits.contains(" 131072 ") && limits.hasSuffix("\n1024\n2048\n"), "\(limits)")
        #expect(try await read(limited, "/stack") == "16384\n")
        #expect(try await build(flags) == limited, "the same flags find the steps in the cache")
        let other = try await build(["--shm-size", "256m", "--ulimit", "nofile=1024:2048", "--ulimit", "stack=16777216"])
        #expect(other != limited)
        #expect(try await read(other, "/limits").contains(" 262144 "))
        let plain = try await build([])
        let defaults = try await read(plain, "/limits")
        #expect(defaults.contains(" 65536 ") && !defaults.contains("\n1024\n"), "\(defaults)")
    }

    @Test("build -m: the RUN step's cgroup has the limit, and a step past it fails with exit code 137",
          .enabled(if: memoryLimitsUsable, "needs root and cgroup v2 or v1's memory controller"))
    func buildMemory() async throws {
        guard Self.haveTools(["/usr/bin/gcc"]) else { return }
        let strata = try await Self.strata()
        let context = try Files.tempDirectory("resource-build-memory")
        defer { try? FileManager.default.removeItem(at: context) }
        _ = try await Self.compile("memory-hog", into: context)
        try Data("""
            FROM \(Self.image)
            COPY memory-hog /memory-hog
            RUN (\(Self.memoryLimit)) > /limit && /memory-hog 16

            """.utf8).write(to: context.appendingPathComponent("Dockerfile"))
        let built = try await strata.run(["build", "-q", "-m", "64m", context.path])
        #expect(built.status == 0, "\(built)")
        let id = built.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try await strata.run(["run", "--rm", id, "cat", "/limit"]).stdout == "67108864\n")
        let killed = try await strata.run(["build", "-q", "-m", "8m", context.path])
        #expect(killed.status == 1 && killed.stderr.contains("/memory-hog 16]: exit code: 137"), "\(killed)")
        #expect(Self.abandonedCgroups().isEmpty, "cgroups left behind: \(Self.abandonedCgroups())")
    }

    // MARK: --ssh

    /// An ssh-agent of the test's own on a socket in `directory`, holding a fresh ed25519 key (comment
    /// `strata-test-key`); the key file is left beside it for `--ssh ID=KEY`.
    final class TestAgent: Sendable {
        let socket: String
        let key: String
        private let process: LaunchedProcess

        init(in directory: URL) async throws {
            key = directory.appendingPathComponent("id_ed25519").path
            socket = directory.appendingPathComponent("agent.sock").path
            let made = try await ProcessRunner.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "strata-test-key", "-f", key])
            guard made.status == 0 else { throw FixtureError("ssh-keygen failed: \(made)") }
            process = try ProcessRunner.launch("/usr/bin/ssh-agent", ["-D", "-a", socket])
            for _ in 0..<200 where !FileManager.default.fileExists(atPath: socket) { try await Task.sleep(for: .milliseconds(10)) }
            let added = try await ProcessRunner.run("/usr/bin/ssh-add", ["-q", key], environment: ["SSH_AUTH_SOCK": socket])
            guard added.status == 0 else { throw FixtureError("ssh-add failed: \(added)") }
        }

        func stop() async {
            process.kill(SIGTERM)
            _ = await process.wait(timeout: .seconds(10))
        }
    }

    static let sshTools = ["/usr/bin/ssh-agent", "/usr/bin/ssh-add", "/usr/bin/ssh-keygen", "/usr/bin/gcc"]

    @Test("build --ssh forwards an agent socket and a key file to RUN --mount=type=ssh, as docker build does")
    func sshForwarding() async throws {
        guard Self.haveTools(Self.sshTools) else { return }
        let strata = try await Self.strata()
        let context = try Files.tempDirectory("ssh-context")
        let agentDirectory = try Files.tempDirectory("ssh-agent")
        defer {
            try? FileManager.default.removeItem(at: context)
            try? FileManager.default.removeItem(at: agentDirectory)
        }
        let agent = try await TestAgent(in: agentDirectory)
        _ = try await Self.compile("agent-identities", into: context)
        try Data("""
            FROM \(Self.image)
            COPY agent-identities /usr/bin/agent-identities
            RUN --mount=type=ssh test -S "$SSH_AUTH_SOCK" && echo "$SSH_AUTH_SOCK" > /default && agent-identities >> /default
            RUN --mount=type=ssh,id=key,target=/tmp/agent,mode=0640,uid=100,gid=200 \\
                ls -ln /tmp/agent | awk '{print $1, $3, $4}' > /keyed && agent-identities | head -1 >> /keyed
            RUN --mount=type=ssh,id=absent echo "$SSH_AUTH_SOCK" > /absent && (test -e "$SSH_AUTH_SOCK" || echo skipped >> /absent)
            RUN ls -A /run/buildkit /tmp > /left

            """.utf8).write(to: context.appendingPathComponent("Dockerfile"))
        let flags = ["--ssh", "default", "--ssh", "key=\(agent.key)"]
        let environment = ["SSH_AUTH_SOCK": agent.socket]
        let built = try await strata.run(["build", "-q", "--network", "host"] + flags + [context.path], environment: environment)
        #expect(built.status == 0, "\(built)")
        let id = built.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let seen = try await strata.run(["run", "--rm", id, "cat", "/default", "/keyed", "/absent", "/left"])
        let expected = "/run/buildkit/ssh_agent.0\n1 identities\nstrata-test-key\nsrw-r----- 100 200\n1 identities\n"
            + "/run/buildkit/ssh_agent.0\nskipped\n"
        // The sockets' stubs are gone from the layers; the directories made for them stay, as in BuildKit.
        #expect(seen.status == 0 && seen.stdout.hasPrefix(expected) && seen.stdout.contains("/run/buildkit:\n"), "\(seen)")
        #expect(!seen.stdout.dropFirst(expected.count).contains("agent"), "\(seen)")
        let history = try await strata.run(["history", "--no-trunc", id])
        #expect(!history.stdout.contains("PRIVATE KEY"))
        if DockerPeer.shouldRun {
            let docker = try DockerPeer.require()
            let tag = DockerPeer.uniqueRepository("ssh") + ":1"
            let theirs = try await docker.run(["build", "-q", "--network", "host", "-t", tag] + flags + [context.path],
                                              environment: environment.merging(["DOCKER_BUILDKIT": "1"]) { _, new in new })
            #expect(theirs.status == 0, "\(theirs)")
            let theirSeen = try await docker.run(["run", "--rm", "--network", "host", tag, "cat", "/default", "/keyed", "/absent", "/left"])
            expectIdentical(seen, theirSeen, "files written by the RUN steps")
            await docker.remove([tag])
        }
        await agent.stop()
    }

    @Test("RUN --mount=type=ssh without --ssh: skipped, or BuildKit's error when required; --ssh refusals in its words")
    func sshMissing() async throws {
        guard Self.haveTools(Self.sshTools) else { return }
        let strata = try await Self.strata()
        let context = try Files.tempDirectory("ssh-missing")
        defer { try? FileManager.default.removeItem(at: context) }
        func dockerfile(_ text: String) throws {
            try Data("FROM \(Self.image)\n\(text)\n".utf8).write(to: context.appendingPathComponent("Dockerfile"))
        }
        let peer = DockerPeer.shouldRun ? try DockerPeer.require() : nil
        /// The last line of a failed build: the error itself (the progress before it differs in timing).
        func lastLine(_ result: CommandResult) -> String {
            result.stderr.split(separator: "\n").last.map(String.init) ?? ""
        }
        try dockerfile("RUN --mount=type=ssh test ! -e /run/buildkit/ssh_agent.0 && echo \"$SSH_AUTH_SOCK\" > /seen")
        let skipped = try await strata.run(["build", "-q", context.path], environment: ["SSH_AUTH_SOCK": ""])
        #expect(skipped.status == 0, "\(skipped)")
        let failures: [(String, [String], String)] = [
            ("RUN --mount=type=ssh,required=true true", [], "no SSH key \"\" forwarded from the client"),
            ("RUN --mount=type=ssh,id=foo,required true", [], "no SSH key \"foo\" forwarded from the client"),
        ]
        for (line, flags, message) in failures {
            try dockerfile(line)
            // --no-cache: a step found in the cache never looks for its agent (in BuildKit either).
            let args = ["build", "--no-cache", "--progress", "plain", "--network", "host"] + flags + [context.path]
            let ours = try await strata.run(args)
            #expect(ours.status == 1 && lastLine(ours) == message, "\(line): \(ours)")
            if let peer {
                let theirs = try await peer.run(args, environment: ["DOCKER_BUILDKIT": "1"])
                #expect(theirs.status == ours.status && lastLine(theirs) == lastLine(ours), "\(line): docker \(theirs)")
            }
        }
        // --ssh given, but not the id the step asks for.
        let agentDirectory = try Files.tempDirectory("ssh-missing-agent")
        defer { try? FileManager.default.removeItem(at: agentDirectory) }
        let agent = try await TestAgent(in: agentDirectory)
        try dockerfile("RUN --mount=type=ssh,id=other,required=true true")
        let unset = try await strata.run(["build", "--progress", "plain", "--ssh", "default", context.path],
                                         environment: ["SSH_AUTH_SOCK": agent.socket])
        #expect(unset.status == 1 && lastLine(unset) == "rpc error: code = Unknown desc = unset ssh forward key other", "\(unset)")
        // The client's refusals of --ssh values.
        let passphrase = agentDirectory.appendingPathComponent("locked").path
        _ = try await ProcessRunner.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "secret-pass", "-f", passphrase])
        let garbage = agentDirectory.appendingPathComponent("garbage").path
        try Data("not a key\n".utf8).write(to: URL(fileURLWithPath: garbage))
        let refusals: [[String]] = [
            ["--ssh", "default"], ["--ssh", "x=/nonexistent"], ["--ssh", "x=\(passphrase)"], ["--ssh", "x=\(garbage)"],
            ["--ssh", "a=\(agent.key)", "--ssh", "a=\(agent.key)"], ["--ssh", "s=\(agent.socket),\(agent.key)"],
            ["--ssh", "s=\(agent.key),\(agent.socket)"],
        ]
        for flags in refusals {
            let args = ["build", "-q"] + flags + [context.path]
            let ours = try await strata.run(args, environment: ["SSH_AUTH_SOCK": ""])
            #expect(ours.status == 1 && ours.stderr.hasPrefix("could not parse ssh: ["), "\(flags): \(ours)")
            #expect(!ours.stderr.contains("secret-pass"))
            if let peer {
                let theirs = try await peer.run(args, environment: ["SSH_AUTH_SOCK": "", "DOCKER_BUILDKIT": "1"])
                expectIdentical(Self.normalized(ours), Self.normalized(theirs), "build \(flags)")
            }
        }
        await agent.stop()
    }
}
