import Archive
import Foundation
import OCI
import Store

/// `strata load`: a docker-archive or OCI layout (tar, possibly compressed, or directory) into the store.
///
/// The input is read once, front to back; layers go into the store as they pass (see `ArchiveStager`), then
/// the images are resolved and committed through `ImageCopier` into a `StoreDestination`. If anything fails
/// before an image is committed, the blobs this load added are removed again.
public struct ArchiveLoader {
    public enum Input: Sendable, Equatable {
        /// A tar stream (file or pipe; plain, gzip, bzip2, xz or zstd).
        case stream(fileDescriptor: Int32)
        /// An OCI layout directory.
        case directory(String)
    }

    public let store: ImageStore

    public init(store: ImageStore) { self.store = store }

    /// Loads every image in the input; `onCommit` sees each one as it is recorded.
    @discardableResult
    public func load(_ input: Input, onCommit: (@Sendable (StoreDestination.Committed) -> Void)? = nil) async throws
        -> [StoreDestination.Committed] {
        let lease = try store.ingestLease.acquireShared()
        defer { lease.release() }
        let stager = ArchiveStager(store: store)
        let destination = StoreDestination(store: store, action: "load")
        destination.onCommit = onCommit
        do {
            switch input {
            case .stream(let fd):
                try stager.stage(tar: TarEntryReader(input: try DecompressingInput(fileDescriptor: fd)))
            case .directory(let path):
                try stager.stage(directory: path)
            }
            let resolved = try ArchiveResolver(stager: stager, keepIndexes: true).resolve()
            let source = StagedArchiveSource(store: store, images: resolved.images, indexes: resolved.indexes)
            try await ImageCopier().copy(from: source, to: destination)
        } catch {
            if destination.committed.isEmpty { stager.discardCreatedBlobs() }
            throw error
        }
        return destination.committed
    }
}

/// The images of a staged archive, and the indexes kept whole over some of them; their layers already sit in the
/// store.
struct StagedArchiveSource: IndexedImageSource {
    let store: ImageStore
    let resolved: [TransportImage]
    let resolvedIndexes: [TransportIndex]

    init(store: ImageStore, images: [TransportImage], indexes: [TransportIndex] = []) {
        self.store = store
        resolved = images
        resolvedIndexes = indexes
    }

    func images() async throws -> [TransportImage] { resolved }

    func index() async throws -> TransportIndex? { resolvedIndexes.first }

    func indexes() async throws -> [TransportIndex] { resolvedIndexes }

    func openLayer(_ layer: TransportLayer, as delivery: LayerDelivery) async throws -> any BlobReader {
        let path = store.blobs.path(for: layer.blob.digest)
        return delivery == .uncompressed && !layer.isUncompressed ? try DecompressingBlobReader(path: path)
                                                                   : try FileBlobReader(path: path)
    }
}
