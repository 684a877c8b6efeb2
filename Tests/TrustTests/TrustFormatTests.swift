import Foundation
import OCI
import Testing
@testable import Trust

@Suite("trust formats")
struct TrustFormatTests {
    static let digest = try! Digest("sha256:" + String(repeating: "ab", count: 32))

    @Test("a generated key survives the encrypted key file, and a wrong passphrase is refused")
    func encryptedKeyRoundTrip() throws {
        let key = SigningKey()
        let pem = try EncryptedKeyFile.seal(pkcs8: key.pkcs8, passphrase: Array("correct horse".utf8))
        #expect(pem.hasPrefix("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"))
        #expect(EncryptedKeyFile.isEncryptedKey(pem))
        let opened = try SigningKey(der: EncryptedKeyFile.open(pem, passphrase: Array("correct horse".utf8)))
        #expect(opened.publicKey == key.publicKey)
        #expect(throws: TrustError.self) { try EncryptedKeyFile.open(pem, passphrase: Array("wrong".utf8)) }
        do {
            _ = try EncryptedKeyFile.open(pem, passphrase: Array("wrong".utf8))
        } catch {
            #expect(error.kind == .unauthorized)
            #expect(!error.description.contains("correct horse"))
        }
    }

    @Test("damaged and truncated key files get one clear error, never a trap")
    func damagedKeyFiles() throws {
        let pem = try EncryptedKeyFile.seal(pkcs8: SigningKey().pkcs8, passphrase: Array("pw".utf8))
        let lines = pem.split(separator: "\n").map(String.init)
        let cases = [
            "", "garbage", String(pem.prefix(pem.count / 2)),
            lines.prefix(2).joined(separator: "\n") + "\n" + lines.last!,
            pem.replacingOccurrences(of: "SIGSTORE PRIVATE", with: "EC PRIVATE"),
            "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n" + Data("{\"kdf\":1}".utf8).base64EncodedString()
                + "\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
            "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n" + Data("""
                {"kdf":{"name":"scrypt","params":{"N":1073741824,"r":8,"p":1},"salt":"AAAA"},
                 "cipher":{"name":"nacl/secretbox","nonce":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},"ciphertext":"AAAA"}
                """.utf8).base64EncodedString() + "\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
        ]
        for text in cases {
            #expect(throws: TrustError.self, "\(text.prefix(40))") { try EncryptedKeyFile.open(text, passphrase: Array("pw".utf8)) }
        }
    }

    @Test("the simple signing payload is cosign's layout and parses back")
    func payload() throws {
        let claim = SimpleSigningPayload(dockerReference: "127.0.0.1:5000/app:1", manifestDigest: Self.digest)
        let text = String(decoding: claim.encoded, as: UTF8.self)
        #expect(text == #"{"critical":{"identity":{"docker-reference":"127.0.0.1:5000/app:1"},"image":{"docker-manifest-digest":"\#(Self.digest)"},"type":"cosign container image signature"},"optional":null}"#)
        #expect(try SimpleSigningPayload(parsing: claim.encoded) == claim)
        let annotated = SimpleSigningPayload(dockerReference: "a/b", manifestDigest: Self.digest, optional: ["z": "1", "a": "2"])
        #expect(String(decoding: annotated.encoded, as: UTF8.self).hasSuffix(#""optional":{"a":"2","z":"1"}}"#))
        #expect(try SimpleSigningPayload(parsing: annotated.encoded).optional == ["a": "2", "z": "1"])
        for junk in ["", "{}", "[]", #"{"critical":{}}"#, #"{"critical":{"identity":{"docker-reference":"x"},"image":{"docker-manifest-digest":"nope"},"type":"t"}}"#] {
            #expect(throws: TrustError.self) { try SimpleSigningPayload(parsing: Data(junk.utf8)) }
        }
    }

