import Foundation
import OCI
import Registry

/// A manifest list being pushed (`manifest push`): each platform's image read from the repository it was added
/// from, then the list itself, so the one `ImageCopier` moves it (blobs mounted across repositories when the
/// registry agrees) like any other index.
public struct ManifestListSource: IndexedImageSource {
    public struct Entry: Sendable {
        public let source: RegistrySource
        public let manifest: FetchedManifest

        public init(source: RegistrySource, manifest: FetchedManifest) {
            self.source = source
            self.manifest = manifest
        }
    }

    public let entries: [Entry]
    public let list: TransportIndex
    /// The source each blob is read from.
    private let sourceOfBlob: [Digest: RegistrySource]

    public init(entries: [Entry], list: TransportIndex) throws {
        self.entries = entries
        self.list = list
        var sources: [Digest: RegistrySource] = [:]
        for entry in entries {
            let parsed = try RegistrySource.decode(ImageManifest.self, entry.manifest.data, what: "manifest")
            for blob in [parsed.config] + parsed.layers where sources[blob.digest] == nil { sources[blob.digest] = entry.source }
        }
        sourceOfBlob = sources
    }

    /// The repositories blobs can be mounted from at a destination on the same registry.
    public var mountSources: [Digest: RegistryRepository] { sourceOfBlob.mapValues(\.repository) }

    public func images() async throws -> [TransportImage] {
        var images: [TransportImage] = []
        for entry in entries {
            var image = try await entry.source.imageFor(entry.manifest)
            image.isIndexEntry = true
            images.append(image)
        }
        return images
    }

    public func index() async throws -> TransportIndex? { list }

    public func openLayer(_ layer: TransportLayer, as delivery: LayerDelivery) async throws -> any BlobReader {
        guard let source = sourceOfBlob[layer.blob.digest] else {
            throw TransportError.unsupported("no entry of the manifest list holds layer \(layer.blob.digest)")
        }
        return try await source.openLayer(layer, as: delivery)
    }
}
