import Foundation
import OCI
@testable import Registry
import Testing

/// Credentials (Basic, refresh tokens, bearer tokens) never travel over plain HTTP to a host that is neither
/// loopback nor an insecure registry, whether it is the registry, its token realm or a redirect target, and
/// never follow a redirect to another host.
@Suite struct CredentialRefusalRuleTests {
    let security = TransportSecurity(insecureRegistries: ["insecure-host:5000", "any-port-host", "10.5.0.0/16"],
                                     certsDirectory: "/nonexistent")

    @Test func plainHTTPOnlyToLoopbackAndInsecureRegistries() {
        for url in ["http://127.0.0.1:5000/token", "http://127.8.9.10/token", "http://localhost/token",
                    "http://LOCALHOST:8080/t", "http://[::1]:5000/token", "http://insecure-host:5000/token",
                    "http://any-port-host:1234/token", "http://10.5.3.4/token",
                    "https://other-host/token", "HTTPS://other-host/token"] {
            #expect(security.credentialRefusal(to: url, destination: .tokenRealm) == nil, "\(url)")
        }
        for url in ["http://other-host/token", "http://other-host:5000/token", "http://insecure-host:5001/token",
                    "http://insecure-host/token", "http://10.6.0.1/token", "http://localhost.other-host/token",
                    "http://127.0.0.1.other-host/token", "http://user:pw@other-host/token", "ftp://other-host/token",
                    "/token"] {
            #expect(security.credentialRefusal(to: url, destination: .tokenRealm) != nil, "\(url)")
        }
    }

    /// The same rule that lets a registry be spoken to over plain HTTP, not a second copy of it.
    @Test func agreesWithThePlainHTTPRegistryRule() {
        for host in ["127.0.0.1:5000", "localhost", "[::1]:80", "insecure-host:5000", "insecure-host:5001",
                     "any-port-host:9", "10.5.0.1:443", "10.6.0.1", "other-host"] {
            #expect(security.allowsCredentials(to: "http://\(host)/v2/") == security.allowsInsecure(host), "\(host)")
        }
    }

    @Test func refusalIsOneLineSayingWhyWithoutSecrets() {
        let realm = security.credentialRefusal(to: "http://other-host/token", destination: .tokenRealm)
        #expect(realm.map { "\(RegistryError.credentialsRefused($0))" }
            == "refusing to send credentials to http://other-host/token: token realm uses plain HTTP and other-host is not an insecure registry")
        let anonymous = security.credentialRefusal(to: "http://other-host:8080/token", destination: .tokenRealm, anonymous: true)
        #expect(anonymous?.description
            == "refusing to request a token from http://other-host:8080/token: token realm uses plain HTTP and other-host:8080 is not an insecure registry")
        let leaky = security.credentialRefusal(to: "http://alice:hunter2@other-host/x?token=abc123&n=1", destination: .redirect)
        let text = leaky?.description ?? ""
        #expect(!text.contains("hunter2") && !text.contains("alice") && !text.contains("abc123") && !text.contains("\n"))
        #expect(text.hasPrefix("refusing to send credentials to http://REDACTED@other-host/x?token=REDACTED&n=1: redirect target"))
        let other = CredentialRefusal(url: "https://cdn-host/t", destination: .redirect, reason: .otherHost(origin: "127.0.0.1:5000"))
        #expect(other.description == "refusing to send credentials to https://cdn-host/t: redirect target is on another host than 127.0.0.1:5000")
    }
}

/// End to end against a loopback registry double whose token realm and redirect targets are on hosts that are
/// not loopback by name (`realm.test`, `cdn.test`). They are reached through the double itself acting as the
/// client's HTTP proxy (CONNECT), so no name needs to resolve, and every request that would reach them is recorded.
@Suite(.serialized) struct PlainHTTPCredentialsTests {
    static let login = RegistryCredentials(username: "alice", secret: "s3cret-password")

