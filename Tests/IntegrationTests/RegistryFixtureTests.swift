import Foundation
import Testing

/// Proves the registry fixtures themselves with independent tools (skopeo, curl), so registry-client tests
/// can trust them.
@Suite("registry fixtures", .enabled(if: RegistryFixture.shouldRun, "needs docker-registry, htpasswd, openssl, python3-cryptography, skopeo, umoci"))
struct RegistryFixtureTests {
    /// A small OCI layout (`layout:1`, one layer holding one file) and an empty auth file for skopeo.
    struct Workspace {
        let directory: URL
        var layout: String { directory.appendingPathComponent("layout").path }
        var authFile: String { directory.appendingPathComponent("auth.json").path }

        static func make() async throws -> Workspace {
            try RegistryFixture.requireTools()
            let directory = try Files.tempDirectory("regfix")
            let w = Workspace(directory: directory)
            try Data("{}".utf8).write(to: URL(fileURLWithPath: w.authFile))
            let payload = directory.appendingPathComponent("hello.txt")
            // Random bytes, so the compressed layer stays large enough to cut or corrupt in the middle.
            var generator = SystemRandomNumberGenerator()
            try Data((0..<200_000).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: payload)
            let script = """
                set -e
                umoci init --layout "$1"
                umoci new --image "$1:1"
                umoci insert --image "$1:1" "$2" /hello.txt
                """
            let r = try await ProcessRunner.run("/bin/sh", ["-c", script, "sh", w.layout, payload.path])
            guard r.status == 0 else { throw FixtureError("umoci failed: \(r)") }
            return w
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }

        /// `skopeo copy` of the layout into `destination` (docker://…), with optional `--dest-creds`.
        func push(to destination: String, creds: String? = nil, extra: [String] = ["--dest-tls-verify=false"]) async throws -> CommandResult {
            var args = ["--insecure-policy", "copy", "--authfile", authFile] + extra
            if let creds { args += ["--dest-creds", creds] }
            args += ["oci:\(layout):1", destination]
            return try await ProcessRunner.run("/usr/bin/skopeo", args, environment: TestEnvironment.processEnvironment)
        }

        /// `skopeo inspect --raw` (the manifest) of `reference`, with optional `--creds`.
        func inspect(_ reference: String, creds: String? = nil, extra: [String] = ["--tls-verify=false"]) async throws -> CommandResult {
            var args = ["inspect", "--raw", "--authfile", authFile] + extra
            if let creds { args += ["--creds", creds] }
            args.append(reference)
            return try await ProcessRunner.run("/usr/bin/skopeo", args, environment: TestEnvironment.processEnvironment)
        }
    }

    static let configurations: [RegistryFixture.Auth] = [
        .open, .basic(user: "alice", password: "wonder land"), .token(user: "bob", password: "b0b-secret"),
    ]

    @Test("skopeo pushes and pulls with the right credentials, and is refused without them", arguments: configurations)
    func pushAndPull(auth: RegistryFixture.Auth) async throws {
        let w = try await Workspace.make()
        defer { w.remove() }
        try await RegistryFixture.with(auth) { registry in
            let image = "docker://\(registry.host)/fixture/smoke:1"

            if let login = auth.login {
                let anonymous = try await w.push(to: image)
                #expect(anonymous.status != 0, "anonymous push must be refused: \(anonymous)")
                let wrong = try await w.push(to: image, creds: "\(login.user):not-the-password")
                #expect(wrong.status != 0, "\(wrong)")
                let pushed = try await w.push(to: image, creds: "\(login.user):\(login.password)")
                #expect(pushed.status == 0, "\(pushed)\n\(registry.registryLog().suffix(2000))")
                let pulled = try await w.inspect(image, creds: "\(login.user):\(login.password)")
                #expect(pulled.status == 0 && pulled.stdout.contains("\"layers\""), "\(pulled)")
            } else {
                let pushed = try await w.push(to: image)
                #expect(pushed.status == 0, "\(pushed)")
            }

            let anonymousPull = try await w.inspect(image)
            switch auth {
            case .open, .token(_, _, true):
                #expect(anonymousPull.status == 0, "\(anonymousPull)")
            case .basic, .token:
                #expect(anonymousPull.status != 0, "\(anonymousPull)")
            }
            if case .token = auth, let log = registry.tokenLog {
                let requests = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                #expect(requests.contains("\"user\": \"bob\""), "\(requests)")
            }
        }
    }

