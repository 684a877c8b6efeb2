import Foundation
import Testing

/// `trust` and `verify` against distribution 2.8 (no referrers API: cosign's tag scheme alone), checked both ways
/// with an independent implementation of cosign's published formats (Fixtures/cosign-client.py: PyNaCl and
/// `cryptography`), and `openssl` reading the public key.
@Suite("trust interop", .enabled(if: RegistryFixture.shouldRun && TestEnvironment.canMakeVenv, "needs docker-registry and python3-venv"))
struct TrustInteropTests {
    static let client = RegistryFixture.fixturesDirectory.appendingPathComponent("cosign-client.py").path

    /// A workspace with a private trust directory (XDG_CONFIG_HOME) and a key passphrase in the environment.
    struct Signer {
        let w: RegistryWorkspace
        let python: String
        var keyDirectory: String { w.path("keys") }

        init() throws {
            w = try RegistryWorkspace()
            python = try TestEnvironment.requireVenvPython()
            try FileManager.default.createDirectory(atPath: w.path("keys"), withIntermediateDirectories: true)
        }

        func strata(_ args: [String], passphrase: String = "strata-pass", extra: [String: String] = [:]) async throws -> CommandResult {
            try await w.strata.run(args, environment: ["STRATA_TRUST_PASSPHRASE": passphrase].merging(extra) { _, new in new })
        }

        func cosign(_ args: [String]) async throws -> CommandResult {
            try await ProcessRunner.run(python, [TrustInteropTests.client] + args)
        }

        var privateKeys: String { w.path("xdg/strata/trust/private") }
    }