    /// Runs `body` against a fresh double and client; the client is shut down and the double stopped whatever
    /// happens (an HTTPClient dropped without shutdown traps).
    func withDouble(_ challenge: String, credentials: any CredentialSource = AnonymousCredentials(),
                    insecure: (Int) -> [String] = { _ in [] },
                    _ body: (RegistryClient, RealmDouble) async throws -> Void) async throws {
        let server = try RealmDouble(challenge: challenge)
        defer { server.stop() }
        var options = server.options()
        options.insecureRegistries = insecure(server.port)
        let client = RegistryClient(options: options, credentials: credentials)
        do { try await body(client, server) } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    @Test func credentialsAreNotSentToAPlainHTTPRealmOnAnotherHost() async throws {
        try await withDouble("remote-bearer", credentials: FixedCredentials(Self.login)) { client, server in
            let expected = "refusing to send credentials to http://realm.test:\(server.port)/token: token realm uses plain HTTP and realm.test:\(server.port) is not an insecure registry"
            do {
                _ = try await client.manifest(RegistryRepository(registry: server.host, path: "t"), reference: "latest")
                Issue.record("the manifest was fetched through a refused realm")
            } catch {
                #expect("\(error)" == expected)
                if case RegistryError.credentialsRefused(let refusal) = error {
                    #expect(refusal.destination == .tokenRealm && refusal.reason == .plainHTTP && !refusal.anonymous)
                } else {
                    Issue.record("not a credentialsRefused error: \(error)")
                }
            }
            do {
                _ = try await client.checkLogin(registry: server.host, credentials: Self.login)
                Issue.record("a login check went through a refused realm")
            } catch {
                #expect("\(error)" == expected)
                #expect(!"\(error)".contains(Self.login.secret))
            }
            let seen = try await server.requests()
            #expect(seen.contains { $0.host == server.host }, "the registry was asked")
            #expect(!seen.contains { $0.authorized }, "an Authorization header went out: \(seen)")
            #expect(!seen.contains { $0.host.hasPrefix("realm.test") }, "the realm was contacted: \(seen)")
        }
    }

    @Test func refreshTokenIsNotSentToAPlainHTTPRealmOnAnotherHost() async throws {
        try await withDouble("remote-bearer") { client, server in
            let login = RegistryCredentials(username: "", secret: "", identityToken: "refresh-secret")
            do {
                _ = try await client.checkLogin(registry: server.host, credentials: login)
                Issue.record("a refresh token went to a refused realm")
            } catch {
                #expect("\(error)".hasPrefix("refusing to send credentials to http://realm.test:\(server.port)/token: "))
            }
            let seen = try await server.requests()
            #expect(!seen.contains { $0.host.hasPrefix("realm.test") || $0.authorized }, "\(seen)")
        }
    }

    /// Docker would fetch an anonymous token here; Strata refuses (see TokenFetcher.fetch).
    @Test func anonymousTokenIsNotRequestedFromAPlainHTTPRealmOnAnotherHost() async throws {
        try await withDouble("remote-bearer") { client, server in
            do {
                _ = try await client.manifest(RegistryRepository(registry: server.host, path: "t"), reference: "latest")
                Issue.record("an anonymous token came from a refused realm")
            } catch {
                #expect("\(error)" == "refusing to request a token from http://realm.test:\(server.port)/token: token realm uses plain HTTP and realm.test:\(server.port) is not an insecure registry")
            }
            let seen = try await server.requests()
            #expect(!seen.contains { $0.host.hasPrefix("realm.test") }, "\(seen)")
        }
    }

    /// The control for the tests above: listed as an insecure registry, the same realm gets the login, so the
    /// double does see Authorization headers that reach it.
    @Test func insecureRegistryRealmGetsTheCredentials() async throws {
        try await withDouble("remote-bearer", insecure: { ["realm.test:\($0)"] }) { client, server in
            _ = try await client.checkLogin(registry: server.host, credentials: Self.login)
            let seen = try await server.requests()
            #expect(seen.contains { $0.host == "realm.test:\(server.port)" && $0.path.hasPrefix("/token") && $0.authorized })
            #expect(seen.contains { $0.host == server.host && $0.path == "/v2/" && $0.authorized })
        }
    }

    @Test func loopbackRealmStillWorksAnonymously() async throws {
        try await withDouble("local-bearer") { client, server in
            let size = try await client.blobSize(RegistryRepository(registry: server.host, path: "t"), digest: server.blobDigest)
            #expect(size == Int64(RealmDouble.blob.count))
            let seen = try await server.requests()
            #expect(seen.contains { $0.host == server.host && $0.path.hasPrefix("/token") && !$0.authorized }, "\(seen)")
        }
    }

    @Test func blobRedirectToAnotherHostDropsAuthorization() async throws {
        try await withDouble("basic", credentials: FixedCredentials(Self.login)) { client, server in
            let stream = try await client.openBlob(RegistryRepository(registry: server.host, path: "t"),
                                                   digest: server.blobDigest, size: Int64(RealmDouble.blob.count))
            #expect(try await readAll(stream) == Array(RealmDouble.blob.utf8))
            let seen = try await server.requests()
            #expect(seen.contains { $0.host == server.host && $0.path.hasPrefix("/v2/t/blobs/") && $0.authorized },
                    "the registry got the login")
            let cdn = seen.filter { $0.host.hasPrefix("cdn.test") }
            #expect(!cdn.isEmpty && !cdn.contains { $0.authorized }, "\(cdn)")
        }
    }

