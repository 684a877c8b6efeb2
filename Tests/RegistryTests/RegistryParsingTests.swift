import Foundation
import NIOHTTP1
import OCI
@testable import Registry
import Testing

@Suite struct AuthChallengeTests {
    @Test func bearerWithQuotedParameters() {
        let c = AuthChallenge.parse(#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#)
        #expect(c.count == 1)
        #expect(c[0].scheme == "bearer")
        #expect(c[0].realm == "https://auth.example/token")
        #expect(c[0].service == "registry.example")
        #expect(c[0].scopes == ["repository:a/b:pull,push"])
    }

    @Test func severalChallengesAndEscapes() {
        let c = AuthChallenge.parse(#"Basic realm="say \"hi\", ok", Bearer realm=https://t/token , error="invalid_token""#)
        #expect(c.map(\.scheme) == ["basic", "bearer"])
        #expect(c[0].realm == #"say "hi", ok"#)
        #expect(c[1].realm == "https://t/token")
        #expect(c[1].parameters["error"] == "invalid_token")
    }

    @Test func severalHeaderLinesAndCase() {
        let c = AuthChallenge.parse(["BASIC Realm=\"r\"", "bearer realm=\"x\",Service=\"s\""])
        #expect(c.map(\.scheme) == ["basic", "bearer"])
        #expect(c[0].realm == "r")
        #expect(c[1].service == "s")
    }

    @Test func scopeListSplitsOnSpaces() {
        let c = AuthChallenge.parse(#"Bearer realm="r",scope="repository:a:pull repository:b:pull""#)
        #expect(c[0].scopes == ["repository:a:pull", "repository:b:pull"])
    }
}

@Suite struct ProxyTests {
    func settings(_ noProxy: String, https: String? = "http://proxy:3128") -> ProxySettings {
        var env = ["NO_PROXY": noProxy]
        if let https { env["HTTPS_PROXY"] = https }
        return ProxySettings(environment: env)
    }

    @Test func noProxyMatching() {
        let s = settings("example.com, .internal, *.corp, 10.0.0.0/8, 192.168.1.5, registry.local:5000")
        #expect(s.bypassesProxy(host: "example.com", port: 443))
        #expect(s.bypassesProxy(host: "sub.example.com", port: 443))
        #expect(!s.bypassesProxy(host: "badexample.com", port: 443))
        #expect(!s.bypassesProxy(host: "internal", port: 443))
        #expect(s.bypassesProxy(host: "a.internal", port: 443))
        #expect(s.bypassesProxy(host: "x.corp", port: 443))
        #expect(s.bypassesProxy(host: "10.1.2.3", port: 443))
        #expect(!s.bypassesProxy(host: "11.1.2.3", port: 443))
        #expect(s.bypassesProxy(host: "192.168.1.5", port: 80))
        #expect(s.bypassesProxy(host: "registry.local", port: 5000))
        #expect(!s.bypassesProxy(host: "registry.local", port: 443))
        #expect(!s.bypassesProxy(host: "ghcr.example", port: 443))
    }

    @Test func loopbackAndStarAlwaysDirect() {
        #expect(settings("").bypassesProxy(host: "localhost", port: 5000))
        #expect(settings("").bypassesProxy(host: "127.0.0.1", port: 5000))
        #expect(settings("").bypassesProxy(host: "::1", port: 5000))
        #expect(settings("*").bypassesProxy(host: "anything.example", port: 443))
    }

    @Test func proxyChoiceBySchemeAndCase() {
        let s = ProxySettings(environment: ["https_proxy": "http://lower:1", "HTTP_PROXY": "http://upper:2", "no_proxy": "skip.example"])
        #expect(s.proxyURL(scheme: "https", host: "r.example", port: 443) == "http://lower:1")
        #expect(s.proxyURL(scheme: "http", host: "r.example", port: 80) == "http://upper:2")
        #expect(s.proxyURL(scheme: "https", host: "skip.example", port: 443) == nil)
        #expect(ProxySettings(environment: ["HTTPS_PROXY": "http://A:1", "https_proxy": "http://b:2"]).httpsProxy == "http://A:1")
    }

    @Test func proxyURLParsing() {
        let p = ProxySettings.ahcProxy("http://user:p%40ss@proxy.example:3128/")
        #expect(p?.host == "proxy.example")
        #expect(p?.port == 3128)
        #expect(p?.authorization != nil)
        #expect(ProxySettings.ahcProxy("proxy.example")?.port == 80)
    }
}

@Suite struct TransportSecurityTests {
    @Test func plainHTTPOnlyForLoopbackAndInsecureRegistries() {
        let s = TransportSecurity(insecureRegistries: ["myreg.example:5000", "other.example", "10.5.0.0/16"], certsDirectory: "/nonexistent")
        #expect(s.allowsInsecure("localhost"))
        #expect(s.allowsInsecure("localhost:5000"))
        #expect(s.allowsInsecure("127.0.0.1:41234"))
        #expect(s.allowsInsecure("[::1]:5000"))
        #expect(s.allowsInsecure("myreg.example:5000"))
        #expect(!s.allowsInsecure("myreg.example:5001"))
        #expect(!s.allowsInsecure("myreg.example"))
        #expect(s.allowsInsecure("other.example:443"))
        #expect(s.allowsInsecure("10.5.3.4:5000"))
        #expect(!s.allowsInsecure("10.6.3.4:5000"))
        #expect(!s.allowsInsecure("registry-1.docker.io"))
        #expect(!s.allowsInsecure("localhost.example.com"))
    }

    @Test func certsDirectoryDiscovery() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("certs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let dir = root.appendingPathComponent("reg.example:5000")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for name in ["ca.crt", "client.cert", "client.key", "README"] {
            try Data().write(to: dir.appendingPathComponent(name))
        }
        let s = TransportSecurity(insecureRegistries: [], certsDirectory: root.path)
        let files = try s.certificateFiles(for: "reg.example:5000")
        #expect(files.certificateAuthorities == [dir.appendingPathComponent("ca.crt").path])
        #expect(files.clientPairs.map(\.certificate) == [dir.appendingPathComponent("client.cert").path])
        #expect(files.clientPairs.map(\.key) == [dir.appendingPathComponent("client.key").path])
        #expect(try s.certificateFiles(for: "other.example") == TransportSecurity.CertificateFiles())

        try FileManager.default.removeItem(at: dir.appendingPathComponent("client.key"))
        #expect(throws: RegistryError.self) { try s.certificateFiles(for: "reg.example:5000") }
        do {
            _ = try s.certificateFiles(for: "reg.example:5000")
        } catch {
            #expect("\(error)" == "missing key client.key for client certificate client.cert. CA certificates must use the extension .crt")
        }
    }
}

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(100), maxDelay: .seconds(2))

