import Archive
import Foundation
import OCI
import Store

/// The local store as an `ImageSource`: the images `docker save` would pick for the given names, or a
/// multi-platform index kept whole with every platform it lists.
public struct StoreSource: IndexedImageSource {
    public let store: ImageStore
    /// Each chosen image with the tags to carry, in the order first named.
    public let selection: [(image: StoredImage, tags: [ImageReference])]
    public var measureUncompressedSize = true
    /// The index the images are the entries of, when the source is one.
    private var selectedIndex: TransportIndex?
    /// The manifest each index entry is listed by (an image may be stored under several manifests).
    private var entryManifests: [Digest: Digest] = [:]
    /// The index's entries that are artifacts (attestation manifests), sent after its images (their subjects).
    private var artifactEntries: [Digest] = []

    /// A stored index and all its platforms, to push or copy it whole under `names`. Every platform must be stored.
    public init(store: ImageStore, index digest: Digest, names: [ImageReference]) throws {
        guard let index = try store.index(digest: digest), let manifest = try store.manifest(digest: digest) else {
            throw StoreError.noSuchImage(digest.description)
        }
        var images: [(image: StoredImage, tags: [ImageReference])] = []
        var artifacts: [Digest] = []
        for entry in index.entries {
            if entry.imageID == nil, let stored = try store.manifest(digest: entry.descriptor.digest),
               (try? JSONDecoder().decode(ImageManifest.self, from: stored.data))?.isArtifact == true {
                artifacts.append(entry.descriptor.digest)
                continue
            }
            guard let id = entry.imageID, let image = try store.image(id: id) else {
                let platform = entry.descriptor.platform?.description ?? entry.descriptor.digest.description
                throw TransportError.unsupported(
                    "the multi-platform image \(digest) lacks its \(platform) platform here; pull it with --all-platforms")
            }
            if !images.contains(where: { $0.image.id == id }) { images.append((image, [])) }
            entryManifests[id] = entry.descriptor.digest
        }
        self.store = store
        selection = images
        artifactEntries = artifacts
        measureUncompressedSize = false
        selectedIndex = TransportIndex(data: manifest.data, mediaType: manifest.mediaType, names: names)
    }

    public func index() async throws -> TransportIndex? { selectedIndex }

    /// Resolves names as `docker save` does: `repo` takes every tag in the repository, `repo:tag` that tag,
    /// an ID or digest reference the image without a name. Errors are dockerd's.
    public init(store: ImageStore, names: [String]) throws {
        self.store = store
        var order: [Digest] = []
        var chosen: [Digest: (image: StoredImage, tags: [ImageReference])] = [:]
        func add(_ image: StoredImage, _ tag: ImageReference?) {
            if chosen[image.id] == nil {
                order.append(image.id)
                chosen[image.id] = (image, [])
            }
            if let tag, !chosen[image.id]!.tags.contains(tag) { chosen[image.id]!.tags.append(tag) }
        }
        for name in names {
            if name.hasPrefix("sha256:") || (try? ImageReference(name)) == nil {
                add(try store.resolve(name), nil)
                continue
            }
            let reference = try ImageReference(name)
            if reference.digest != nil {
                add(try store.resolve(name), nil)
            } else if reference.tag == nil {
                let tagged = try store.tags(inRepository: reference.name)
                if tagged.isEmpty {
                    add(try store.resolve(name), nil)
                }
                for entry in tagged {
                    guard let image = try store.image(id: entry.imageID) else { continue }
                    add(image, entry.reference)
                }
            } else {
                guard let id = try store.imageID(named: reference), let image = try store.image(id: id) else {
                    throw TransportError.unsupported("reference does not exist")
                }
                add(image, reference)
            }
        }
        selection = order.map { chosen[$0]! }
    }

    /// - Parameter measureUncompressedSize: tar destinations need each layer's uncompressed size up front (a
    ///   decompress pass for layers that never had it measured); registries and layouts do not.
    public init(store: ImageStore, images: [(image: StoredImage, tags: [ImageReference])], measureUncompressedSize: Bool = true) {
        self.store = store
        selection = images
        self.measureUncompressedSize = measureUncompressedSize
    }

    public func images() async throws -> [TransportImage] {
        let artifacts = try artifactEntries.map { digest -> TransportImage in
            guard let stored = try store.manifest(digest: digest) else { throw StoreError.noSuchImage(digest.description) }
            let parsed = try JSONDecoder().decode(ImageManifest.self, from: stored.data)
            return .artifact(manifest: stored.data, mediaType: stored.mediaType, parsed: parsed,
                             config: try store.blobs.read(parsed.config.digest))
        }
        return try selection.map { entry in
            let config = try store.blobs.read(entry.image.id)
            let manifestDigest = entryManifests[entry.image.id] ?? entry.image.manifestDigest
            let manifest = try store.blobs.read(manifestDigest)
            let manifestMediaType = try store.manifest(digest: manifestDigest)?.mediaType ?? entry.image.manifestMediaType
            var stored = try store.layers(of: entry.image.id)
            // An archive names layers by diffID and holds them decoded: prove pending ones first (all at once).
            if measureUncompressedSize { stored = try store.verifyPendingLayers(stored) }
            let layers = try stored.map { layer in
                TransportLayer(blob: Descriptor(mediaType: layer.mediaType, digest: layer.blobDigest, size: layer.blobSize),
                               diffID: layer.diffID,
                               uncompressedSize: measureUncompressedSize ? try uncompressedSize(of: layer) : layer.uncompressedSize,
                               contentSize: layer.contentSize)
            }
            return TransportImage(config: config, manifest: manifest, manifestMediaType: manifestMediaType,
                                  layers: layers, names: entry.tags, isIndexEntry: selectedIndex != nil)
        } + artifacts
    }

    public func openLayer(_ layer: TransportLayer, as delivery: LayerDelivery) async throws -> any BlobReader {
        let path = store.blobs.path(for: layer.blob.digest)
        if delivery == .uncompressed && !layer.isUncompressed {
            return try DecompressingBlobReader(path: path)
        }
        return try FileBlobReader(path: path)
    }

    /// Layers stored before the size was recorded are measured once (a decompress pass) and remembered.
    private func uncompressedSize(of layer: StoredLayer) throws -> Int64 {
        if let size = layer.uncompressedSize { return size }
        if layer.blobDigest == layer.diffID { return layer.blobSize }
        let fd = open(store.blobs.path(for: layer.blobDigest), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.blobMissing(layer.blobDigest.description) }
        defer { close(fd) }
        let input = try DecompressingInput(fileDescriptor: fd)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var total: Int64 = 0
        while true {
            let count = try input.read(into: buffer)
            if count == 0 { break }
            total += Int64(count)
        }
        try? store.recordUncompressedSize(total, blobDigest: layer.blobDigest)
        return total
    }
}
