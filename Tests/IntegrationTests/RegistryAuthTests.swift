import Foundation
import Testing

/// Basic and token auth end to end: refused without login (with docker's words), `login` (checked against the
/// registry, saved in docker's config.json), push/pull with the saved login, `logout`, and no secret in
/// `--verbose` output. Where the docker 20.10 peer is up, its output against the same registry is the oracle.
@Suite("registry auth", .enabled(if: RegistryFixture.shouldRun, "needs docker-registry, htpasswd, python3-cryptography (see RegistryFixture)"))
struct RegistryAuthTests {
    static let configurations: [RegistryFixture.Auth] = [
        .basic(user: "u", password: "basic-S3cret-pw"),
        .token(user: "u", password: "token-S3cret-pw", anonymousPull: false),
    ]

    /// The docker 20.10 client with its own DOCKER_CONFIG (so its logins never mix with Strata's).
    struct DockerClient {
        let peer: DockerPeer
        let config: URL

        func run(_ args: [String], stdinFile: String? = nil) async throws -> CommandResult {
            var env = TestEnvironment.processEnvironment
            env["DOCKER_HOST"] = peer.host
            env["DOCKER_CONFIG"] = config.path
            return try await ProcessRunner.run(DockerPeer.client, args, environment: env, stdinFile: stdinFile)
        }
    }

    static func authEntry(_ configFile: String, _ host: String) throws -> [String: String]? {
        guard let data = FileManager.default.contents(atPath: configFile),
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return (object["auths"] as? [String: Any])?[host] as? [String: String]
    }

