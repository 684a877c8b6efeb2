import Foundation
import Testing

/// Signing against a registry that serves the OCI 1.1 referrers API (Fixtures/oci11-registry.py, written from the
/// distribution spec): besides the `.sig` tag, a Sigstore bundle is attached as a referrer, which the independent
/// client finds through the API, parses with sigstore-protobuf-specs and verifies; revoking removes it.
@Suite("trust referrers", .enabled(if: RegistryFixture.shouldRun && TestEnvironment.canMakeVenv, "needs python3-venv"))
struct TrustReferrersTests {
    /// The OCI 1.1 registry, on a free loopback port, for the duration of `body`.
    static func withRegistry<T>(_ body: (String) async throws -> T) async throws -> T {
        let directory = try Files.tempDirectory("oci11")
        defer { try? FileManager.default.removeItem(at: directory) }
        let portFile = directory.appendingPathComponent("port")
        let script = RegistryFixture.fixturesDirectory.appendingPathComponent("oci11-registry.py").path
        let process = try ProcessRunner.launch("/usr/bin/python3", [script, "--port-file", portFile.path],
                                               environment: TestEnvironment.processEnvironment)
        defer { process.kill() }
        for _ in 0..<100 {
            if let text = try? String(contentsOf: portFile, encoding: .utf8), let port = Int(text) {
                return try await body("127.0.0.1:\(port)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw FixtureError("oci11-registry.py did not start")
    }

    @Test("a bundle referrer is attached, verified independently, read back by verify and inspect, and revoked")
    func bundleReferrer() async throws {
        let w = try RegistryWorkspace()
        defer { w.remove() }
        let python = try TestEnvironment.requireVenvPython()
        let client = TrustInteropTests.client
        try await Self.withRegistry { host in
            let env = ["STRATA_TRUST_PASSPHRASE": "pw"]
            let keys = w.path("keys")
            try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
            #expect(try await w.strata.run(["trust", "key", "generate", "k", "--dir", keys], environment: env).status == 0)
            let image = "\(host)/ref/app:1"
            try await w.importBusybox(image)
            let signed = try await w.strata.run(["trust", "sign", image], environment: env)
            #expect(signed.status == 0, "\(signed)")
            let bundles = try await ProcessRunner.run(python, [client, "bundles", host, "ref/app", "1", keys + "/k.pub"])
            #expect(bundles.status == 0 && bundles.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1", "\(bundles)")
            let tagScheme = try await ProcessRunner.run(python, [client, "verify", host, "ref/app", "1", keys + "/k.pub"])
            #expect(tagScheme.status == 0, "\(tagScheme)")
            let verified = try await w.strata.run(["verify", "--key", keys + "/k.pub", image])
            #expect(verified.status == 0, "\(verified)")
            let payloads = try JSONSerialization.jsonObject(with: Data(verified.stdout.utf8)) as? [Any]
            #expect(payloads?.count == 2, "one from the tag scheme, one from the bundle: \(verified.stdout)")
            let inspected = try await w.strata.run(["trust", "inspect", "--pretty", image])
            #expect(inspected.stdout.contains("Signatures for \(image)") && inspected.stdout.contains(" k\n"), "\(inspected)")

            let revoked = try await w.strata.run(["trust", "revoke", image])
            #expect(revoked.status == 0, "\(revoked)")
            let after = try await ProcessRunner.run(python, [client, "bundles", host, "ref/app", "1", keys + "/k.pub"])
            #expect(after.status == 1 && after.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(after)")
            #expect(try await w.strata.run(["verify", "--key", keys + "/k.pub", image]).status == 1)
        }
    }
}
