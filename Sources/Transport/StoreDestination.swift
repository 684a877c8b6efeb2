import Archive
import Foundation
import OCI
import Store
import Synchronization

/// The local store as an `ImageDestination`. Layers are written through `BlobIngest` (atomic, digest-checked)
/// and each image is one store transaction, so a failure never leaves a half-recorded image.
///
/// Layers may be put concurrently (each has its own ingest file); the little shared state is behind a mutex.
public final class StoreDestination: ConcurrentImageDestination, IndexDestination, Sendable {
    /// What one committed image looked like: its names, and the names that moved away from another image.
    public struct Committed: Sendable {
        public var image: StoredImage
        public var names: [ImageReference]
        /// (name, previous image ID) for each name that pointed at a different image before.
        public var renamed: [(name: ImageReference, previousID: Digest)]
    }

    public let store: ImageStore
    private let action: String
    private let logTagEvents: Bool
    private let state = Mutex(State())

    private struct State {
        var layersPut: [Digest: StoredLayer] = [:]
        var committed: [Committed] = []
        var onCommit: (@Sendable (Committed) -> Void)?
        var indexPlatform: PlatformMatcher = .host
    }

    /// The images committed so far, in order.
    public var committed: [Committed] { state.withLock { $0.committed } }
    /// Called right after each image is committed.
    public var onCommit: (@Sendable (Committed) -> Void)? {
        get { state.withLock { $0.onCommit } }
        set { state.withLock { $0.onCommit = newValue } }
    }

    /// - Parameters:
    ///   - action: the event logged per image (`load`, `pull`).
    ///   - logTagEvents: docker load names images without `tag` events; pull and import log them.
    public init(store: ImageStore, action: String, logTagEvents: Bool = false) {
        self.store = store
        self.action = action
        self.logTagEvents = logTagEvents
    }

    public var layerDelivery: LayerDelivery { .asStored }

    public func hasLayer(_ layer: TransportLayer) async throws -> Bool {
        guard store.blobs.contains(layer.blob.digest) else { return false }
        if layer.contentSize != nil { return true }
        return try store.layer(blobDigest: layer.blob.digest) != nil
    }

    /// Each chunk goes straight to the ingest file; the blob is named once its digest has checked. The tar inside is
    /// not decoded here: the layer is stored pending, and its diffID and sizes are proven on first use
    /// (`ImageStore.verifyPendingLayers`), so a pull costs what the transfer costs.
    public func putLayer(_ layer: TransportLayer, from reader: VerifyingBlobReader) async throws {
        try await ingest(reader, as: layer.blob.digest)
        // A source that knows the sizes (an archive it decoded itself) has proven the diffID already.
        let stored = StoredLayer(
            blobDigest: layer.blob.digest, diffID: layer.diffID, mediaType: layer.blob.mediaType, blobSize: layer.blob.size,
            contentSize: layer.contentSize, uncompressedSize: layer.uncompressedSize)
        state.withLock { $0.layersPut[layer.blob.digest] = stored }
    }

    /// Streams a blob into an ingest file, named only once its digest (and size) checked.
    func ingest(_ reader: VerifyingBlobReader, as digest: Digest) async throws {
        let ingest = try BlobIngest.begin(in: store.blobs)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        do {
            while true {
                let count = try await reader.read(into: buffer)
                if count == 0 { break }
                try ingest.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            }
            try reader.finish()
            try ingest.commit(as: digest)
        } catch {
            ingest.abort()
            throw error
        }
    }

    public func putImage(_ image: TransportImage) async throws -> Digest? {
        // An index's artifact (an attestation manifest) is kept as a referrer of its subject, which came before it.
        if image.isArtifact, let manifest = image.manifest {
            try store.blobs.write(image.config)
            return try store.commitArtifact(manifest, mediaType: image.manifestMediaType ?? MediaType.ociManifest).digest
        }
        let layersPut = state.withLock { $0.layersPut }
        let layers = try image.layers.map { layer -> StoredLayer in
            if let put = layersPut[layer.blob.digest] { return put }
            if layer.contentSize != nil {
                return StoredLayer(blobDigest: layer.blob.digest, diffID: layer.diffID, mediaType: layer.blob.mediaType,
                                   blobSize: layer.blob.size, contentSize: layer.contentSize, uncompressedSize: layer.uncompressedSize)
            }
            guard let known = try store.layer(blobDigest: layer.blob.digest) else {
                throw StoreError.blobMissing(layer.blob.digest.description)
            }
            // This image's own claim goes to the store, which settles it against the row's.
            if known.diffID == layer.diffID { return known }
            return StoredLayer(blobDigest: known.blobDigest, diffID: layer.diffID, mediaType: known.mediaType,
                               blobSize: known.blobSize, contentSize: nil)
        }
        let id = image.id
        var renamed: [(name: ImageReference, previousID: Digest)] = []
        for name in image.names {
            if let previous = try store.imageID(named: name), previous != id { renamed.append((name, previous)) }
        }
        let manifest = image.manifest.map {
            ImageManifestBytes(data: $0, mediaType: image.manifestMediaType ?? MediaType.ociManifest)
        }
        let stored = try store.commit(config: image.config, manifest: manifest, layers: layers, tags: image.names,
                                      action: action, logTagEvents: logTagEvents)
        let entry = Committed(image: stored, names: image.names, renamed: renamed)
        let callback = state.withLock { state in
            state.committed.append(entry)
            return state.onCommit
        }
        // A platform of an index is reported with the index, under its names.
        if !(image.isIndexEntry && image.names.isEmpty) { callback?(entry) }
        return image.manifest.map(Digest.sha256) ?? stored.manifestDigest
    }

    /// The index is kept whole over the entries already put, and its names (its tag and `repo@index-digest`) point
    /// at it; through it they resolve to the entry for `indexPlatform`, as a single-platform pull would have named it.
    public func putIndex(_ index: TransportIndex) async throws {
        var previous: [(name: ImageReference, previousID: Digest)] = []
        for name in index.names where name.digest == nil {
            if let id = try store.imageID(named: name) { previous.append((name, id)) }
        }
        try store.commitIndex(index.data, mediaType: index.mediaType, names: index.names, platform: indexPlatform,
                              logTagEvents: logTagEvents)
        guard let named = index.names.first, let chosen = try store.imageID(named: named),
              let image = try store.image(id: chosen) else { return }
        let entry = Committed(image: image, names: index.names.filter { $0.digest == nil },
                              renamed: previous.filter { $0.previousID != chosen })
        let callback = state.withLock { state in
            if let position = state.committed.firstIndex(where: { $0.image.id == chosen }) {
                state.committed[position].names += index.names
                state.committed[position].renamed += entry.renamed
            }
            return state.onCommit
        }
        callback?(entry)
    }

    /// Which entry of a copied index takes its names (default: this host).
    public var indexPlatform: PlatformMatcher {
        get { state.withLock { $0.indexPlatform } }
        set { state.withLock { $0.indexPlatform = newValue } }
    }

    public func commit() async throws {}
    public func abort() async {}
}
