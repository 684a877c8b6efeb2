import Foundation
import GoText
import OCI
import Registry

/// The signatures of manifests in one registry repository: read from cosign's `sha256-<hex>.sig` tag and from Sigstore
/// bundles listed as referrers, and written to both (the referrer only where the registry serves the referrers API).
public struct RegistrySignatures: Sendable {
    public let client: RegistryClient
    public let repository: RegistryRepository
    /// More signatures than this on one manifest are refused rather than fetched.
    public var limit = 4096

    public init(client: RegistryClient, repository: RegistryRepository) {
        self.client = client
        self.repository = repository
    }

    /// Every signature of `digest`. The payload blobs are fetched in parallel and each is verified against its digest.
    public func signatures(of digest: Digest) async throws -> [StoredSignature] {
        async let tagged = tagSchemeSignatures(of: digest)
        async let referred = referrerSignatures(of: digest)
        return try await tagged.signatures + referred
    }

    /// Signatures of `digest`, fetched a few at a time until `enough` says the ones so far settle the question (a
    /// policy needs one good signature, not all of them): the tag scheme first, then the referrers.
    public func signatures(of digest: Digest, until enough: ([StoredSignature]) -> Bool) async throws -> [StoredSignature] {
        var found: [StoredSignature] = []
        let layers = try await signatureLayers(of: digest)
        var start = 0, batch = 1
        while start < layers.count {
            let slice = Array(layers[start..<min(start + batch, layers.count)])
            let payloads = try await fetchAll(slice)
            found += zip(slice, payloads).compactMap { layer, payload in
                layer.annotations?[SignatureImage.signatureAnnotation].map {
                    StoredSignature(payload: payload, signature: $0, annotations: layer.annotations ?? [:])
                }
            }
            if enough(found) { return found }
            start += slice.count
            batch = 8
        }
        return found + (try await referrerSignatures(of: digest))
    }

    /// The signature layers of the `.sig` manifest of `digest` (none when there is no such manifest).
    private func signatureLayers(of digest: Digest) async throws -> [Descriptor] {
        let fetched: FetchedManifest
        do {
            fetched = try await client.manifest(repository, reference: SignatureImage.tag(for: digest),
                                                accept: [MediaType.ociManifest, MediaType.dockerManifest])
        } catch let error as RegistryError {
            if case .manifestNotFound = error { return [] }
            throw error
        }
        return try SignatureImage.signatureLayers(ofManifest: fetched.data, limit: limit)
    }

    /// The `.sig` image as it is now (empty when there is none), with its payloads fetched.
    public func tagSchemeSignatures(of digest: Digest) async throws -> SignatureImage {
        let layers = try await signatureLayers(of: digest)
        let payloads = try await fetchAll(layers)
        return SignatureImage(layers: zip(layers, payloads).map { SignatureImage.Layer(payload: $1, annotations: $0.annotations ?? [:]) })
    }

    /// Signatures carried by Sigstore bundle referrers of `digest`.
    public func referrerSignatures(of digest: Digest) async throws -> [StoredSignature] {
        let listed: ImageIndex
        do { listed = try await client.referrers(repository, digest: digest) } catch let error as RegistryError {
            if case .manifestNotFound = error { return [] }
            throw error
        }
        let bundles = listed.manifests.filter { $0.artifactType == SigstoreBundle.mediaType }.prefix(limit)
        var found: [StoredSignature] = []
        for entry in bundles {
            let manifest = try await client.manifest(repository, reference: entry.digest.description, accept: [MediaType.ociManifest])
            guard let parsed = try? JSONDecoder().decode(ImageManifest.self, from: manifest.data),
                  parsed.subject?.digest == digest, let layer = parsed.layers.first(where: { $0.mediaType == SigstoreBundle.mediaType }) else {
                continue
            }
            let content = try SigstoreBundle.decode(try await client.smallBlob(repository, descriptor: layer, limit: Int64(SigstoreBundle.maximumSize)))
            for signature in content.signatures {
                var annotations: [String: String] = [:]
                if let keyID = signature.keyID { annotations[SignatureImage.keyIDAnnotation] = keyID }
                found.append(StoredSignature(payload: content.claim, signedBytes: content.signedBytes, signature: signature.signature,
                                             annotations: annotations, origin: .referrer(entry.digest)))
            }
        }
        return found
    }

    private func fetchAll(_ layers: [Descriptor]) async throws -> [Data] {
        try await withThrowingTaskGroup(of: (Int, Data).self) { group in
            var results = [Data](repeating: Data(), count: layers.count)
            var next = 0
            func start() {
                guard next < layers.count else { return }
                let index = next, layer = layers[index]
                next += 1
                group.addTask {
                    (index, try await client.smallBlob(repository, descriptor: layer, limit: Int64(SimpleSigningPayload.maximumSize)))
                }
            }
            for _ in 0..<8 { start() }
            while let (index, data) = try await group.next() {
                results[index] = data
                start()
            }
            return results
        }
    }

    /// Writes the `.sig` image for `digest`: blobs first, then the manifest under the tag.
    public func publish(_ image: SignatureImage, for digest: Digest) async throws {
        let config = image.config
        for blob in image.layers.map(\.payload) + [config] {
            let blobDigest = Digest.sha256(blob)
            _ = try await client.uploadBlob(repository, digest: blobDigest, size: Int64(blob.count), mountFrom: nil) {
                DataUploadBody(blob)
            }
        }
        _ = try await client.putManifest(repository, reference: SignatureImage.tag(for: digest), data: image.manifest(config: config),
                                         mediaType: MediaType.ociManifest)
    }

    /// Removes the `.sig` image of `digest` (when every signature in it is revoked).
    public func deleteSignatureImage(for digest: Digest) async throws {
        guard let descriptor = try await client.manifestDescriptor(repository, reference: SignatureImage.tag(for: digest)) else { return }
        try await client.deleteManifest(repository, digest: descriptor.digest)
    }

    /// Attaches a bundle as a referrer of `subject`. Returns the referrer manifest's digest.
    public func attachBundle(_ bundle: Data, subject: Descriptor, created: String) async throws -> Digest {
        for blob in [bundle, Data(ImageManifest.emptyConfigBlob)] {
            _ = try await client.uploadBlob(repository, digest: Digest.sha256(blob), size: Int64(blob.count), mountFrom: nil) {
                DataUploadBody(blob)
            }
        }
        let manifest = SigstoreBundle.referrerManifest(bundle: bundle, subject: subject, created: created)
        return try await client.putReferrer(repository, data: manifest, mediaType: MediaType.ociManifest, artifactType: SigstoreBundle.mediaType,
                                            annotations: ["dev.sigstore.bundle.content": "dsse-envelope"], subject: subject.digest)
    }
}
