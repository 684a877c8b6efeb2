import Foundation
import Testing

/// The docker oracle for `strata build` / `strata run`: every case under BuildOracle/ is built by
/// BuildKit 20.10 and by strata, and the images must match (see `BuildOracleHarness`, `ImageTree`,
/// `BuildOracleConfig` for the rules). Each failing case records one message listing its first
/// 20 differences. Until `strata build` exists every case fails with "strata build is not implemented".
@Suite("BuildOracle", .enabled(if: DockerPeer.shouldRun))
struct BuildOracleTests {
    @Test("docker build and strata build make the same image", arguments: BuildOracleCase.all)
    func oracle(_ testCase: BuildOracleCase) async throws {
        let harness = BuildOracleHarness(peer: try DockerPeer.require())
        try #require(!testCase.description.hasPrefix("BROKEN"), "\(testCase.description)")
        try await BuildOracleLimiter.shared.withSlot {
            let scratch = try Files.tempDirectory("oracle-\(testCase.name)")
            let tag = "strata-oracle/\(testCase.name):\(UUID().uuidString.prefix(8).lowercased())"
            defer { _ = ProcessRunner.runBlocking("/bin/rm", ["-rf", scratch.path]) }
            let docker: BuildOracleHarness.Outcome
            do {
                docker = try await harness.dockerOutcome(testCase, tag: tag, scratch: scratch)
            } catch {
                await harness.removeDockerImages(testCase, tag: tag)
                throw error
            }
            await harness.removeDockerImages(testCase, tag: tag)
            try BuildOracleHarness.validateDocker(testCase, docker)

            // A case listed in BuildOracle/KNOWN_GAPS is work in progress on the builder issue: its differences are
            // reported as known issues; once it matches docker, the list must lose it.
            let gap = BuildOracleCase.knownGaps[testCase.name]
            func report(_ message: String) {
                if let gap {
                    withKnownIssue(Comment(rawValue: gap)) { Issue.record(Comment(rawValue: message)) }
                } else {
                    Issue.record(Comment(rawValue: message))
                }
            }
            if let why = BuildOracleHarness.strataBuildUnavailable {
                report("strata build is not implemented: \(why) (case \(testCase.name): docker side verified)")
                return
            }
            let lines: [String]
            do {
                let strata = try await harness.strataOutcome(testCase, tag: tag, scratch: scratch)
                lines = try BuildOracleHarness.differences(testCase, docker: docker, strata: strata)
            } catch {
                report("case \(testCase.name): \(error)")
                return
            }
            if !lines.isEmpty {
                report(BuildOracleHarness.report(testCase, lines))
            } else if gap != nil {
                Issue.record("case \(testCase.name) now matches docker: remove it from BuildOracle/KNOWN_GAPS")
            }
        }
    }

