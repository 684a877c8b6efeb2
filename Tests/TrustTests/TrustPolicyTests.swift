import Foundation
import OCI
import Testing
@testable import Trust

@Suite("trust policy")
struct TrustPolicyTests {
    static let digest = try! Digest("sha256:" + String(repeating: "ab", count: 32))

    func policy(_ json: String) throws -> TrustPolicy { try TrustPolicy(data: Data(json.utf8), directory: "/nonexistent") }

    @Test("the most specific scope wins, as containers-policy.json(5) orders them")
    func scopes() throws {
        let key = SigningKey().publicKey
        let keyData = Data(key.pem.utf8).base64EncodedString()
        let p = try policy("""
            {"default":[{"type":"reject"}],
             "transports":{"docker":{
               "reg.example.com:5000/team/app:1":[{"type":"insecureAcceptAnything"}],
               "reg.example.com:5000/team":[{"type":"sigstoreSigned","keyData":"\(keyData)","signedIdentity":{"type":"matchRepository"}}],
               "*.example.com":[{"type":"reject"}],
               "":[{"type":"insecureAcceptAnything"}]}}}
            """)
        #expect(p.requirements(for: try ImageReference("reg.example.com:5000/team/app:1")).scope == "reg.example.com:5000/team/app:1")
        #expect(p.requirements(for: try ImageReference("reg.example.com:5000/team/app:2")).scope == "reg.example.com:5000/team")
        #expect(p.requirements(for: try ImageReference("reg.example.com:5000/team/app@\(Self.digest)")).scope == "reg.example.com:5000/team")
        #expect(p.requirements(for: try ImageReference("other.example.com/x:1")).scope == "*.example.com")
        #expect(p.requirements(for: try ImageReference("busybox")).scope == "")
        let onlyDefault = try policy(#"{"default":[{"type":"insecureAcceptAnything"}]}"#)
        #expect(onlyDefault.requirements(for: try ImageReference("busybox")).scope == "default")
    }

    @Test("identity rules follow containers-policy.json(5)")
    func identities() throws {
        let tagged = try ImageReference("reg:5000/app:1")
        let byDigest = try ImageReference("reg:5000/app@\(Self.digest)")
        #expect(TrustPolicy.IdentityRule.matchExact.accepts(signed: "reg:5000/app:1", for: tagged))
        #expect(!TrustPolicy.IdentityRule.matchExact.accepts(signed: "reg:5000/app:2", for: tagged))
        #expect(TrustPolicy.IdentityRule.matchRepoDigestOrExact.accepts(signed: "reg:5000/app:7", for: byDigest))
        #expect(!TrustPolicy.IdentityRule.matchRepoDigestOrExact.accepts(signed: "reg:5000/app:7", for: tagged))
        #expect(TrustPolicy.IdentityRule.matchRepository.accepts(signed: "reg:5000/app", for: tagged))
        #expect(!TrustPolicy.IdentityRule.matchRepository.accepts(signed: "reg:5000/other", for: tagged))
        #expect(TrustPolicy.IdentityRule.exactRepository("reg:5000/app").accepts(signed: "reg:5000/app:9", for: tagged))
        #expect(TrustPolicy.IdentityRule.exactReference("reg:5000/app:9").accepts(signed: "reg:5000/app:9", for: tagged))
        #expect(TrustPolicy.IdentityRule.remapIdentity(prefix: "mirror:5000", signedPrefix: "reg:5000")
            .accepts(signed: "reg:5000/app:1", for: try ImageReference("mirror:5000/app:1")))
        #expect(!TrustPolicy.IdentityRule.matchRepository.accepts(signed: "NOT A REF", for: tagged))
    }

    @Test("a reject scope refuses a digest reference too, and sigstoreSigned needs a valid signature")
    func admission() async throws {
        let key = SigningKey()
        let keyData = Data(key.publicKey.pem.utf8).base64EncodedString()
        let p = try policy("""
            {"default":[{"type":"insecureAcceptAnything"}],
             "transports":{"docker":{"reg:5000/blocked":[{"type":"reject"}],
               "reg:5000/signed":[{"type":"sigstoreSigned","keyData":"\(keyData)"}]}}}
            """)
        await #expect(throws: TrustError.self) {
            try await p.admit(try ImageReference("reg:5000/blocked@\(Self.digest)"), digest: Self.digest) { _ in [] }
        }
        let reference = try ImageReference("reg:5000/signed:1")
        await #expect(throws: TrustError.self) { try await p.admit(reference, digest: Self.digest) { _ in [] } }
        let payload = SimpleSigningPayload(dockerReference: "reg:5000/signed:1", manifestDigest: Self.digest).encoded
        let signature = StoredSignature(payload: payload, signature: try key.sign(payload).base64EncodedString())
        try await p.admit(reference, digest: Self.digest) { _ in [signature] }
        // Signed for another tag: matchRepoDigestOrExact (the default) wants the exact tag.
        await #expect(throws: TrustError.self) { try await p.admit(try ImageReference("reg:5000/signed:2"), digest: Self.digest) { _ in [signature] } }
        // Accept-anything needs no signatures and fetches none.
        try await p.admit(try ImageReference("reg:5000/free:1"), digest: Self.digest) { _ in
            Issue.record("signatures fetched for an accept-anything scope")
            return []
        }
    }

    @Test("malformed policies are refused with the scope named")
    func malformed() throws {
        for json in ["", "[]", "{}", #"{"default":[]}"#, #"{"default":[{"type":"bogus"}]}"#,
                     #"{"default":[{"type":"sigstoreSigned"}]}"#, #"{"default":[{"type":"sigstoreSigned","keyData":"!!"}]}"#,
                     #"{"default":[{"type":"insecureAcceptAnything"}],"transports":{"docker":{"x":{}}}}"#,
                     #"{"default":[{"type":"sigstoreSigned","keyPath":"/nonexistent/key.pub"}]}"#] {
            #expect(throws: TrustError.self, "\(json)") { try policy(json) }
        }
        let unsupported = try policy(#"{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k"}]}"#)
        #expect(unsupported.defaultRequirements.first.map { if case .unsupported = $0 { true } else { false } } == true)
    }

    @Test("signer add and remove edit the policy file and keep it valid")
    func signerEdits() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trust-policy-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = TrustPolicyFile(path: directory + "/policy.json")
        let alice = SigningKey().publicKey, bob = SigningKey().publicKey
        let repository = try ImageReference("reg:5000/app")
        #expect(try file.addSigner(alice, repository: repository))
        #expect(try !file.addSigner(alice, repository: repository))
        #expect(try file.addSigner(bob, repository: repository))
        let loaded = try file.load(required: true)
        guard case .sigstoreSigned(let keys, _) = loaded.requirements(for: try ImageReference("reg:5000/app:1")).requirements.first else {
            Issue.record("no sigstoreSigned requirement")
            return
        }
        #expect(Set(keys) == [alice, bob])
        #expect(try file.removeSigner(alice, repository: repository))
        #expect(try file.removeSigner(bob, repository: repository))
        #expect(try !file.removeSigner(bob, repository: repository))
        #expect(try file.load(required: true).requirements(for: try ImageReference("reg:5000/app:1")).scope == "default")
    }
}