    /// Not a redirect: a `Link` page on another, plain-HTTP host that asks for the login does not get it.
    @Test func credentialsAreNotSentToAPlainHTTPLinkOnAnotherHost() async throws {
        try await withDouble("basic", credentials: FixedCredentials(Self.login)) { client, server in
            do {
                _ = try await client.tags(RegistryRepository(registry: server.host, path: "t"))
                Issue.record("the second tag page got the login over plain HTTP")
            } catch {
                #expect("\(error)" == "refusing to send credentials to http://other.test:\(server.port)/v2/t/tags/list?last=a: registry uses plain HTTP and other.test:\(server.port) is not an insecure registry")
            }
            let seen = try await server.requests()
            #expect(seen.contains { $0.host == server.host && $0.path == "/v2/t/tags/list" && $0.authorized })
            let other = seen.filter { $0.host.hasPrefix("other.test") && $0.method != "CONNECT" }
            #expect(!other.isEmpty && !other.contains { $0.authorized }, "\(seen)")
        }
    }

    @Test func refreshTokenInABodyDoesNotFollowARedirectToAnotherHost() async throws {
        try await withDouble("local-bearer") { client, server in
            let login = RegistryCredentials(username: "alice", secret: "", identityToken: "refresh-secret")
            do {
                _ = try await client.checkLogin(registry: server.host, credentials: login)
                Issue.record("the refresh-token POST followed a redirect to another host")
            } catch {
                #expect("\(error)" == "refusing to send credentials to http://realm.test:\(server.port)/token: redirect target is on another host than \(server.host)")
            }
            let seen = try await server.requests()
            #expect(seen.contains { $0.host == server.host && $0.method == "POST" && $0.path == "/token" })
            #expect(!seen.contains { $0.host.hasPrefix("realm.test") }, "\(seen)")
        }
    }
}

struct FixedCredentials: CredentialSource {
    let login: RegistryCredentials
    init(_ login: RegistryCredentials) { self.login = login }
    func credentials(for registry: String) throws -> RegistryCredentials? { login }
}

/// A loopback registry double that is also the client's HTTP proxy. `challenge`: `remote-bearer` (realm
/// `http://realm.test:PORT/token`), `local-bearer` (realm on the double's loopback address; a refresh-token
/// POST there is redirected to realm.test) or `basic`. Authorized blob GETs are redirected to
/// `http://cdn.test:PORT/blob` (which has a Last-Modified), as is anything on `files.test:PORT`; the tag list links
/// its next page to `http://other.test:PORT` (Basic auth).
/// GET /requests lists every other request as `METHOD HOST PATH AUTH` lines.
final class RealmDouble: @unchecked Sendable {
    static let blob = "hello from the other host"
    let port: Int
    private let process: Process
    private let script: URL
    var host: String { "127.0.0.1:\(port)" }
    var blobDigest: Digest { Digest.sha256(Data(RealmDouble.blob.utf8)) }

    struct Seen: CustomStringConvertible {
        var method: String, host: String, path: String, authorized: Bool
        var description: String { "\(method) \(host)\(path)\(authorized ? " +auth" : "")" }
    }