    @Test func backoffDoublesWithJitterAndCap() {
        #expect(policy.delay(afterAttempt: 1, random: 1) == .milliseconds(100))
        #expect(policy.delay(afterAttempt: 2, random: 1) == .milliseconds(200))
        #expect(policy.delay(afterAttempt: 3, random: 0.5) == .milliseconds(200))
        #expect(policy.delay(afterAttempt: 10, random: 1) == .seconds(2))
        for attempt in 1...8 {
            let d = policy.delay(afterAttempt: attempt)
            #expect(d >= .milliseconds(50) && d <= .seconds(2))
        }
    }

    @Test func retryAfterHonouredAndCapped() {
        #expect(RetryPolicy.retryAfter("3") == .seconds(3))
        #expect(RetryPolicy.retryAfter(" 0 ") == .seconds(0))
        #expect(RetryPolicy.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT") == nil)
        #expect(RetryPolicy.retryAfter(nil) == nil)
        #expect(policy.delay(afterAttempt: 1, retryAfter: .seconds(1)) == .seconds(1))
        #expect(policy.delay(afterAttempt: 1, retryAfter: .seconds(60)) == .seconds(2))
    }

    @Test func retryableStatuses() {
        #expect(RetryPolicy.isRetryable(status: 500))
        #expect(RetryPolicy.isRetryable(status: 503))
        #expect(RetryPolicy.isRetryable(status: 429))
        #expect(!RetryPolicy.isRetryable(status: 501))
        #expect(!RetryPolicy.isRetryable(status: 404))
        #expect(!RetryPolicy.isRetryable(status: 401))
    }
}

@Suite struct LinkAndURLTests {
    @Test func nextLink() {
        #expect(LinkHeader.next([#"</v2/a/tags/list?last=b&n=2>; rel="next""#]) == "/v2/a/tags/list?last=b&n=2")
        #expect(LinkHeader.next([#"<https://x/p?a=1,2>; rel="prev", <https://x/q>; rel=next"#]) == "https://x/q")
        #expect(LinkHeader.next([#"</v2/a/tags/list?n=2>; rel="prev""#]) == nil)
        #expect(LinkHeader.next([]) == nil)
    }

