import Foundation

/// The docker 20.10 daemon and client that Strata's output is compared against.
///
/// Found once per test process: $DOCKER_HOST if set, else whatever `scripts/peers-up` starts.
/// Suites that need it use `.enabled(if: DockerPeer.shouldRun)` and call `DockerPeer.require()`:
/// outside CI an unavailable peer skips them; under CI=true they run and fail with the reason.
struct DockerPeer: Sendable {
    static let client = "/usr/bin/docker"   // the 20.10 client; /usr/local/bin/docker may be newer
    let host: String

    /// The peer, or why there is none.
    static let resolved: Result<DockerPeer, FixtureError> = {
        let env = TestEnvironment.processEnvironment
        guard let host = env["DOCKER_HOST"] ?? TestEnvironment.peersUp["DOCKER_HOST"] else {
            return .failure(FixtureError("no DOCKER_HOST and scripts/peers-up did not start a dockerd"))
        }
        guard FileManager.default.isExecutableFile(atPath: client) else {
            return .failure(FixtureError("\(client) (docker 20.10 client, Debian docker.io) is missing"))
        }
        var peerEnv = env
        peerEnv["DOCKER_HOST"] = host
        guard let version = ProcessRunner.runBlocking(client, ["version", "--format", "{{.Server.Version}}"],
                                                      environment: peerEnv),
              version.status == 0 else {
            return .failure(FixtureError("dockerd at \(host) does not answer `docker version`"))
        }
        return .success(DockerPeer(host: host))
    }()

    /// Whether docker-comparison tests should run at all (under CI they always run, and fail if no peer).
    static var shouldRun: Bool {
        if TestEnvironment.isCI { return true }
        if case .success = resolved { return true }
        return false
    }

    /// The peer, or an error that fails the test with the reason (reached only when `shouldRun`).
    static func require() throws -> DockerPeer {
        switch resolved {
        case let .success(peer): return peer
        case let .failure(error):
            throw FixtureError("docker peer unavailable\(TestEnvironment.isCI ? " (CI=true: required)" : ""): \(error)")
        }
    }

    /// `docker args…` against the peer.
    @discardableResult
    func run(_ args: [String], stdinFile: String? = nil, timeout: Duration = .seconds(120),
             environment extra: [String: String] = [:]) async throws -> CommandResult {
        var env = TestEnvironment.processEnvironment
        env["DOCKER_HOST"] = host
        env["TZ"] = "UTC"
        env.merge(extra) { _, new in new }
        return try await ProcessRunner.run(Self.client, args, environment: env, stdinFile: stdinFile, timeout: timeout)
    }

    @discardableResult
    func callAsFunction(_ args: String..., stdinFile: String? = nil) async throws -> CommandResult {
        try await run(args, stdinFile: stdinFile)
    }

    /// A repository name no other test (or earlier run) uses, so tests can share one daemon.
    static func uniqueRepository(_ label: String) -> String {
        "strata-it/\(label)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Imports into docker, returning the image ID.
    @discardableResult
    func importImage(_ file: String, _ reference: String, changes: [String] = []) async throws -> String {
        var args = ["import"]
        for change in changes { args += ["-c", change] }
        args += [file, reference]
        let r = try await run(args)
        guard r.status == 0 else { throw FixtureError("docker \(args.joined(separator: " ")) failed: \(r)") }
        return r.stdout.trimmingCharacters(in: .newlines)
    }

    /// Best-effort removal of what a test created.
    func remove(_ references: [String]) async {
        guard !references.isEmpty else { return }
        _ = try? await run(["rmi", "-f"] + references)
    }
}
