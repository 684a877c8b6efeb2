import Archive
import Foundation
import OCI
import Store

/// The local store as an `ImageDestination`. Layers are written through `BlobIngest` (atomic, digest-checked)
/// and each image is one store transaction, so a failure never leaves a half-recorded image.
///
/// Layers may be put concurrently (each has its own ingest file); the little shared state is behind a lock.
/// `@unchecked` because `onCommit` is a plain closure: it is only called from `putImage`, which the copier never
/// runs concurrently.
public final class StoreDestination: ConcurrentImageDestination, @unchecked Sendable {
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
    private let lock = NSLock()
    private var layersPutStorage: [Digest: StoredLayer] = [:]
    private var committedStorage: [Committed] = []
    private var onCommitStorage: ((Committed) -> Void)?

    /// The images committed so far, in order.
    public var committed: [Committed] { lock.withLock { committedStorage } }
    /// Called right after each image is committed.
    public var onCommit: ((Committed) -> Void)? {
        get { lock.withLock { onCommitStorage } }
        set { lock.withLock { onCommitStorage = newValue } }
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

    /// One pass: each network chunk is written to the ingest file and fed through a pipe to a thread that gunzips,
    /// hashes (diffID) and validates the tar, so receive, disk write and decode overlap. The blob is named only
    /// after both its digest and its diffID have checked.
    public func putLayer(_ layer: TransportLayer, from reader: VerifyingBlobReader) async throws {
        let ingest = try BlobIngest.begin(in: store.blobs)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        var measuring: DiffIDPipe?
        do {
            let pipe = try DiffIDPipe()
            measuring = pipe
            while true {
                let count = try await reader.read(into: buffer)
                if count == 0 { break }
                let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
                try ingest.write(bytes)
                try pipe.write(bytes)
            }
            try reader.finish()
            measuring = nil
            let measured = try pipe.finish()
            guard measured.diffID == layer.diffID else {
                throw TransportError.digestMismatch(what: "layer \(layer.blob.digest) content", expected: layer.diffID.description,
                                                    actual: measured.diffID.description)
            }
            try ingest.commit(as: layer.blob.digest)
            let stored = StoredLayer(
                blobDigest: layer.blob.digest, diffID: layer.diffID, mediaType: layer.blob.mediaType, blobSize: layer.blob.size,
                contentSize: measured.contentSize, uncompressedSize: measured.uncompressedSize)
            lock.withLock { layersPutStorage[layer.blob.digest] = stored }
        } catch {
            measuring?.cancel()
            ingest.abort()
            throw error
        }
    }

    public func putImage(_ image: TransportImage) async throws {
        let layersPut = lock.withLock { layersPutStorage }
        let layers = try image.layers.map { layer -> StoredLayer in
            if let put = layersPut[layer.blob.digest] { return put }
            if let contentSize = layer.contentSize {
                return StoredLayer(blobDigest: layer.blob.digest, diffID: layer.diffID, mediaType: layer.blob.mediaType,
                                   blobSize: layer.blob.size, contentSize: contentSize, uncompressedSize: layer.uncompressedSize)
            }
            guard let known = try store.layer(blobDigest: layer.blob.digest) else {
                throw StoreError.blobMissing(layer.blob.digest.description)
            }
            return known
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
        let callback = lock.withLock {
            committedStorage.append(entry)
            return onCommitStorage
        }
        callback?(entry)
    }

    public func commit() async throws {}
    public func abort() async {}
}
