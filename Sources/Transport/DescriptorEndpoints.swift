import Foundation
import OCI
import Registry
import Store

// The descriptor-level side of the registry and the store: what referrers (and later a registry server) travel by.

extension RegistrySource: DescriptorSource {
    public func manifest(_ reference: String) async throws -> TransportManifest? {
        do {
            let fetched = try await client.manifest(repository, reference: reference,
                                                    accept: RegistryClient.defaultManifestAccept + [MediaType.ociManifest])
            return TransportManifest(data: fetched.data, mediaType: fetched.mediaType)
        } catch let error as RegistryError where RegistrySource.isNotFound(error) {
            return nil
        }
    }

    public func openBlob(_ descriptor: Descriptor) async throws -> any BlobReader {
        RegistryBlobReader(try await client.openBlob(repository, digest: descriptor.digest, size: descriptor.size))
    }

    public func referrers(of digest: Digest, artifactType: String?) async throws -> [Descriptor] {
        try await client.referrers(repository, digest: digest, artifactType: artifactType).manifests
    }

    static func isNotFound(_ error: RegistryError) -> Bool {
        if case .manifestNotFound = error { return true }
        return error.status == 404 || error.code == "MANIFEST_UNKNOWN"
    }
}

extension RegistryIndexSource: DescriptorSource {
    public func manifest(_ reference: String) async throws -> TransportManifest? { try await single.manifest(reference) }
    public func openBlob(_ descriptor: Descriptor) async throws -> any BlobReader { try await single.openBlob(descriptor) }
    public func referrers(of digest: Digest, artifactType: String?) async throws -> [Descriptor] {
        try await single.referrers(of: digest, artifactType: artifactType)
    }
}

extension RegistryDestination: DescriptorDestination {
    public func hasBlob(_ descriptor: Descriptor) async throws -> Bool {
        try await client.blobSize(repository, digest: descriptor.digest) != nil
    }

    public func putBlob(_ descriptor: Descriptor, from reader: VerifyingBlobReader) async throws {
        let once = OneShotUploadBody(reader)
        let outcome = try await client.uploadBlob(repository, digest: descriptor.digest, size: descriptor.size, mountFrom: nil,
                                                  body: { try once.take() })
        if outcome == .uploaded { try reader.finish() }
    }

    public func hasManifest(_ digest: Digest) async throws -> Bool {
        try await client.manifestDescriptor(repository, reference: digest.description) != nil
    }

    /// An artifact goes by digest (and into its subject's referrers-tag index where the registry has no referrers
    /// API); an index under `tag`, or by digest.
    public func putManifest(_ manifest: TransportManifest, tag: String?) async throws {
        if try await putReferrer(manifest.data, mediaType: manifest.mediaType) != nil { return }
        _ = try await client.putManifest(repository, reference: tag ?? manifest.digest.description, data: manifest.data,
                                         mediaType: manifest.mediaType)
    }
}

extension StoreSource: DescriptorSource {
    /// By digest any manifest, index or artifact the store keeps; by name what the name points at.
    public func manifest(_ reference: String) async throws -> TransportManifest? {
        var digest = try? Digest(reference)
        if digest == nil, let name = try? ImageReference(reference), let target = try store.target(named: name) {
            digest = try target.indexDigest ?? store.image(id: target.imageID)?.manifestDigest
        }
        guard let digest, let stored = try store.manifest(digest: digest) else { return nil }
        return TransportManifest(data: stored.data, mediaType: stored.mediaType)
    }

    public func openBlob(_ descriptor: Descriptor) async throws -> any BlobReader {
        guard store.blobs.contains(descriptor.digest) else { throw StoreError.blobMissing(descriptor.digest.description) }
        return try FileBlobReader(path: store.blobs.path(for: descriptor.digest))
    }

    public func referrers(of digest: Digest, artifactType: String?) async throws -> [Descriptor] {
        try store.referrers(of: digest, artifactType: artifactType)
    }
}

extension StoreDestination: DescriptorDestination {
    public func hasBlob(_ descriptor: Descriptor) async throws -> Bool { store.blobs.contains(descriptor.digest) }

    public func putBlob(_ descriptor: Descriptor, from reader: VerifyingBlobReader) async throws {
        try await ingest(reader, as: descriptor.digest)
    }

    public func hasManifest(_ digest: Digest) async throws -> Bool { try store.manifest(digest: digest) != nil }

    /// An artifact is recorded as a referrer of its subject; an index over stored platforms is kept under `tag`.
    public func putManifest(_ manifest: TransportManifest, tag: String?) async throws {
        if MediaType.isIndex(manifest.mediaType) {
            let names = try tag.map { [try ImageReference($0)] } ?? []
            try store.commitIndex(manifest.data, mediaType: manifest.mediaType, names: names, platform: indexPlatform)
            return
        }
        try store.commitArtifact(manifest.data, mediaType: manifest.mediaType)
    }
}