    @Test("token service: password and refresh-token grants, offline tokens, anonymous pull can be switched off")
    func tokenGrants() async throws {
        try RegistryFixture.requireTools()
        try await RegistryFixture.with(.token(user: "bob", password: "pw", anonymousPull: false)) { registry in
            let realm = try #require(registry.tokenRealm)
            let service = "service=strata-test-registry"
            func curl(_ args: [String]) async throws -> CommandResult {
                try await ProcessRunner.run("/usr/bin/curl", ["-s", "-w", "\n%{http_code}"] + args)
            }
            func json(_ r: CommandResult) throws -> [String: Any] {
                let body = r.stdout.split(separator: "\n").dropLast().joined(separator: "\n")
                return try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] ?? [:]
            }

            let offline = try await curl(["-u", "bob:pw", "\(realm)?\(service)&scope=repository:a/b:pull,push&offline_token=true"])
            #expect(offline.stdout.hasSuffix("\n200"), "\(offline)")
            let fields = try json(offline)
            #expect(Set(fields.keys).isSuperset(of: ["token", "access_token", "expires_in", "issued_at", "refresh_token"]))
            #expect(try await curl(["-u", "bob:wrong", "\(realm)?\(service)"]).stdout.hasSuffix("\n401"))

            let password = try await curl([
                "-d", "grant_type=password", "-d", "username=bob", "-d", "password=pw",
                "-d", service, "-d", "client_id=strata", "-d", "scope=repository:a/b:pull",
                realm,
            ])
            let refresh = try #require(try json(password)["refresh_token"] as? String, "\(password)")
            let refreshed = try await curl([
                "-d", "grant_type=refresh_token", "-d", "refresh_token=\(refresh)",
                "-d", service, "-d", "client_id=strata", "-d", "scope=repository:a/b:pull", realm,
            ])
            let token = try #require(try json(refreshed)["access_token"] as? String, "\(refreshed)")
            #expect(try await curl(["-d", "grant_type=refresh_token", "-d", "refresh_token=bogus", realm]).stdout.hasSuffix("\n401"))

            // The registry accepts the refreshed token (an empty repository: 404 NAME_UNKNOWN, not 401).
            let tags = try await curl(["-H", "Authorization: Bearer \(token)", "\(registry.url)/v2/a/b/tags/list"])
            #expect(tags.stdout.hasSuffix("\n404") && tags.stdout.contains("NAME_UNKNOWN"), "\(tags)")
            // Anonymous tokens carry no access when anonymous pull is off.
            let anonymous = try await curl(["\(realm)?\(service)&scope=repository:a/b:pull"])
            let anonymousToken = try #require(try json(anonymous)["token"] as? String)
            let denied = try await curl(["-H", "Authorization: Bearer \(anonymousToken)", "\(registry.url)/v2/a/b/tags/list"])
            #expect(denied.stdout.hasSuffix("\n401"), "\(denied)")
        }
    }

    @Test("TLS: trusted through a certs.d directory, refused without it")
    func tlsWithCertsDirectory() async throws {
        let w = try await Workspace.make()
        defer { w.remove() }
        try await RegistryFixture.with(.basic(user: "u", password: "p"), tls: true) { registry in
            #expect(registry.url.hasPrefix("https://"))
            let certs = try registry.writeCertsDirectory(root: w.directory.appendingPathComponent("certs.d"))
            let image = "docker://\(registry.host)/fixture/tls:1"
            let untrusted = try await w.push(to: image, creds: "u:p", extra: [])
            #expect(untrusted.status != 0 && untrusted.stderr.contains("certificate"), "\(untrusted)")
            let trusted = try await w.push(to: image, creds: "u:p", extra: ["--dest-cert-dir", certs.path])
            #expect(trusted.status == 0, "\(trusted)")
            let curl = try await ProcessRunner.run(
                "/usr/bin/curl",
                [
                    "-s", "-o", "/dev/null", "-w", "%{http_code}",
                    "--cacert", try #require(registry.caPath),
                    "https://localhost:\(registry.host.split(separator: ":")[1])/v2/",
                ])
            #expect(curl.stdout == "401", "\(curl)")  // the certificate also names localhost
        }
    }

    @Test("fault proxy: 500 then 200, 429 with Retry-After once, a corrupted byte, a dropped download")
    func faultProxyModes() async throws {
        let w = try await Workspace.make()
        defer { w.remove() }
        try await RegistryFixture.with(.open) { registry in
            try await FaultProxyFixture.with(in: registry) { proxy in
                // Uploads stream through the proxy (chunked PATCH bodies, Location headers rewritten).
                let pushed = try await w.push(to: "docker://\(proxy.host)/fixture/proxied:1")
                #expect(pushed.status == 0, "\(pushed)")
                let manifest = try await w.inspect("docker://\(proxy.host)/fixture/proxied:1")
                #expect(manifest.status == 0, "\(manifest)")
                let layers = (try JSONSerialization.jsonObject(with: Data(manifest.stdout.utf8)) as? [String: Any])?["layers"]
                let digest = try #require(((layers as? [[String: Any]])?.first?["digest"]) as? String)
                let blobURL = "\(proxy.url)/v2/fixture/proxied/blobs/\(digest)"
                func status(_ url: String, _ extra: [String] = []) async throws -> String {
                    try await ProcessRunner.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}"] + extra + [url]).stdout
                }
                func sha256(of url: String) async throws -> (CommandResult, String) {
                    let file = w.directory.appendingPathComponent("blob-\(UUID().uuidString.prefix(6))").path
                    let r = try await ProcessRunner.run("/usr/bin/curl", ["-s", "-o", file, url])
                    return (r, try await Files.sha256(file))
                }

                try proxy.setModes(["fail=2:/tags/list"])
                #expect(try await status("\(proxy.url)/v2/fixture/proxied/tags/list") == "500")
                #expect(try await status("\(proxy.url)/v2/") == "200")  // other paths are untouched
                #expect(try await status("\(proxy.url)/v2/fixture/proxied/tags/list") == "500")
                #expect(try await status("\(proxy.url)/v2/fixture/proxied/tags/list") == "200")

                try proxy.setModes(["throttle-once"])
                let throttled = try await ProcessRunner.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-D", "-", "\(proxy.url)/v2/"])
                #expect(throttled.stdout.hasPrefix("HTTP/1.1 429") && throttled.stdout.contains("Retry-After: 1"), "\(throttled)")
                #expect(try await status("\(proxy.url)/v2/") == "200")

                try proxy.setModes(["corrupt-blob=100"])
                let (_, corrupted) = try await sha256(of: blobURL)
                #expect(corrupted != digest)
                try proxy.setModes([])
                let (_, intact) = try await sha256(of: blobURL)
                #expect(intact == digest)

                try proxy.setModes(["drop-blob-after=1000"])
                let (dropped, _) = try await sha256(of: blobURL)
                #expect(dropped.status == 18, "curl: partial file expected: \(dropped)")
                let (again, whole) = try await sha256(of: blobURL)
                #expect(again.status == 0 && whole == digest, "only the first download is cut")

                try proxy.setModes(["drop-blob-after=10:always"])
                #expect(try await sha256(of: blobURL).0.status == 18)
                #expect(try await sha256(of: blobURL).0.status == 18)

                let faults = proxy.requests().compactMap(\.fault)
                #expect(faults == ["fail", "fail", "throttle", "corrupt", "drop", "drop", "drop"], "\(faults)")
            }
        }
    }
}