    init(challenge: String) throws {
        script = FileManager.default.temporaryDirectory.appendingPathComponent("realm-\(UUID().uuidString).py")
        try realmDoubleScript.write(to: script, atomically: true, encoding: .utf8)
        port = try freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script.path, String(port), challenge, RealmDouble.blob]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        try waitForPort(port)
    }

    /// Client options with the double as HTTP proxy (loopback hosts still go direct).
    func options() -> RegistryClientOptions {
        var options = testOptions()
        options.proxyEnvironment = ["HTTP_PROXY": "http://\(host)"]
        options.maxAttempts = 1
        return options
    }

    func requests() async throws -> [Seen] {
        let client = RegistryClient(options: testOptions())
        let request = RegistryRequest(method: .GET, url: "http://\(host)/requests", registry: "x", authenticate: false)
        let text: String
        do {
            let response = try await client.transport.send(request)
            text = String(decoding: try await client.transport.collect(response, limit: 1 << 20, url: request.url), as: UTF8.self)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        return text.split(separator: "\n").map { line in
            let f = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            return Seen(method: f[0], host: f[1], path: f[2], authorized: f[3] == "1")
        }
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: script)
    }
}

let realmDoubleScript = #"""
import sys, threading, http.server
port, mode, blob = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode()
me = "127.0.0.1:%d" % port
seen, lock = [], threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def reply(self, code, headers=(), body=b""):
        self.send_response(code)
        for k, v in headers: self.send_header(k, v)
        if not any(k == "Content-Length" for k, _ in headers): self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD": self.wfile.write(body)
    def do_CONNECT(self):
        # The tunnel ends here: the requests that follow on this connection carry the target in Host.
        self.record(self.path)
        self.send_response(200)
        self.end_headers()
    def record(self, host):
        with lock:
            seen.append("%s %s %s %d" % (self.command, host, self.path.split("?")[0] if self.command != "CONNECT" else "-",
                                          1 if self.headers.get("Authorization") else 0))
    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n: self.rfile.read(n)
        host = self.headers.get("Host", "")
        path = self.path.split("?")[0]
        if host == me and path == "/requests":
            with lock: body = "\n".join(seen).encode()
            return self.reply(200, [("Content-Type", "text/plain")], body)
        self.record(host)
        token = [("Content-Type", "application/json")], b'{"token":"tok","expires_in":300}'
        if host.startswith("realm.test"):
            return self.reply(200, *token)
        if host.startswith("cdn.test"):
            return self.reply(200, [("Content-Type", "application/octet-stream"),
                                    ("Last-Modified", "Wed, 01 Jan 2020 03:04:05 GMT")], blob)
        if host.startswith("files.test"):
            return self.reply(302, [("Location", "http://cdn.test:%d/blob" % port)])
        if host.startswith("other.test"):
            if not self.headers.get("Authorization"):
                return self.reply(401, [("WWW-Authenticate", 'Basic realm="t"')])
            return self.reply(200, [("Content-Type", "application/json")], b'{"tags":["b"]}')
        if path == "/token":
            if self.command == "POST":
                return self.reply(307, [("Location", "http://realm.test:%d/token" % port)])
            return self.reply(200, *token)
        if not self.headers.get("Authorization"):
            if mode == "basic":
                challenge = 'Basic realm="t"'
            else:
                realm = "realm.test:%d" % port if mode == "remote-bearer" else me
                challenge = 'Bearer realm="http://%s/token",service="t"' % realm
            return self.reply(401, [("WWW-Authenticate", challenge), ("Content-Type", "application/json")],
                              b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}')
        if path == "/v2/":
            return self.reply(200, [("Content-Type", "application/json")], b"{}")
        if path == "/v2/t/tags/list":
            link = '<http://other.test:%d/v2/t/tags/list?last=a>; rel="next"' % port
            return self.reply(200, [("Content-Type", "application/json"), ("Link", link)], b'{"tags":["a"]}')
        if path.startswith("/v2/t/blobs/"):
            if self.command == "HEAD":
                return self.reply(200, [("Content-Length", str(len(blob)))])
            return self.reply(307, [("Location", "http://cdn.test:%d/blob" % port)])
        self.reply(404, [("Content-Type", "application/json")],
                   b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}')
    do_GET = do_HEAD = do_POST = do_PUT = handle_any
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
"""#
