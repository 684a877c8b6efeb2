import Foundation
import GoText
import OCI
import Registry

/// Where `sbom --attach` put the document.
public struct SBOMAttachResult: Sendable {
    public var repository: String
    /// The image manifest the SBOM refers to.
    public var subject: Digest
    /// The referrer manifest holding the SBOM.
    public var referrer: Digest
}

extension ImageService {
    /// `sbom --attach`: pushes the image stored under `reference` (so the registry holds the very manifest the SBOM
    /// describes), then attaches `document` to that manifest as an OCI 1.1 referrer whose artifactType is the
    /// document's media type (`application/spdx+json`, `application/vnd.cyclonedx+json`). Registries without the
    /// referrers API get the referrers tag schema (`sha256-<hex>`), as the distribution spec says.
    public func attachSBOM(_ document: Data, mediaType: String, to reference: ImageReference,
                           events: @escaping @Sendable (PushEvent) -> Void = { _ in }) async throws -> SBOMAttachResult {
        let reference = reference.digest == nil ? reference.withDefaultTag() : reference
        let store = try store()
        let image = try store.resolve(reference.description)
        if reference.digest == nil {
            _ = try await push(PushOptions(reference: reference), events: events)
        }
        guard let manifestSize = store.blobs.size(of: image.manifestDigest) else {
            throw ServiceError(.notFound, "the manifest of \(reference.familiarString) is missing from the store")
        }
        let subject = Descriptor(mediaType: image.manifestMediaType, digest: image.manifestDigest, size: manifestSize)
        let documentDigest = Digest.sha256(document)
        let blob = Descriptor(mediaType: mediaType, digest: documentDigest, size: Int64(document.count),
                              annotations: ["org.opencontainers.image.title": "sbom" + (mediaType.hasSuffix("spdx+json") ? ".spdx.json" : ".cdx.json")])
        let created = Timestamp.now().rawValue
        let manifest = ImageManifest.artifact(type: mediaType, blobs: [blob], subject: subject,
                                              annotations: ["org.opencontainers.image.created": created])
        let manifestData = GoJSON.encode(manifest)
        return try await withRegistry { client in
            let repository = RegistryRepository(reference)
            for bytes in [document, Data(ImageManifest.emptyConfigBlob)] {
                _ = try await client.uploadBlob(repository, digest: Digest.sha256(bytes), size: Int64(bytes.count), mountFrom: nil) {
                    DataUploadBody(bytes)
                }
            }
            let referrer = try await client.putReferrer(repository, data: manifestData, mediaType: MediaType.ociManifest,
                                                        artifactType: mediaType, annotations: manifest.annotations,
                                                        subject: subject.digest)
            return SBOMAttachResult(repository: reference.repository.description, subject: subject.digest, referrer: referrer)
        }
    }
}
