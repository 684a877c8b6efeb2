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
}

extension ImageService {
    /// `buildx imagetools inspect`: the manifest a name points at in its registry, read without pulling anything.
    public func inspectRemote(_ reference: ImageReference) async throws -> RemoteImageInspection {
        try await withRegistry { client in
            let repository = RegistryRepository(reference)
            let fetched = try await client.manifest(repository, reference: reference.digest?.description ?? reference.tag ?? "latest")
            var entries: [Descriptor] = []
            if fetched.mediaType == MediaType.ociIndex || fetched.mediaType == MediaType.dockerManifestList {
                entries = try JSONDecoder().decode(ImageIndex.self, from: fetched.data).manifests
            }
            return RemoteImageInspection(reference: reference, manifest: fetched, entries: entries)
        }
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
