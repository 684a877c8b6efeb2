import Foundation

/// Builds one `BuildOracleCase` with BuildKit (`DOCKER_BUILDKIT=1 docker build --network host`, the
/// peer has no bridge network) and with `strata build`, and lists every difference: final filesystem
/// (`ImageTree`), config/history/layers (`BuildOracleConfig`), `run` output, or the failure message.
struct BuildOracleHarness: Sendable {
    let peer: DockerPeer

    /// Mtimes at or before this second are preserved ones (base images are at the epoch, context
    /// files and test archives at or before `BuildOracleCase.contextMtime`); later ones were made
    /// while building (possibly in an earlier, cached docker build) and are not compared.
    static let mtimeCutoff = BuildOracleCase.contextMtime + 1

    /// What one builder produced for a case.
    struct Outcome: Sendable {
        var build: CommandResult
        var snapshot: ImageSnapshot?
        var runs: [CommandResult] = []
    }

    // MARK: docker

    func docker(_ args: [String], buildkit: Bool = true, timeout: Duration = .seconds(120)) async throws -> CommandResult {
        var env = TestEnvironment.processEnvironment
        env["DOCKER_HOST"] = peer.host
        env["DOCKER_BUILDKIT"] = buildkit ? "1" : "0"
        env["TZ"] = "UTC"
        return try await ProcessRunner.run(DockerPeer.client, args, environment: env, timeout: timeout)
    }

    /// Builds the case with docker (prebuilds first), saves and unpacks the image, runs the case's
    /// commands. `extraBuildFlags` lets the harness self-tests add `--no-cache`.
    func dockerOutcome(_ testCase: BuildOracleCase, tag: String, scratch: URL, buildkit: Bool = true,
                       extraBuildFlags: [String] = []) async throws -> Outcome {
        if testCase.needsDebian { try await BuildOracleBases.shared.ensureDebian(self) }
        let prepared = try await testCase.prepare(in: scratch.appendingPathComponent("docker"), forDocker: true)
        for pre in testCase.prebuild {
            let r = try await docker(["build", "--network", "host", "-f", prepared.outside.appendingPathComponent(pre.dockerfile).path,
                                      "-t", pre.tag, prepared.context.path], buildkit: buildkit, timeout: .seconds(900))
            guard r.status == 0 else { throw FixtureError("docker prebuild \(pre.tag) failed: \(r)") }
        }
        let build = try await docker(["build", "--network", "host", "-t", tag] + extraBuildFlags
                                     + testCase.buildFlags(prepared) + [prepared.context.path],
                                     buildkit: buildkit, timeout: .seconds(900))
        var outcome = Outcome(build: build)
        guard build.status == 0 else { return outcome }
        let archive = scratch.appendingPathComponent("docker.tar").path
        let save = try await docker(["save", "-o", archive, tag], timeout: .seconds(600))
        guard save.status == 0 else { throw FixtureError("docker save \(tag) failed: \(save)") }
        outcome.snapshot = try await ImageTreeReader.snapshot(archive: archive, scratch: scratch.appendingPathComponent("docker-image"))
        for run in testCase.runs {
            outcome.runs.append(try await docker(["run", "--rm", "--network", "host"] + run.flags + [tag] + run.args))
        }
        return outcome
    }

    func removeDockerImages(_ testCase: BuildOracleCase, tag: String) async {
        _ = try? await docker(["rmi", "-f", tag] + testCase.prebuild.map(\.tag))
    }

    // MARK: strata

    /// Why `strata build` cannot be used, or nil when `strata build --help` prints the build command's
    /// own usage (the root help, printed for an unknown subcommand, does not count).
    static let strataBuildUnavailable: String? = {
        guard FileManager.default.isExecutableFile(atPath: TestEnvironment.strataBinary) else {
            return "no strata binary at \(TestEnvironment.strataBinary)"
        }
        guard let r = ProcessRunner.runBlocking(TestEnvironment.strataBinary, ["build", "--help"]) else {
            return "cannot start \(TestEnvironment.strataBinary)"
        }
        if r.status == 0, (r.stdout + r.stderr).contains("USAGE: strata build") { return nil }
        let said = (r.stderr + r.stdout).split(separator: "\n").prefix(2).joined(separator: " / ")
        return "`strata build --help` exits \(r.status) without the build usage: \(said)"
    }()