    @Test("refused without login, login/logout like docker, push and pull with the saved login, no secrets in --verbose",
          arguments: configurations)
    func loginPushPullLogout(auth: RegistryFixture.Auth) async throws {
        let w = try RegistryWorkspace()
        defer { w.remove() }
        let login = try #require(auth.login)
        let docker: DockerClient? = DockerPeer.shouldRun
            ? DockerClient(peer: try DockerPeer.require(), config: w.directory.appendingPathComponent("docker-client-config"))
            : nil
        if let docker { try FileManager.default.createDirectory(at: docker.config, withIntermediateDirectories: true) }

        try await RegistryFixture.with(auth) { registry in
            let host = registry.host
            let reference = "\(host)/auth/busybox:v1"
            let missing = "\(host)/auth/nothere:latest"
            let id = try await w.importBusybox(reference)

            // Without login.
            let anonymousPull = try await w.strata.run(["pull", missing])
            #expect(anonymousPull.status == 1, "\(anonymousPull)")
            let anonymousPush = try await w.strata.run(["push", reference])
            #expect(anonymousPush.status == 1, "\(anonymousPush)")
            if case .basic = auth {
                #expect(anonymousPull.stderr == "Error response from daemon: Head \"http://\(host)/v2/auth/nothere/manifests/latest\": no basic auth credentials\n")
            }
            if let docker {
                let dockerPull = try await docker.run(["pull", missing])
                #expect(anonymousPull.stderr == dockerPull.stderr, "docker said: \(dockerPull)")
                try await docker.peer.importImage(try Files.busyboxRootfs(), reference)
                let dockerPush = try await docker.run(["push", reference])
                await docker.peer.remove([reference])
                #expect(anonymousPush.stderr == dockerPush.stderr, "docker said: \(dockerPush)")
                #expect(anonymousPush.stdout == dockerPush.stdout, "docker said: \(dockerPush)")
            }

            // Wrong password.
            let wrongFile = try w.file("wrong-password", "not-\(login.password)\n")
            let wrong = try await w.strata.run(["login", "-u", login.user, "--password-stdin", host], stdinFile: wrongFile)
            #expect(wrong.status == 1, "\(wrong)")
            #expect(wrong.stdout.isEmpty)
            if case .basic = auth {
                #expect(wrong.stderr == "Error response from daemon: login attempt to http://\(host)/v2/ failed with status: 401 Unauthorized\n")
            } else {
                #expect(wrong.stderr.hasPrefix("Error response from daemon: ") && wrong.stderr.lines.count == 1, "\(wrong)")
            }
            if let docker {
                let dockerWrong = try await docker.run(["login", "-u", login.user, "--password-stdin", host], stdinFile: wrongFile)
                #expect(wrong.stderr == dockerWrong.stderr, "docker said: \(dockerWrong)")
            }
            let entryAfterWrong = FileManager.default.fileExists(atPath: w.configFile) ? try Self.authEntry(w.configFile, host) : nil
            #expect(entryAfterWrong == nil)

            // Right password.
            let passwordFile = try w.file("password", "\(login.password)\n")
            let ok = try await w.strata.run(["login", "-u", login.user, "--password-stdin", host], stdinFile: passwordFile)
            #expect(ok.status == 0, "\(ok)")
            #expect(ok.stdout == "Login Succeeded\n")
            #expect(ok.stderr == """
                WARNING! Your password will be stored unencrypted in \(w.configFile).
                Configure a credential helper to remove this warning. See
                https://docs.docker.com/engine/reference/commandline/login/#credentials-store


                """)
            let mode = try FileManager.default.attributesOfItem(atPath: w.configFile)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            let entry = try #require(try Self.authEntry(w.configFile, host), "no auths entry for \(host)")
            if case .basic = auth {
                #expect(entry == ["auth": Data("\(login.user):\(login.password)".utf8).base64EncodedString()])
            }
            if let docker {
                let dockerOK = try await docker.run(["login", "-u", login.user, "--password-stdin", host], stdinFile: passwordFile)
                #expect(dockerOK.stdout == ok.stdout, "docker said: \(dockerOK)")
                let dockerEntry = try Self.authEntry(docker.config.appendingPathComponent("config.json").path, host)
                #expect(Set(entry.keys) == Set(dockerEntry.map { Array($0.keys) } ?? []), "docker wrote \(String(describing: dockerEntry))")
                #expect(entry["auth"] == dockerEntry?["auth"])
            }

            // Push and pull with the saved login, logging every exchange.
            let push = try await w.strata.run(["push", "--verbose", reference])
            #expect(push.status == 0, "\(push)")
            #expect(try await w.strata.run(["rmi", reference]).status == 0)
            let pull = try await w.strata.run(["pull", "--verbose", reference])
            #expect(pull.status == 0, "\(pull)")
            #expect(try await w.idAndDigests(reference).hasPrefix(id))
            #expect(pull.stderr.contains("> ") && push.stderr.contains("> "), "--verbose logs exchanges")

            var secrets = [login.password, Data("\(login.user):\(login.password)".utf8).base64EncodedString()]
            secrets += entry.filter { $0.key == "identitytoken" }.map(\.value)
            for (name, result) in [("push", push), ("pull", pull), ("login", ok)] {
                let text = result.stdout + result.stderr
                for secret in secrets { #expect(!text.contains(secret), "\(name) --verbose shows a secret") }
                // Registry tokens are JWTs (base64url JSON header and claims).
                #expect(text.firstMatch(of: /eyJ[A-Za-z0-9_-]{10,}\.eyJ/) == nil, "\(name) --verbose shows a bearer token")
            }
            if case .token = auth, let log = registry.tokenLog {
                let requests = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                #expect(requests.contains("\"user\": \"\(login.user)\""), "token service saw the login: \(requests)")
            }

            // Logout.
            let logout = try await w.strata.run(["logout", host])
            #expect(logout.status == 0 && logout.stdout == "Removing login credentials for \(host)\n", "\(logout)")
            #expect(try Self.authEntry(w.configFile, host) == nil)
            let afterLogout = try await w.strata.run(["pull", missing])
            #expect(afterLogout.status == 1 && afterLogout.stderr == anonymousPull.stderr, "\(afterLogout)")
            if let docker { _ = try await docker.run(["logout", host]) }
            try await w.expectCheckIsGreen()
        }
    }

    @Test("a missing or failing credential helper is reported in its own words, then the pull goes on anonymously")
    func brokenCredentialHelper() async throws {
        let w = try RegistryWorkspace()
        defer { w.remove() }
        try await RegistryFixture.with(.basic(user: "u", password: "helper-S3cret-pw")) { registry in
            let host = registry.host
            let helperDirectory = w.directory.appendingPathComponent("helpers")
            try FileManager.default.createDirectory(at: helperDirectory, withIntermediateDirectories: true)
            let broken = helperDirectory.appendingPathComponent("docker-credential-broken").path
            try Data("#!/bin/sh\necho 'keyring locked: try again'\nexit 3\n".utf8).write(to: URL(fileURLWithPath: broken))
            chmod(broken, 0o755)
            let path = helperDirectory.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
            let cases: [(config: String, warning: String)] = [
                ("{\"credsStore\": \"absent\"}",
                 "WARNING: error getting credentials - err: exec: \"docker-credential-absent\": executable file not found in $PATH, out: ``"),
                ("{\"credHelpers\": {\"\(host)\": \"broken\"}}",
                 "WARNING: error getting credentials - err: exit status 3, out: `keyring locked: try again`"),
            ]
            for (config, warning) in cases {
                try Data(config.utf8).write(to: URL(fileURLWithPath: w.configFile))
                let pull = try await w.strata.run(["pull", "\(host)/auth/nothere:1"], environment: ["PATH": path])
                #expect(pull.status == 1, "\(pull)")
                #expect(pull.stderr.lines == [warning, "Error response from daemon: Head \"http://\(host)/v2/auth/nothere/manifests/1\": "
                                              + "no basic auth credentials"], "\(pull)")
            }
        }
    }
}
