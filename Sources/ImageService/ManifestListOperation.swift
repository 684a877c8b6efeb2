import Foundation
import OCI
import Registry
import Transport

extension ImageService {
    /// `manifest push`: every platform the list names is put into the list's repository by digest (its blobs
    /// mounted from where it was added, else copied), then the list under its tag, through the one copier.
    /// Returns the list's digest.
    public func pushManifestList(_ list: ImageReference, entries: [ManifestListEntry],
                                 mediaType: String = MediaType.dockerManifestList) async throws -> Digest {
        let document = ManifestListDocument.encode(entries.map(\.descriptor), mediaType: mediaType)
        return try await withRegistry { client in
            let sources = try entries.map { entry in
                ManifestListSource.Entry(
                    source: RegistrySource(client: client, reference: try ImageReference(entry.reference)),
                    manifest: FetchedManifest(data: entry.manifest, mediaType: entry.descriptor.mediaType, digest: entry.descriptor.digest))
            }
            let source = try ManifestListSource(
                entries: sources, list: TransportIndex(data: document, mediaType: mediaType, names: [list]))
            let destination = RegistryDestination(client: client, reference: list, mountSources: source.mountSources)
            let report = try await ImageCopier().copy(from: source, to: destination)
            guard let digest = report.indexes.last else { throw ServiceError(.internal, "the manifest list was not written") }
            return digest
        }
    }
}