    @Test("the suite has at least 30 cases, each with a Dockerfile")
    func caseCount() throws {
        #expect(BuildOracleCase.all.count >= 30)
        for testCase in BuildOracleCase.all {
            #expect(!testCase.description.hasPrefix("BROKEN"), "\(testCase.name): \(testCase.description)")
            #expect(FileManager.default.fileExists(atPath: testCase.caseDirectory.appendingPathComponent("Dockerfile").path),
                    "\(testCase.name) has no Dockerfile")
        }
    }

    /// The harness proven on real data: two docker builds of the same case, the second with
    /// --no-cache (so every RUN really runs again), must show no difference at all.
    @Test("harness: docker against docker --no-cache shows no differences",
          arguments: ["instructions-all", "copy-special-files", "whiteouts", "add-archives"])
    func dockerAgainstItself(_ name: String) async throws {
        let harness = BuildOracleHarness(peer: try DockerPeer.require())
        let testCase = try #require(BuildOracleCase.all.first { $0.name == name })
        try #require(!testCase.description.hasPrefix("BROKEN"), "\(testCase.description)")
        try await BuildOracleLimiter.shared.withSlot {
            let scratch = try Files.tempDirectory("oracle-self-\(name)")
            defer { _ = ProcessRunner.runBlocking("/bin/rm", ["-rf", scratch.path]) }
            let first = "strata-oracle/self-\(name):a-\(UUID().uuidString.prefix(6).lowercased())"
            let second = "strata-oracle/self-\(name):b-\(UUID().uuidString.prefix(6).lowercased())"
            defer { _ = try? ProcessRunner.runBlocking(DockerPeer.client, ["-H", harness.peer.host, "rmi", "-f", first, second]) }
            let a = try await harness.dockerOutcome(testCase, tag: first, scratch: scratch.appendingPathComponent("a"))
            let b = try await harness.dockerOutcome(testCase, tag: second, scratch: scratch.appendingPathComponent("b"),
                                                    extraBuildFlags: ["--no-cache"])
            try BuildOracleHarness.validateDocker(testCase, a)
            let lines = try BuildOracleHarness.differences(testCase, docker: a, strata: b)
            #expect(lines.isEmpty, "\(BuildOracleHarness.report(testCase, lines))")
            #expect(a.snapshot.map { $0.tree.entries.count > 250 } == true, "busybox tree looks empty")
        }
    }

    /// And it is not vacuous: the classic builder (DOCKER_BUILDKIT=0) writes different history
    /// (`/bin/sh -c #(nop) …`) and drops setuid/setgid bits on COPY (observed with docker 20.10),
    /// and the comparison must report exactly that, while everything else about the COPY'd trees agrees.
    @Test("harness: BuildKit against the classic builder: history and setuid/setgid differ, nothing else in the tree")
    func buildKitAgainstClassic() async throws {
        let harness = BuildOracleHarness(peer: try DockerPeer.require())
        let testCase = try #require(BuildOracleCase.all.first { $0.name == "copy-special-files" })
        try await BuildOracleLimiter.shared.withSlot {
            let scratch = try Files.tempDirectory("oracle-classic")
            defer { _ = ProcessRunner.runBlocking("/bin/rm", ["-rf", scratch.path]) }
            let kit = "strata-oracle/self-kit:\(UUID().uuidString.prefix(6).lowercased())"
            let classic = "strata-oracle/self-classic:\(UUID().uuidString.prefix(6).lowercased())"
            defer { _ = ProcessRunner.runBlocking(DockerPeer.client, ["-H", harness.peer.host, "rmi", "-f", kit, classic]) }
            let a = try await harness.dockerOutcome(testCase, tag: kit, scratch: scratch.appendingPathComponent("a"))
            let b = try await harness.dockerOutcome(testCase, tag: classic, scratch: scratch.appendingPathComponent("b"), buildkit: false)
            let lines = try BuildOracleHarness.differences(testCase, docker: a, strata: b)
            #expect(lines.contains { $0.hasPrefix("history[") && $0.contains("#(nop)") }, "\(lines)")
            let treeLines = ImageTree.differences(expected: try #require(a.snapshot).tree, actual: try #require(b.snapshot).tree,
                                                  rules: .init(mtimeCutoff: BuildOracleHarness.mtimeCutoff))
            #expect(treeLines == ["/tree/setgid: mode 0711 != 02711 (strata != docker)",
                                  "/tree/setuid: mode 0755 != 04755 (strata != docker)"], "\(treeLines.prefix(20))")
        }
    }

    /// The strata half of the plumbing (strata load, strata save, skopeo/umoci unpack) on real data:
    /// a docker-built image loaded into strata and saved again must compare equal in every respect.
    @Test("harness: a docker-built image round-tripped through strata load/save shows no differences")
    func strataRoundTrip() async throws {
        let harness = BuildOracleHarness(peer: try DockerPeer.require())
        let testCase = try #require(BuildOracleCase.all.first { $0.name == "run-filesystem-kinds" })
        try await BuildOracleLimiter.shared.withSlot {
            let scratch = try Files.tempDirectory("oracle-roundtrip")
            defer { _ = ProcessRunner.runBlocking("/bin/rm", ["-rf", scratch.path]) }
            let tag = "strata-oracle/self-roundtrip:\(UUID().uuidString.prefix(6).lowercased())"
            defer { _ = ProcessRunner.runBlocking(DockerPeer.client, ["-H", harness.peer.host, "rmi", "-f", tag]) }
            let docker = try await harness.dockerOutcome(testCase, tag: tag, scratch: scratch.appendingPathComponent("d"))
            try BuildOracleHarness.validateDocker(testCase, docker)
            let strata = try StrataRunner()
            let archive = scratch.appendingPathComponent("d/docker.tar").path
            let loaded = try await strata.run(["load", "-i", archive])
            try #require(loaded.status == 0, "\(loaded)")
            let saved = scratch.appendingPathComponent("strata.tar").path
            let save = try await strata.run(["save", "-o", saved, tag])
            try #require(save.status == 0, "\(save)")
            let snapshot = try await ImageTreeReader.snapshot(archive: saved, scratch: scratch.appendingPathComponent("s"))
            let roundTrip = BuildOracleHarness.Outcome(build: docker.build, snapshot: snapshot, runs: docker.runs)
            let lines = try BuildOracleHarness.differences(testCase, docker: docker, strata: roundTrip)
            #expect(lines.isEmpty, "\(BuildOracleHarness.report(testCase, lines))")
        }
    }
}
