import Foundation
import OCI
import Registry

/// What `buildx imagetools inspect` shows of a name in a registry: its manifest (or index) and, for an index,
/// each entry with its platform.
public struct RemoteImageInspection: Sendable {
    public let reference: ImageReference
    public let manifest: FetchedManifest
    /// An index's entries (empty for a single image's manifest).
    public let entries: [Descriptor]
    /// The attestations of each image entry (read only when asked for), in index order.
    public var attestations: [RemoteAttestation] = []
}

/// The in-toto statements an index's attestation manifest holds about one of its images.
public struct RemoteAttestation: Sendable {
    public struct Statement: Sendable {
        /// The layer's `in-toto.io/predicate-type` annotation.
        public var predicateType: String
        /// The statement's bytes, as stored.
        public var data: Data
    }

    /// The attested image's platform and manifest digest.
    public var platform: Platform
    public var subject: Digest
    public var statements: [Statement]
}

extension ImageService {
    /// `buildx imagetools inspect`: the manifest a name points at in its registry, read without pulling anything; with
    /// `attestations`, also the statements of an index's attestation manifests (what `.Provenance` and `.SBOM` show).
    public func inspectRemote(_ reference: ImageReference, attestations: Bool = false) async throws -> RemoteImageInspection {
        try await withRegistry { client in
            let repository = RegistryRepository(reference)
            let fetched = try await client.manifest(repository, reference: reference.digest?.description ?? reference.tag ?? "latest")
            var entries: [Descriptor] = []
            if fetched.mediaType == MediaType.ociIndex || fetched.mediaType == MediaType.dockerManifestList {
                entries = try JSONDecoder().decode(ImageIndex.self, from: fetched.data).manifests
            }
            var inspection = RemoteImageInspection(reference: reference, manifest: fetched, entries: entries)
            if attestations { inspection.attestations = try await remoteAttestations(entries, in: repository, client: client) }
            return inspection
        }
    }

    private func remoteAttestations(_ entries: [Descriptor], in repository: RegistryRepository,
                                    client: RegistryClient) async throws -> [RemoteAttestation] {
        var found: [RemoteAttestation] = []
        for image in entries where !image.isAttestationManifest {
            guard let platform = image.platform,
                  let entry = entries.first(where: { $0.isAttestationManifest && $0.attestedDigest == image.digest }) else { continue }
            let fetched = try await client.manifest(repository, reference: entry.digest.description)
            let manifest: ImageManifest
            do { manifest = try JSONDecoder().decode(ImageManifest.self, from: fetched.data) } catch {
                throw ServiceError(.invalidArgument, "attestation manifest \(entry.digest): \(error)")
            }
            var statements: [RemoteAttestation.Statement] = []
            for layer in manifest.layers where layer.mediaType == AttestationManifest.statementMediaType {
                guard let type = layer.annotations?[AttestationManifest.predicateTypeAnnotation] else { continue }
                statements.append(.init(predicateType: type, data: try await client.smallBlob(repository, descriptor: layer)))
            }
            found.append(RemoteAttestation(platform: platform, subject: image.digest, statements: statements))
        }
        return found
    }

    /// `buildx imagetools create -t TARGET SOURCE…`: an index of every source (an index's entries are taken whole)
    /// put under each target, the entries' blobs mounted from their repositories, never pulled. An OCI index unless
    /// every entry is a docker manifest. `dryRun` returns the index without pushing. Returns the index and its digest.
    public func createRemoteIndex(targets: [ImageReference], sources: [ImageReference], dryRun: Bool = false) async throws
        -> (document: Data, digest: Digest?) {
        guard let first = targets.first else { throw ServiceError(.invalidArgument, "no target: name one with -t") }
        for source in sources where source.domain != first.domain {
            throw ServiceError(.invalidArgument, "cannot join images of another registry (\(source.domain)) into \(first.domain) without copying them")
        }
        let entries: [ManifestListEntry] = try await withRegistry { client in
            var entries: [ManifestListEntry] = []
            for source in sources {
                let repository = RegistryRepository(source)
                let fetched = try await client.manifest(repository, reference: source.digest?.description ?? source.tag ?? "latest")
                if fetched.mediaType == MediaType.ociIndex || fetched.mediaType == MediaType.dockerManifestList {
                    for descriptor in try JSONDecoder().decode(ImageIndex.self, from: fetched.data).manifests {
                        let child = try await client.manifest(repository, reference: descriptor.digest.description)
                        entries.append(ManifestListEntry(reference: source.repository.withDigest(descriptor.digest).description,
                                                         descriptor: descriptor, manifest: child.data))
                    }
                } else {
                    var descriptor = fetched.descriptor
                    descriptor.platform = try await client.platform(of: fetched, in: repository)
                    entries.append(ManifestListEntry(reference: source.repository.withDigest(fetched.digest).description,
                                                     descriptor: descriptor, manifest: fetched.data))
                }
            }
            return entries
        }
        let mediaType = entries.allSatisfy { $0.descriptor.mediaType == MediaType.dockerManifest }
            ? MediaType.dockerManifestList : MediaType.ociIndex
        let document = ManifestListDocument.encode(entries.map(\.descriptor), mediaType: mediaType)
        guard !dryRun else { return (document, nil) }
        var digest: Digest?
        for target in targets { digest = try await pushManifestList(target, entries: entries, mediaType: mediaType) }
        return (document, digest)
    }
}
