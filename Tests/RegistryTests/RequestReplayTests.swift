import Foundation
import OCI
@testable import Registry
import Testing

/// Requests sent again (after a 401 challenge, on retry) get a fresh body each time, and a response body is
/// read once: an anonymous HEAD against a Basic-auth registry once crashed on a second read of its body, and
/// an upload resent after a 401 reused a half-consumed stream.
@Suite(.serialized) struct RequestReplayTests {
    @Test func anonymousBlobHeadAgainstBasicAuthFailsLikeDocker() async throws {
        let server = try AuthServer(mode: "basic")
        defer { server.stop() }
        let client = RegistryClient(options: testOptions())
        let repo = RegistryRepository(registry: server.host, path: "t")
        let digest = Digest.sha256(Data("x".utf8))
        do {
            _ = try await client.blobSize(repo, digest: digest)
            Issue.record("an anonymous HEAD against a Basic-auth registry succeeded")
        } catch {
            #expect("\(error)" == "Head \"http://\(server.host)/v2/t/blobs/\(digest)\": no basic auth credentials")
        }
        try await client.shutdown()
    }

    @Test func uploadRefusedAfterItsBodyWasSentIsSentAgainWhole() async throws {
        let server = try AuthServer(mode: "bearer")
        defer { server.stop() }
        let client = RegistryClient(options: testOptions())
        let repo = RegistryRepository(registry: server.host, path: "t")
        let blob = (0..<300_000).map { UInt8($0 % 253) }
        let digest = Digest.sha256(Data(blob))
        let outcome = try await client.uploadBlob(repo, digest: digest, size: Int64(blob.count), mountFrom: nil,
                                                  body: { DataUploadBody(blob) })
        #expect(outcome == .uploaded)
        // The first PUT was refused (token "expired") after its body arrived; the second carried all bytes.
        #expect(try await server.stats(client) == "puts=2 stored=\(digest)")
        try await client.shutdown()
    }

    @Test func refusedConnectionFailsAtOnceWithDockersWording() async throws {
        let port = try freePort()
        let client = RegistryClient(options: testOptions())
        let start = ContinuousClock.now
        do {
            _ = try await client.blobSize(RegistryRepository(registry: "127.0.0.1:\(port)", path: "t"), digest: Digest.sha256(Data()))
            Issue.record("nothing listens there, yet the HEAD succeeded")
        } catch {
            #expect("\(error)" == "Get \"http://127.0.0.1:\(port)/v2/\": dial tcp 127.0.0.1:\(port): connect: connection refused")
        }
        #expect(ContinuousClock.now - start < .seconds(5))
        try await client.shutdown()
    }

    @Test func retryBudgetIsSpentForGood() {
        let budget = RetryBudget(capacity: 2)
        #expect(budget.spend() && budget.spend())
        #expect(!budget.spend() && budget.isSpent)
        #expect(!budget.spend() && budget.isSpent, "nothing refills it")
    }
}

/// A loopback registry stand-in. `basic`: every /v2 request needs Basic credentials. `bearer`: anonymous tokens
/// from /token; the first blob PUT is read whole, then refused with `error="invalid_token"`; later PUTs are
/// stored when their body matches `digest`. GET /stats tells what happened.
final class AuthServer: @unchecked Sendable {
    let port: Int
    private let process: Process
    private let script: URL
    var host: String { "127.0.0.1:\(port)" }

    init(mode: String) throws {
        script = FileManager.default.temporaryDirectory.appendingPathComponent("auth-\(UUID().uuidString).py")
        try authServerScript.write(to: script, atomically: true, encoding: .utf8)
        port = try freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script.path, String(port), mode]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        try waitForPort(port)
    }

    func stats(_ client: RegistryClient) async throws -> String {
        let request = RegistryRequest(method: .GET, url: "http://\(host)/stats", registry: "x", authenticate: false)
        let response = try await client.transport.send(request)
        return String(decoding: try await client.transport.collect(response, limit: 1 << 16, url: request.url), as: UTF8.self)
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: script)
    }
}

let authServerScript = #"""
import sys, http.server, hashlib, urllib.parse
port, mode = int(sys.argv[1]), sys.argv[2]
state = {"puts": 0, "stored": ""}
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def reply(self, code, headers=(), body=b""):
        self.send_response(code)
        for k, v in headers: self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD": self.wfile.write(body)
    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""
    def challenge(self, error=None):
        if mode == "basic":
            h = 'Basic realm="t"'
        else:
            h = 'Bearer realm="http://127.0.0.1:%d/token",service="t"' % port
            if error: h += ',error="%s"' % error
        self.reply(401, [("WWW-Authenticate", h), ("Content-Type", "application/json")],
                   b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}')
    def handle_any(self):
        data = self.body()
        path = urllib.parse.urlparse(self.path)
        if path.path == "/stats":
            return self.reply(200, [], ("puts=%d stored=%s" % (state["puts"], state["stored"])).encode())
        if path.path == "/token":
            return self.reply(200, [("Content-Type", "application/json")], b'{"token":"tok","expires_in":300}')
        if not self.headers.get("Authorization"):
            return self.challenge()
        if mode == "basic":
            return self.reply(404)
        if self.command == "HEAD":
            return self.reply(404)
        if self.command == "POST":
            return self.reply(202, [("Location", "/v2/t/blobs/uploads/1")])
        if self.command == "PUT":
            state["puts"] += 1
            if state["puts"] == 1:
                return self.challenge("invalid_token")
            digest = urllib.parse.parse_qs(path.query)["digest"][0]
            if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
                return self.reply(400, [("Content-Type", "application/json")],
                                  b'{"errors":[{"code":"DIGEST_INVALID","message":"digest"}]}')
            state["stored"] = digest
            return self.reply(201, [("Docker-Content-Digest", digest)])
        self.reply(404)
    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = handle_any
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
"""#
