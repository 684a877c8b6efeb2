import Foundation
import GoText
import OCI
import Registry
import Store
import Trust

/// `trust sign`: which image, with which key.
public struct TrustSignOptions: Sendable {
    public var reference: ImageReference
    /// A key under the trust directory; nil when exactly one is held.
    public var keyName: String?
    /// `-a key=value`: the claim's `optional` annotations.
    public var annotations: [String: String]
    /// For a multi-platform index, sign each platform's manifest too.
    public var recursive: Bool
    public var keys: TrustDirectory
    /// Asked once, only when the key is about to be decrypted.
    public var passphrase: @Sendable (_ keyName: String) throws -> [UInt8]

    public init(reference: ImageReference, keyName: String? = nil, annotations: [String: String] = [:], recursive: Bool = false,
                keys: TrustDirectory, passphrase: @escaping @Sendable (String) throws -> [UInt8]) {
        self.reference = reference
        self.keyName = keyName
        self.annotations = annotations
        self.recursive = recursive
        self.keys = keys
        self.passphrase = passphrase
    }
}

public enum TrustSignEvent: Sendable {
    /// The image is in the store: it is pushed first, as `docker trust sign` does.
    case pushingLocal(ImageReference)
    case push(PushEvent)
    /// The registry has it, no local copy: its manifest is signed as it is.
    case signingRemote(ImageReference)
    case signed(Digest)
    case referrerAttached(Digest)
}

public struct TrustSignResult: Sendable {
    public var reference: ImageReference
    public var digest: Digest
    public var signed: [Digest] = []
    public var keyName: String
    public var keyID: String
}

/// `verify --key`: the keys, and the image.
public struct VerifyOptions: Sendable {
    public var reference: ImageReference
    public var keys: [VerificationKey]

    public init(reference: ImageReference, keys: [VerificationKey]) {
        self.reference = reference
        self.keys = keys
    }
}

public struct VerifyResult: Sendable {
    public var digest: Digest
    public var verified: [VerifiedSignature]
}

extension ImageService {
    /// Signs an image in its registry: cosign's `sha256-<hex>.sig` tag gains a signature (other signers' stay), and
    /// where the registry serves the referrers API a Sigstore bundle is attached as a referrer too.
    public func sign(_ options: TrustSignOptions, events: @escaping @Sendable (TrustSignEvent) -> Void = { _ in }) async throws
        -> TrustSignResult {
        let reference = options.reference.digest == nil ? options.reference.withDefaultTag() : options.reference
        let keyName = try Self.chooseKey(options.keyName, in: options.keys)
        let encrypted = try options.keys.privateKeyPEM(keyName)
        let passphrase = try options.passphrase(keyName)
        // scrypt takes tens of milliseconds: it runs while the registry is asked for the manifest, but it must
        // succeed before anything is pushed, so that a wrong passphrase changes nothing in the registry.
        let decryption = Task.detached { () throws -> SigningKey in
            try SigningKey(der: EncryptedKeyFile.open(encrypted, passphrase: passphrase))
        }
        if options.reference.digest == nil, try store().imageID(named: reference) != nil {
            _ = try await decryption.value
            events(.pushingLocal(reference))
            _ = try await push(PushOptions(reference: reference)) { events(.push($0)) }
        } else {
            events(.signingRemote(reference))
        }
        return try await withRegistry { client in
            let repository = RegistryRepository(reference)
            let head = try await client.manifestDescriptor(repository, reference: reference.digest?.description ?? reference.tag ?? "latest")
            guard let head else {
                throw ServiceError(.notFound, "\(reference.familiarString): no such image in the store or in its registry")
            }
            var subjects = [head]
            if options.recursive, MediaType.isIndex(head.mediaType) {
                let index = try await client.manifest(repository, reference: head.digest.description)
                if let parsed = try? JSONDecoder().decode(ImageIndex.self, from: index.data) { subjects += parsed.manifests }
            }
            let signatures = RegistrySignatures(client: client, repository: repository)
            let referrersServed = try await client.servesReferrersAPI(repository, digest: head.digest)
            let identity = reference.digest == nil ? reference.description : reference.repository.description
            var result: TrustSignResult?
            for subject in subjects {
                let claim = SimpleSigningPayload(dockerReference: identity, manifestDigest: subject.digest,
                                                 optional: options.annotations.isEmpty ? nil : options.annotations)
                let payload = claim.encoded
                var image = try await signatures.tagSchemeSignatures(of: subject.digest)
                let key = try await decryption.value
                let keyID = key.publicKey.id
                if result == nil { result = TrustSignResult(reference: reference, digest: head.digest, keyName: keyName, keyID: keyID) }
                image.append(payload: payload, signature: try key.sign(payload).base64EncodedString(),
                             annotations: [SignatureImage.keyIDAnnotation: keyID])
                try await signatures.publish(image, for: subject.digest)
                if referrersServed {
                    let pae = SigstoreBundle.pae(payloadType: SimpleSigningPayload.mediaType, payload: payload)
                    let bundle = SigstoreBundle.encode(payload: payload, signature: try key.sign(pae), keyID: keyID)
                    let attached = try await signatures.attachBundle(bundle, subject: subject, created: Timestamp.now().rawValue)
                    events(.referrerAttached(attached))
                }
                result?.signed.append(subject.digest)
                events(.signed(subject.digest))
            }
            guard let result else { throw ServiceError(.internal, "nothing was signed") }
            return result
        }
    }