    @Test("keys, signatures and verification interoperate with an independent cosign implementation, both ways")
    func signAndVerifyBothWays() async throws {
        let s = try Signer()
        defer { s.w.remove() }
        try await RegistryFixture.with(.open) { registry in
            // A key pair: the .pub is PEM SPKI that openssl reads; the private key is 0600 and the Python side opens it.
            let generated = try await s.strata(["trust", "key", "generate", "mykey", "--dir", s.keyDirectory])
            #expect(generated.status == 0, "\(generated)")
            #expect(!generated.stdout.contains("strata-pass") && !generated.stderr.contains("strata-pass"))
            let pub = s.keyDirectory + "/mykey.pub"
            let openssl = try await ProcessRunner.run("/usr/bin/openssl", ["pkey", "-pubin", "-in", pub, "-noout", "-text"])
            #expect(openssl.status == 0 && openssl.stdout.contains("prime256v1"), "\(openssl)")
            let keyFile = s.privateKeys + "/mykey.key"
            let mode = try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            let decrypted = try await s.cosign(["decrypt", keyFile, "strata-pass"])
            let pubText = try String(contentsOfFile: pub, encoding: .utf8)
            #expect(decrypted.status == 0 && decrypted.stdout == pubText, "\(decrypted)")
            #expect(try await s.cosign(["decrypt", keyFile, "wrong"]).status != 0)

            // Strata signs a local tag (pushing it first); the Python side verifies it.
            let image = "\(registry.host)/trust/app:1"
            try await s.w.importBusybox(image)
            let signed = try await s.strata(["trust", "sign", image])
            #expect(signed.status == 0 && signed.stdout.contains("Successfully signed \(image)"), "\(signed)")
            let checked = try await s.cosign(["verify", registry.host, "trust/app", "1", pub])
            #expect(checked.status == 0 && checked.stdout.contains(image), "\(checked)")

            // A second signer, on the Python side, appends; Strata verifies either key, and the first signature stays.
            try FileManager.default.createDirectory(atPath: s.w.path("py"), withIntermediateDirectories: true)
            #expect(try await s.cosign(["genkey", s.w.path("py"), "py-pass"]).status == 0)
            let pySigned = try await s.cosign(["sign", registry.host, "trust/app", "1", s.w.path("py/cosign.key"), "py-pass"])
            #expect(pySigned.status == 0, "\(pySigned)")
            let verified = try await s.strata(["verify", "--key", s.w.path("py/cosign.pub"), image])
            #expect(verified.status == 0, "\(verified)")
            let payloads = try JSONSerialization.jsonObject(with: Data(verified.stdout.utf8)) as? [[String: Any]]
            let critical = payloads?.first?["critical"] as? [String: Any]
            #expect((critical?["identity"] as? [String: Any])?["docker-reference"] as? String == image)
            #expect((critical?["image"] as? [String: Any])?["docker-manifest-digest"] as? String
                == (try await Skopeo.manifestDigest("docker://\(image)")))
            #expect(try await s.strata(["verify", "--key", pub, image]).status == 0)
            #expect(try await s.cosign(["verify", registry.host, "trust/app", "1", pub]).status == 0)

            // Importing the Python key names its signatures in `trust inspect`.
            let loaded = try await s.strata(["trust", "key", "load", s.w.path("py/cosign.key"), "--name", "alice"], passphrase: "py-pass")
            #expect(loaded.status == 0, "\(loaded)")
            let inspected = try await s.strata(["trust", "inspect", image])
            #expect(inspected.status == 0, "\(inspected)")
            let document = try JSONSerialization.jsonObject(with: Data(inspected.stdout.utf8)) as? [[String: Any]]
            let tags = document?.first?["SignedTags"] as? [[String: Any]]
            #expect(tags?.first?["SignedTag"] as? String == "1")
            #expect(Set(tags?.first?["Signers"] as? [String] ?? []) == ["alice", "mykey"], "\(inspected.stdout)")
            let pretty = try await s.strata(["trust", "inspect", "--pretty", image])
            #expect(pretty.stdout.contains("Signatures for \(image)") && pretty.stdout.contains("SIGNED TAG"), "\(pretty)")
            let unsigned = "\(registry.host)/trust/app:2"
            try await s.w.importBusybox(unsigned, changes: ["ENV X=2"])
            #expect(try await s.w.strata.run(["push", unsigned]).status == 0)
            #expect(try await s.strata(["trust", "inspect", "--pretty", unsigned]).stdout.contains("No signatures for \(unsigned)"))

            // Revoking removes only the signatures of the private keys held here (mykey, once alice's private key is
            // gone); the other signer's signature stays, as the Python side confirms.
            try FileManager.default.removeItem(atPath: s.privateKeys + "/alice.key")
            let revoked = try await s.strata(["trust", "revoke", image])
            #expect(revoked.status == 0, "\(revoked)")
            #expect(try await s.cosign(["verify", registry.host, "trust/app", "1", pub]).status == 1)
            #expect(try await s.cosign(["verify", registry.host, "trust/app", "1", s.w.path("py/cosign.pub")]).status == 0)
            let gone = try await s.strata(["verify", "--key", pub, image])
            #expect(gone.status == 1 && gone.stderr.contains("does not verify"), "\(gone)")
        }
    }

    @Test("tampering, wrong keys and passphrases, broken key files and lying registries are refused in one line")
    func badInput() async throws {
        let s = try Signer()
        defer { s.w.remove() }
        try await RegistryFixture.with(.open) { registry in
            try FileManager.default.createDirectory(atPath: s.w.path("py"), withIntermediateDirectories: true)
            #expect(try await s.cosign(["genkey", s.w.path("py"), "py-pass"]).status == 0)
            let pub = s.w.path("py/cosign.pub")
            let image = "\(registry.host)/bad/app:1"
            try await s.w.importBusybox(image)
            #expect(try await s.w.strata.run(["push", image]).status == 0)

            func refused(_ reason: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
                let result = try await s.strata(["verify", "--key", pub, image])
                #expect(result.status == 1, "\(result)", sourceLocation: sourceLocation)
                #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains(reason), "\(result)",
                        sourceLocation: sourceLocation)
                #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)
            }
            try await refused("no signatures found")
            #expect(try await s.cosign(["sign", registry.host, "bad/app", "1", s.w.path("py/cosign.key"), "py-pass"]).status == 0)
            #expect(try await s.strata(["verify", "--key", pub, image]).status == 0)
            #expect(try await s.cosign(["tamper", registry.host, "bad/app", "1", "payload"]).status == 0)
            try await refused("does not verify")
            #expect(try await s.cosign(["verify", registry.host, "bad/app", "1", pub]).status == 1)

            // A fresh signature, then its signature bytes flipped, then its text made non-base64.
            #expect(try await s.cosign(["many", registry.host, "bad/app", "1", s.w.path("py/cosign.key"), "py-pass", "1"]).status == 0)
            #expect(try await s.cosign(["tamper", registry.host, "bad/app", "1", "signature"]).status == 0)
            try await refused("does not verify")
            #expect(try await s.cosign(["verify", registry.host, "bad/app", "1", pub]).status == 1)
            #expect(try await s.cosign(["tamper", registry.host, "bad/app", "1", "base64"]).status == 0)
            try await refused("not base64")

            // Claims about another digest or another image, signed by the right key.
            #expect(try await s.cosign(["many", registry.host, "bad/app", "1", s.w.path("py/cosign.key"), "py-pass", "0"]).status == 0)
            let otherDigest = "sha256:" + String(repeating: "1", count: 64)
            #expect(try await s.cosign(["sign", registry.host, "bad/app", "1", s.w.path("py/cosign.key"), "py-pass", image, otherDigest]).status == 0)
            try await refused("names digest \(otherDigest)")
            #expect(try await s.cosign(["many", registry.host, "bad/app", "1", s.w.path("py/cosign.key"), "py-pass", "0"]).status == 0)
            #expect(try await s.cosign(["sign", registry.host, "bad/app", "1", s.w.path("py/cosign.key"), "py-pass", "\(registry.host)/evil:1"]).status == 0)
            try await refused("names image \(registry.host)/evil:1")

            // 1,000 signatures on one image: all checked.
            #expect(try await s.cosign(["many", registry.host, "bad/app", "1", s.w.path("py/cosign.key"), "py-pass", "1000"]).status == 0)
            let many = try await s.strata(["verify", "--key", pub, image])
            #expect(many.status == 0, "\(many.stderr)")
            #expect((try JSONSerialization.jsonObject(with: Data(many.stdout.utf8)) as? [Any])?.count == 1000)

            // Keys: a wrong passphrase changes nothing in the registry; damaged key files and public keys are refused.
            #expect(try await s.strata(["trust", "key", "generate", "k1", "--dir", s.keyDirectory]).status == 0)
            let local = "\(registry.host)/bad/local:1"
            try await s.w.importBusybox(local, changes: ["ENV L=1"])
            let wrong = try await s.strata(["trust", "sign", local], passphrase: "not-it")
            #expect(wrong.status == 1 && wrong.stderr.contains("wrong passphrase"), "\(wrong)")
            #expect(!wrong.stderr.contains("not-it") && !wrong.stdout.contains("not-it"))
            #expect(try await Skopeo.run(["inspect", "--raw", "--tls-verify=false", "docker://\(local)"]).status != 0)
            let keyFile = s.privateKeys + "/k1.key"
            let text = try String(contentsOfFile: keyFile, encoding: .utf8)
            try Data(text.prefix(text.count / 2).utf8).write(to: URL(fileURLWithPath: keyFile))
            let truncated = try await s.strata(["trust", "sign", local])
            #expect(truncated.status == 1 && truncated.stderr.split(separator: "\n").count == 1, "\(truncated)")
            let junkKey = try s.w.file("junk.pub", "not a key\n")
            let junk = try await s.strata(["verify", "--key", junkKey, image])
            #expect(junk.status == 1 && junk.stderr.contains("invalid public key"), "\(junk)")
            let nowhere = try await s.strata(["trust", "sign", "--key", "k1", "\(registry.host)/bad/nowhere:1"])
            #expect(nowhere.status == 1 && nowhere.stderr.split(separator: "\n").count == 1, "\(nowhere)")
        }
    }

    @Test("--recursive signs a multi-platform index and each platform's manifest; without it only the index")
    func recursiveIndex() async throws {
        let s = try Signer()
        defer { s.w.remove() }
        let built = try await MultiPlatformLayout.make(in: s.w.directory)
        try await RegistryFixture.with(.open) { registry in
            #expect(try await s.strata(["trust", "key", "generate", "k", "--dir", s.keyDirectory]).status == 0)
            let pub = s.keyDirectory + "/k.pub"
            for (tag, recursive) in [("flat", false), ("deep", true)] {
                let image = "\(registry.host)/multi/app:\(tag)"
                #expect(try await s.w.strata.run(["copy", "--all", "oci:\(built.layout):\(built.tag)", "docker://\(image)"]).status == 0)
                let signed = try await s.strata(["trust", "sign"] + (recursive ? ["--recursive"] : []) + [image])
                #expect(signed.status == 0, "\(signed)")
                // The index digest is signed either way (the Python side resolves the tag to the index).
                #expect(try await s.cosign(["verify", registry.host, "multi/app", tag, pub]).status == 0)
                let raw = try await Skopeo.run(["inspect", "--raw", "--tls-verify=false", "docker://\(image)"])
                let index = try JSONSerialization.jsonObject(with: Data(raw.stdout.utf8)) as? [String: Any]
                let entries = (index?["manifests"] as? [[String: Any]] ?? []).compactMap { $0["digest"] as? String }
                #expect(entries.count == 2)
                for entry in entries {
                    let byDigest = try await s.strata(["verify", "--key", pub, "\(registry.host)/multi/app@\(entry)"])
                    #expect((byDigest.status == 0) == recursive, "\(tag) \(entry): \(byDigest)")
                }
            }
        }
    }

    @Test("a registry that refuses the .sig push fails the sign in one line, and the pushed image is intact")
    func refusedSignaturePush() async throws {
        let s = try Signer()
        defer { s.w.remove() }
        try await RegistryFixture.with(.open) { registry in
            #expect(try await s.strata(["trust", "key", "generate", "k", "--dir", s.keyDirectory]).status == 0)
            try await FaultProxyFixture.with(in: registry, modes: [#"fail=1000:/manifests/sha256-[0-9a-f]+\.sig"#]) { proxy in
                let image = "\(proxy.host)/fault/app:1"
                try await s.w.importBusybox(image)
                let signed = try await s.strata(["trust", "sign", image])
                #expect(signed.status == 1, "\(signed)")
                #expect(signed.stderr.split(separator: "\n").count == 1, "\(signed)")
                try proxy.setModes(["drop-blob-after=20:always"])
                let verify = try await s.strata(["verify", "--key", s.keyDirectory + "/k.pub", image])
                #expect(verify.status == 1 && verify.stderr.split(separator: "\n").count == 1, "\(verify)")
            }
        }
    }
}