    func strataOutcome(_ testCase: BuildOracleCase, tag: String, scratch: URL) async throws -> Outcome {
        let strata = try StrataRunner()
        try await BuildOracleBases.shared.load(into: strata, harness: self, debian: testCase.needsDebian)
        let prepared = try await testCase.prepare(in: scratch.appendingPathComponent("strata"), forDocker: false)
        for pre in testCase.prebuild {
            let r = try await strata.run(["build", "-f", prepared.outside.appendingPathComponent(pre.dockerfile).path,
                                          "-t", pre.tag, prepared.context.path], timeout: .seconds(900))
            guard r.status == 0 else {
                return Outcome(build: CommandResult(stdout: r.stdout, stderr: "prebuild \(pre.tag) failed:\n" + r.stderr,
                                                    status: r.status, timedOut: r.timedOut))
            }
        }
        let build = try await strata.run(["build", "-t", tag] + testCase.buildFlags(prepared) + [prepared.context.path],
                                         timeout: .seconds(900))
        var outcome = Outcome(build: build)
        guard build.status == 0 else { return outcome }
        let archive = scratch.appendingPathComponent("strata.tar").path
        let save = try await strata.run(["save", "-o", archive, tag], timeout: .seconds(600))
        guard save.status == 0 else {
            outcome.build.stderr += "\n(strata save \(tag) failed: \(save))"
            outcome.build.status = 125
            return outcome
        }
        outcome.snapshot = try await ImageTreeReader.snapshot(archive: archive, scratch: scratch.appendingPathComponent("strata-image"))
        for run in testCase.runs {
            outcome.runs.append(try await strata.run(["run", "--rm"] + run.flags + [tag] + run.args))
        }
        return outcome
    }

    // MARK: comparing

    /// Checks that docker behaved as the case says (else the case itself is wrong: thrown).
    static func validateDocker(_ testCase: BuildOracleCase, _ docker: Outcome) throws {
        let output = docker.build.stderr + docker.build.stdout
        if let failure = testCase.expectFailure {
            guard docker.build.status != 0 else { throw FixtureError("case \(testCase.name): docker build succeeded but the case expects a failure") }
            for phrase in failure.phrases where !output.contains(phrase) {
                throw FixtureError("case \(testCase.name): docker's error lacks \"\(phrase)\":\n\(tail(output))")
            }
            return
        }
        guard docker.build.status == 0 else {
            throw FixtureError("case \(testCase.name): docker build failed (the case must build with docker):\n\(tail(output))")
        }
        for (run, result) in zip(testCase.runs, docker.runs) {
            if let expected = run.stdout, result.stdout != expected {
                throw FixtureError("case \(testCase.name): docker run \(run.args) printed \(String(reflecting: result.stdout)), case.json expects \(String(reflecting: expected))")
            }
        }
    }

    /// Every difference of strata from docker, one readable line each.
    static func differences(_ testCase: BuildOracleCase, docker: Outcome, strata: Outcome) throws -> [String] {
        if let failure = testCase.expectFailure {
            guard strata.build.status != 0 else {
                return ["strata build succeeded, docker fails with: \(lastLine(docker.build.stderr))"]
            }
            return failure.phrases.filter { !strata.build.stderr.contains($0) }.map {
                "strata's error lacks \"\($0)\" (docker: \(lastLine(docker.build.stderr))); strata said:\n\(tail(strata.build.stderr, lines: 8))"
            }
        }
        guard strata.build.status == 0, let mine = strata.snapshot, let theirs = docker.snapshot else {
            return ["strata build failed (exit \(strata.build.status)\(strata.build.timedOut ? ", timed out" : "")); docker succeeds. strata said:\n"
                    + tail(strata.build.stderr + strata.build.stdout, lines: 15)]
        }
        var lines = ImageTree.differences(expected: theirs.tree, actual: mine.tree,
                                          rules: .init(mtimeCutoff: mtimeCutoff, ignoreContent: Set(testCase.ignoreContent)))
        lines += try BuildOracleConfig.differences(expected: theirs.configJSON, actual: mine.configJSON,
                                                   expectedLayers: theirs.layerCount, actualLayers: mine.layerCount,
                                                   compareHistory: testCase.historyCompared)
        for (index, run) in testCase.runs.enumerated() {
            guard index < docker.runs.count, index < strata.runs.count else { break }
            let d = docker.runs[index], s = strata.runs[index]
            let label = "run \(run.flags + run.args)"
            if d.status != s.status { lines.append("\(label): exit \(s.status) != docker's \(d.status)") }
            if d.stdout != s.stdout { lines.append("\(label): stdout \(String(reflecting: s.stdout)) != docker's \(String(reflecting: d.stdout))") }
            if d.stderr != s.stderr { lines.append("\(label): stderr \(String(reflecting: s.stderr)) != docker's \(String(reflecting: d.stderr))") }
        }
        return lines
    }

    /// One message for a case: a header and the first 20 differences.
    static func report(_ testCase: BuildOracleCase, _ lines: [String]) -> String {
        var text = "build oracle case \(testCase.name) (\(testCase.description)): \(lines.count) difference(s), strata vs docker"
        for line in lines.prefix(20) { text += "\n  - " + line }
        if lines.count > 20 { text += "\n  … and \(lines.count - 20) more" }
        return text
    }

    static func tail(_ text: String, lines: Int = 12) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    static func lastLine(_ text: String) -> String {
        text.split(separator: "\n").last.map(String.init) ?? ""
    }
}