    @Test("signatures verify with their key only, and a claim must name the digest and the repository")
    func verification() throws {
        let key = SigningKey(), other = SigningKey()
        let payload = SimpleSigningPayload(dockerReference: "127.0.0.1:5000/app:1", manifestDigest: Self.digest).encoded
        let signature = try key.sign(payload).base64EncodedString()
        let good = StoredSignature(payload: payload, signature: signature)
        let sameRepo: (String) -> Bool = { (try? ImageReference($0))?.name == "127.0.0.1:5000/app" }
        #expect(SignatureVerification.verify([good], digest: Self.digest, keys: [key.publicKey], identity: sameRepo).verified.count == 1)
        #expect(SignatureVerification.verify([good], digest: Self.digest, keys: [other.publicKey], identity: sameRepo).verified.isEmpty)
        var tampered = payload
        tampered[tampered.count - 3] ^= 1
        let outcome = SignatureVerification.verify([StoredSignature(payload: tampered, signature: signature)], digest: Self.digest,
                                                   keys: [key.publicKey], identity: sameRepo)
        #expect(outcome.verified.isEmpty && outcome.summary.contains("does not verify"))
        let notBase64 = SignatureVerification.verify([StoredSignature(payload: payload, signature: "!!!")], digest: Self.digest,
                                                     keys: [key.publicKey], identity: sameRepo)
        #expect(notBase64.summary.contains("not base64"))
        let otherDigest = try Digest("sha256:" + String(repeating: "cd", count: 32))
        #expect(SignatureVerification.verify([good], digest: otherDigest, keys: [key.publicKey], identity: sameRepo).summary.contains("names digest"))
        let otherImage = SimpleSigningPayload(dockerReference: "127.0.0.1:5000/evil:1", manifestDigest: Self.digest).encoded
        let signedOther = StoredSignature(payload: otherImage, signature: try key.sign(otherImage).base64EncodedString())
        #expect(SignatureVerification.verify([signedOther], digest: Self.digest, keys: [key.publicKey], identity: sameRepo)
            .summary.contains("names image"))
        #expect(SignatureVerification.verify([], digest: Self.digest, keys: [key.publicKey], identity: sameRepo).summary == "no signatures found")
    }

    @Test("a DSSE bundle carries the claim and verifies over its pre-authentication encoding")
    func bundle() throws {
        let key = SigningKey()
        let payload = SimpleSigningPayload(dockerReference: "r/app", manifestDigest: Self.digest).encoded
        let pae = SigstoreBundle.pae(payloadType: SimpleSigningPayload.mediaType, payload: payload)
        #expect(pae.starts(with: Data("DSSEv1 48 application/vnd.dev.cosign.simplesigning.v1+json \(payload.count) ".utf8)))
        let bundle = SigstoreBundle.encode(payload: payload, signature: try key.sign(pae), keyID: key.publicKey.id)
        let content = try SigstoreBundle.decode(bundle)
        #expect(content.claim == payload)
        let stored = StoredSignature(payload: content.claim, signedBytes: content.signedBytes, signature: content.signatures[0].signature)
        #expect(SignatureVerification.signer(of: stored, among: [key.publicKey]) == key.publicKey)
        #expect(throws: TrustError.self) { try SigstoreBundle.decode(Data("{}".utf8)) }
    }

    @Test("the .sig image appends signatures and never duplicates one")
    func signatureImage() throws {
        var image = SignatureImage()
        let first = image.append(payload: Data("p1".utf8), signature: "s1")
        let again = image.append(payload: Data("p1".utf8), signature: "s1")
        let second = image.append(payload: Data("p1".utf8), signature: "s2")
        #expect(first && !again && second)
        #expect(image.signatures.map(\.signature) == ["s1", "s2"])
        let manifest = try JSONDecoder().decode(ImageManifest.self, from: image.manifest(config: image.config))
        #expect(manifest.layers.count == 2 && manifest.layers.allSatisfy { $0.mediaType == SimpleSigningPayload.mediaType })
        #expect(try SignatureImage.signatureLayers(ofManifest: image.manifest(config: image.config), limit: 10).count == 2)
        #expect(throws: TrustError.self) { try SignatureImage.signatureLayers(ofManifest: image.manifest(config: image.config), limit: 1) }
        #expect(SignatureImage.tag(for: TrustFormatTests.digest) == "sha256-" + String(repeating: "ab", count: 32) + ".sig")
    }
}
