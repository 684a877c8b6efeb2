import Foundation
import OCI

/// A signature that checked out: by which key, over which claim.
public struct VerifiedSignature: Sendable, Hashable {
    public var claim: SimpleSigningPayload
    /// The claim's exact bytes (what `verify` prints).
    public var payload: Data
    public var key: VerificationKey
    public var origin: StoredSignature.Origin
}

/// Checks stored signatures the way `cosign verify` does: the signature must verify with one of the keys over the
/// bytes it covers, the claim must name the manifest digest being verified, and its `docker-reference` must satisfy
/// the identity rule. Each signature that fails says why.
public enum SignatureVerification {
    public struct Outcome: Sendable {
        public var verified: [VerifiedSignature] = []
        public var failures: [String] = []

        /// One line on why nothing verified.
        public var summary: String {
            if verified.isEmpty && failures.isEmpty { return "no signatures found" }
            var seen = Set<String>()
            let reasons = failures.filter { seen.insert($0).inserted }
            let shown = reasons.prefix(3).joined(separator: "; ")
            return "no valid signature among \(failures.count): " + shown + (reasons.count > 3 ? "; …" : "")
        }
    }

    public static func verify(_ signatures: [StoredSignature], digest: Digest, keys: [VerificationKey],
                              identity: (String) -> Bool) -> Outcome {
        var outcome = Outcome()
        for stored in signatures {
            guard let signature = Data(base64Encoded: stored.signature.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                outcome.failures.append("a signature is not base64")
                continue
            }
            guard let key = keys.first(where: { $0.isValidSignature(signature, for: stored.signedBytes) }) else {
                outcome.failures.append("a signature does not verify with the key (another signer, or a tampered payload or signature)")
                continue
            }
            let claim: SimpleSigningPayload
            do { claim = try SimpleSigningPayload(parsing: stored.payload) } catch {
                outcome.failures.append("a signed payload is not a simple signing claim")
                continue
            }
            guard claim.manifestDigest == digest else {
                outcome.failures.append("a signed payload names digest \(claim.manifestDigest), not \(digest)")
                continue
            }
            guard identity(claim.dockerReference) else {
                outcome.failures.append("a signed payload names image \(claim.dockerReference)")
                continue
            }
            outcome.verified.append(VerifiedSignature(claim: claim, payload: stored.payload, key: key, origin: stored.origin))
        }
        return outcome
    }

    /// Which of `keys` made `stored`, whatever its claim says (for naming signers and revoking).
    public static func signer(of stored: StoredSignature, among keys: [VerificationKey]) -> VerificationKey? {
        guard let signature = Data(base64Encoded: stored.signature.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        return keys.first { $0.isValidSignature(signature, for: stored.signedBytes) }
    }
}

extension TrustPolicy {
    /// Admits the image `reference` resolved to `digest`, or throws a `denied` error naming the scope and the
    /// requirement that failed. Signatures are fetched only if a requirement needs them, and only until one verifies:
    /// `signatures` is handed a test that says when those fetched so far are enough.
    public func admit(_ reference: ImageReference, digest: Digest,
                      signatures: (_ enough: ([StoredSignature]) -> Bool) async throws -> [StoredSignature]) async throws {
        let (scope, requirements) = self.requirements(for: reference)
        let scopeText = scope.isEmpty ? "the docker transport default" : scope == "default" ? "the default" : "scope \"\(scope)\""
        for requirement in requirements {
            switch requirement {
            case .insecureAcceptAnything:
                continue
            case .reject:
                throw TrustError(.denied, "\(reference.familiarString): refused by the signature policy: \(scopeText) rejects it")
            case .unsupported(let what):
                throw TrustError(.denied, "\(reference.familiarString): refused by the signature policy (\(scopeText)): \(what)")
            case .sigstoreSigned(let keys, let identity):
                func check(_ found: [StoredSignature]) -> SignatureVerification.Outcome {
                    SignatureVerification.verify(found, digest: digest, keys: keys) { identity.accepts(signed: $0, for: reference) }
                }
                let outcome = check(try await signatures { !check($0).verified.isEmpty })
                guard !outcome.verified.isEmpty else {
                    throw TrustError(.denied, "\(reference.familiarString): refused by the signature policy (\(scopeText) requires "
                                     + "sigstoreSigned): \(outcome.summary)")
                }
            }
        }
    }
}