    @Test func resolveRelative() {
        #expect(HTTPTransport.resolve("/v2/a/blobs/uploads/u?_state=x", against: "http://127.0.0.1:5000/v2/a/blobs/uploads/")
            == "http://127.0.0.1:5000/v2/a/blobs/uploads/u?_state=x")
        #expect(HTTPTransport.resolve("https://s3.example/b", against: "https://r/v2/") == "https://s3.example/b")
        #expect(HTTPTransport.hostPort(of: "https://user@r.example:5000/v2/?x") == "r.example:5000")
    }

    @Test func dockerHubEndpoint() throws {
        let repo = RegistryRepository(try ImageReference("busybox"))
        #expect(repo.registry == "docker.io")
        #expect(repo.path == "library/busybox")
        #expect(repo.endpointHost == "registry-1.docker.io")
        #expect(repo.familiar(reference: "latest") == "busybox:latest")
        #expect(RegistryRepository(registry: "localhost:5000", path: "a/b").endpointHost == "localhost:5000")
    }
}

@Suite struct ErrorMappingTests {
    func map(_ status: Int, _ body: String, challenge: String? = nil) -> RegistryError {
        ErrorResponse.map(status: status, reason: "X", body: Data(body.utf8), challenges: challenge.map { AuthChallenge.parse($0) } ?? [])
    }

    @Test func registryErrorBodies() {
        let unknown = map(404, #"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}"#)
        #expect("\(unknown)" == "manifest unknown: manifest unknown")
        let repo = RegistryRepository(registry: "docker.io", path: "library/busybox")
        #expect("\(RegistryClient.pullError(unknown, repo: repo, reference: "nosuch"))"
            == "manifest for busybox:nosuch not found: manifest unknown: manifest unknown")
        let name = map(404, #"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}"#)
        #expect("\(RegistryClient.pullError(name, repo: RegistryRepository(registry: "localhost:5000", path: "x"), reference: "t"))"
            == "repository localhost:5000/x not found: name unknown: repository name not known to registry")
        #expect("\(map(400, #"{"errors":[{"code":"WEIRD_THING","message":"odd"}]}"#))" == "unknown: odd")
        #expect("\(map(400, #"{"errors":[{"code":"BLOB_UPLOAD_INVALID","message":""}]}"#))" == "blob upload invalid: blob upload invalid")
    }

    @Test func unauthorizedWording() {
        #expect("\(map(401, ""))" == "unauthorized: authentication required")
        #expect("\(map(401, #"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#))" == "unauthorized: authentication required")
        #expect("\(map(401, #"{"details":"incorrect username or password"}"#))" == "unauthorized: incorrect username or password")
        #expect("\(map(403, "", challenge: #"Bearer realm="r",error="insufficient_scope""#))" == "denied: requested access to the resource is denied")
    }

    @Test func nonJSONAndServerErrors() {
        #expect("\(map(404, "404 page not found\n"))"
            == #"error parsing HTTP 404 response body: invalid character in JSON: "404 page not found\n""#)
        #expect("\(ErrorResponse.map(status: 503, reason: "Service Unavailable", body: Data(), challenges: []))"
            == "received unexpected HTTP status: 503 Service Unavailable")
    }

    @Test func schema1Refused() throws {
        #expect(throws: RegistryError.self) {
            try RegistryClient.manifestMediaType(contentType: MediaType.dockerManifestSchema1Signed, body: Data("{}".utf8))
        }
        #expect(throws: RegistryError.self) {
            try RegistryClient.manifestMediaType(contentType: "application/json", body: Data(#"{"schemaVersion":1}"#.utf8))
        }
        #expect(try RegistryClient.manifestMediaType(contentType: "application/json",
                                                     body: Data(#"{"schemaVersion":2,"mediaType":"\#(MediaType.dockerManifest)"}"#.utf8))
            == MediaType.dockerManifest)
    }
}

@Suite struct RedactionTests {
    @Test func headersAndURLs() {
        let h: HTTPHeaders = ["Authorization": "Bearer s3cr3t", "Accept": "x", "proxy-authorization": "Basic Zm9vOmJhcg=="]
        let text = Redaction.headers(h)
        #expect(!text.contains("s3cr3t") && !text.contains("Zm9v"))
        #expect(text.contains("Authorization: Bearer REDACTED"))
        #expect(text.contains("Accept: x"))
        let url = Redaction.url("https://s3.example/blob?X-Amz-Signature=abc&X-Amz-Credential=def&part=1&access_token=zzz")
        #expect(url == "https://s3.example/blob?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&part=1&access_token=REDACTED")
        #expect(!"\(RegistryError.transport(method: "Get", url: "https://r/x?token=abc", reason: "EOF"))".contains("abc"))
    }
}
