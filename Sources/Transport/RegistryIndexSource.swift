import Foundation
import OCI
import Registry
import Synchronization

/// A registry image copied whole (`copy --all`, `pull --all-platforms`): when the reference names an index,
/// every entry is an image of its own (by digest) and the index travels byte for byte after them. A reference
/// to a single manifest behaves as ``RegistrySource``.
public final class RegistryIndexSource: IndexedImageSource, Sendable {
    let single: RegistrySource
    private let resolved = Mutex<(images: [TransportImage], index: TransportIndex?)?>(nil)

    public init(client: RegistryClient, reference: ImageReference) {
        single = RegistrySource(client: client, reference: reference)
    }

    public var reference: ImageReference { single.reference }
    /// The digest of what the reference named (the index's, for a multi-platform image).
    public var resolvedDigest: Digest? { resolved.withLock { $0?.index?.digest } ?? single.resolvedDigest }

    public func images() async throws -> [TransportImage] { try await resolve().images }

    public func index() async throws -> TransportIndex? { try await resolve().index }

    public func openLayer(_ layer: TransportLayer, as delivery: LayerDelivery) async throws -> any BlobReader {
        try await single.openLayer(layer, as: delivery)
    }

    private func resolve() async throws -> (images: [TransportImage], index: TransportIndex?) {
        if let cached = resolved.withLock({ $0 }) { return cached }
        let client = single.client, repository = single.repository
        let top = try await client.manifest(repository, reference: single.manifestReference)
        let result: (images: [TransportImage], index: TransportIndex?)
        if RegistrySource.isIndex(top.mediaType) {
            let list = try RegistrySource.decode(ImageIndex.self, top.data, what: "manifest list")
            var images: [TransportImage] = []
            for entry in list.manifests {
                guard !RegistrySource.isIndex(entry.mediaType) else {
                    throw TransportError.unsupported("unsupported manifest format: nested index \(entry.digest)")
                }
                let manifest = try await client.manifest(repository, reference: entry.digest.description)
                guard manifest.digest == entry.digest else {
                    throw RegistryError.manifestDigestMismatch(expected: entry.digest)
                }
                var image = try await single.imageFor(manifest)
                image.isIndexEntry = true
                images.append(image)
            }
            var names: [ImageReference] = []
            if single.reference.digest == nil { names.append(single.reference) }
            names.append(single.reference.repository.withDigest(top.digest))
            result = (images, TransportIndex(data: top.data, mediaType: top.mediaType, names: names))
        } else {
            result = (try await single.images(), nil)
        }
        resolved.withLock { $0 = result }
        return result
    }
}