    static func chooseKey(_ name: String?, in keys: TrustDirectory) throws -> String {
        if let name { return name }
        let held = keys.privateKeyNames()
        guard held.count == 1, let only = held.first else {
            throw ServiceError(.invalidArgument, held.isEmpty
                ? "no signing key: create one with `strata trust key generate NAME` or import one with `strata trust key load`"
                : "several signing keys (\(held.joined(separator: ", "))): choose one with --key")
        }
        return only
    }

    /// `cosign verify --key`: every signature of the image (tag scheme and referrers) is checked; at least one must
    /// verify with one of the keys, over this manifest's digest, for this repository.
    public func verify(_ options: VerifyOptions) async throws -> VerifyResult {
        let reference = options.reference.digest == nil ? options.reference.withDefaultTag() : options.reference
        return try await withRegistry { client in
            let repository = RegistryRepository(reference)
            let digest = try await Self.resolveDigest(reference, client: client)
            let stored = try await RegistrySignatures(client: client, repository: repository).signatures(of: digest)
            let outcome = SignatureVerification.verify(stored, digest: digest, keys: options.keys) { signed in
                (try? ImageReference(signed))?.name == reference.name
            }
            guard !outcome.verified.isEmpty else {
                throw TrustError(.denied, "\(reference.familiarString): \(outcome.summary)")
            }
            return VerifyResult(digest: digest, verified: outcome.verified)
        }
    }

    /// The manifest digest a reference names in its registry.
    static func resolveDigest(_ reference: ImageReference, client: RegistryClient) async throws -> Digest {
        if let digest = reference.digest { return digest }
        guard let head = try await client.manifestDescriptor(RegistryRepository(reference), reference: reference.tag ?? "latest") else {
            throw ServiceError(.notFound, "\(reference.familiarString): no such image in its registry")
        }
        return head.digest
    }

    /// Content trust: when the environment carries a signature policy, `reference` (resolved to `digest`) must
    /// satisfy it before anything of it is stored.
    func admit(_ reference: ImageReference, digest: Digest, client: RegistryClient) async throws {
        guard let policy = environment.signaturePolicy else { return }
        try await policy.admit(reference, digest: digest) { enough in
            try await RegistrySignatures(client: client, repository: RegistryRepository(reference)).signatures(of: digest, until: enough)
        }
    }
}
