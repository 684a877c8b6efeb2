import Foundation
import OCI
import Registry
import Store
import Trust

/// What `trust inspect` reports for one name, in docker's terms: the signed tags with their digests and signers, the
/// signers with their keys, and the keys the signature policy trusts for the repository (the administrative keys).
public struct TrustInspection: Sendable {
    public struct SignedTag: Sendable {
        public var tag: String
        public var digest: Digest
        public var signers: [String]
    }

    public struct Signer: Sendable {
        public var name: String
        public var keyIDs: [String]
    }

    public var name: String
    public var signedTags: [SignedTag] = []
    public var signers: [Signer] = []
    public var administrativeKeys: [Signer] = []
}

/// `trust revoke`: the image (a tag, or every signed tag of a repository) and the keys whose signatures go.
public struct TrustRevokeOptions: Sendable {
    public var reference: ImageReference
    public var keys: TrustDirectory

    public init(reference: ImageReference, keys: TrustDirectory) {
        self.reference = reference
        self.keys = keys
    }
}

public struct TrustRevokeResult: Sendable {
    /// Tags whose signatures by our keys were removed, with how many went.
    public var revoked: [(tag: String, count: Int)] = []
}

extension ImageService {
    /// Signatures of a tag, or of every tag of a repository, named by the keys known locally (the trust directory and
    /// the signature policy); a signer without a local name shows as its key ID, shortened as docker shortens it.
    public func trustInspect(_ reference: ImageReference, keys: TrustDirectory, policy: TrustPolicy) async throws -> TrustInspection {
        let known = keys.namedPublicKeys()
        let (_, requirements) = policy.requirements(for: reference.repository)
        let trusted = requirements.flatMap { requirement -> [VerificationKey] in
            if case .sigstoreSigned(let keys, _) = requirement { return keys }
            return []
        }
        let candidates = known.map(\.key) + trusted
        func name(of key: VerificationKey) -> String { known.first { $0.key == key }?.name ?? Self.shortKeyID(key.id) }

        return try await withRegistry { client in
            let repository = RegistryRepository(reference)
            let signatures = RegistrySignatures(client: client, repository: repository)
            var inspection = TrustInspection(name: reference.familiarString)
            let tags: [String]
            if let tag = reference.tag { tags = [tag] } else {
                tags = try await Self.allTags(of: reference, client: client).filter(Self.isImageTag).sorted()
            }
            var signerKeys: [String: Set<String>] = [:]
            for tag in tags {
                guard let head = try await client.manifestDescriptor(repository, reference: tag) else {
                    if reference.tag != nil { throw ServiceError(.notFound, "\(reference.familiarString): no such tag in its registry") }
                    continue
                }
                var names: [String] = []
                for stored in try await signatures.signatures(of: head.digest) {
                    guard let claim = try? SimpleSigningPayload(parsing: stored.payload), claim.manifestDigest == head.digest else { continue }
                    let signer: String
                    if let key = SignatureVerification.signer(of: stored, among: candidates) {
                        signer = name(of: key)
                        signerKeys[signer, default: []].insert(key.id)
                    } else if let hint = stored.keyIDHint {
                        signer = Self.shortKeyID(hint)
                    } else {
                        signer = "(unknown)"
                    }
                    if !names.contains(signer) { names.append(signer) }
                }
                if !names.isEmpty {
                    inspection.signedTags.append(.init(tag: tag, digest: head.digest, signers: names.sorted()))
                }
            }
            inspection.signers = signerKeys.keys.filter { name in known.contains { $0.name == name } }.sorted()
                .map { TrustInspection.Signer(name: $0, keyIDs: signerKeys[$0, default: []].sorted()) }
            if !trusted.isEmpty {
                inspection.administrativeKeys = [TrustInspection.Signer(name: "Repository", keyIDs: trusted.map(\.id))]
            }
            return inspection
        }
    }

    /// docker shows signer keys by the first 12 hex digits of their ID.
    public static func shortKeyID(_ id: String) -> String { String(id.prefix(12)) }

    /// Tags that name images, not the signature, attestation, SBOM and referrer tags tools park beside them.
    static func isImageTag(_ tag: String) -> Bool {
        !(tag.hasPrefix("sha256-") || tag.hasPrefix("sha512-"))
    }

    /// Removes the signatures made by the keys held in the trust directory and leaves every other signer's in place.
    public func revoke(_ options: TrustRevokeOptions) async throws -> TrustRevokeResult {
        let own = options.keys.privateKeyNames().compactMap { name in options.keys.namedPublicKeys().first { $0.name == name }?.key }
        guard !own.isEmpty else { throw ServiceError(.invalidArgument, "no signing keys held: nothing of yours to revoke") }
        let reference = options.reference
        return try await withRegistry { client in
            let repository = RegistryRepository(reference)
            let signatures = RegistrySignatures(client: client, repository: repository)
            let tags: [String]
            if let tag = reference.tag { tags = [tag] } else {
                tags = try await Self.allTags(of: reference, client: client).filter(Self.isImageTag).sorted()
            }
            var result = TrustRevokeResult()
            for tag in tags {
                guard let head = try await client.manifestDescriptor(repository, reference: tag) else {
                    if reference.tag != nil { throw ServiceError(.notFound, "\(reference.familiarString): no such tag in its registry") }
                    continue
                }
                var image = try await signatures.tagSchemeSignatures(of: head.digest)
                let before = image.layers.count
                image.layers.removeAll { layer in
                    guard let signature = layer.annotations[SignatureImage.signatureAnnotation] else { return false }
                    return SignatureVerification.signer(of: StoredSignature(payload: layer.payload, signature: signature), among: own) != nil
                }
                var removed = before - image.layers.count
                if removed > 0 {
                    if image.layers.isEmpty {
                        do { try await signatures.deleteSignatureImage(for: head.digest) } catch {
                            // A registry that refuses deletes keeps an empty signature image: no signature is left either way.
                            try await signatures.publish(image, for: head.digest)
                        }
                    } else {
                        try await signatures.publish(image, for: head.digest)
                    }
                }
                for stored in try await signatures.referrerSignatures(of: head.digest) {
                    guard case .referrer(let manifest) = stored.origin, SignatureVerification.signer(of: stored, among: own) != nil else { continue }
                    try await client.deleteManifest(repository, digest: manifest)
                    removed += 1
                }
                if removed > 0 { result.revoked.append((tag, removed)) }
            }
            if result.revoked.isEmpty {
                throw ServiceError(.notFound, "no signatures of yours found for \(reference.familiarString)")
            }
            return result
        }
    }
}
