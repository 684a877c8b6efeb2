import Foundation
import ImageBuilder
import Scan
import OCI
import Store
import Transport

/// The operations on the store alone: names (tag, remove, prune), import, load and save.
extension ImageService {
    /// Resolves a name, a full ID or a unique ID prefix as dockerd does.
    public func image(_ nameOrID: String) throws -> StoredImage {
        try store().resolve(nameOrID)
    }

    /// Points `target` at what `source` names; a name that stands for a multi-platform index passes the index on.
    @discardableResult
    public func tag(_ source: String, as target: ImageReference) throws -> StoredImage {
        guard target.digest == nil else {
            throw ServiceError(.invalidArgument, "refusing to create a tag with a digest reference")
        }
        let store = try store()
        let image = try store.resolve(source)
        let index = (try? ImageReference(source)).flatMap { try? store.target(named: $0)?.indexDigest }
        try store.tag(image, as: target, index: index)
        return image
    }

    /// `rmi`: untags, and deletes the image (and the layers only it used) once nothing names it.
    public func remove(_ nameOrID: String, force: Bool) throws -> [RemovalRecord] {
        try reconcileContainers(store())
        let records = try store().remove(nameOrID, force: force)
        for case .deleted(let id) in records {
            if let digest = try? Digest(id) { catalogCache.forget(digest) }
        }
        return records
    }

    /// `image prune`: dangling images (every image with `all`) that `keep` accepts, then unreferenced blobs.
    public func prune(all: Bool, keep: @escaping @Sendable (StoredImage) -> Bool = { _ in true }) throws -> ImageStore.PruneResult {
        let result = try store().prune(all: all, keep: keep)
        try sweepCatalogCache()
        return result
    }

    /// Drops the catalogs of images no longer stored.
    func sweepCatalogCache() throws {
        catalogCache.sweep(keeping: Set(try store().images().map(\.id)))
    }

    /// What `system prune` removed: stopped containers, images, then build cache entries, and the bytes freed.
    public struct SystemPruneResult: Sendable {
        public var containers: [String] = []
        public var containerBytes: Int64 = 0
        public var images: ImageStore.PruneResult
        public var buildCache: BuildCachePruneResult
        public var reclaimedBytes: Int64 { containerBytes + images.reclaimedBytes + buildCache.reclaimedBytes }
    }

    /// `system prune`: stopped containers, dangling images (every unused image with `all`), then the build cache (all
    /// of it with `all`, else entries whose layer no image uses) and the snapshot trees builds keep. Strata keeps no
    /// networks, and volumes live inside their container, so there is nothing else to remove.
    public func systemPrune(all: Bool) throws -> SystemPruneResult {
        let store = try store()
        let containers = try pruneContainers()
        let images = try store.prune(all: all, keep: { _ in true })
        var cache = try store.pruneBuildCache(all: all)
        cache.reclaimedBytes += try SnapshotPrune.prune(store: store, all: all)
        try sweepCatalogCache()
        return SystemPruneResult(containers: containers.removed, containerBytes: containers.reclaimedBytes, images: images,
                                 buildCache: cache)
    }

    /// `import`: a root filesystem (tarball, stdin or directory) as a one-layer image.
    public func importImage(from source: ImageImporter.Source, config: ContainerConfig, message: String?,
                            reference: ImageReference?, platform: Platform = .current) throws -> StoredImage {
        try ImageImporter(store: store()).importImage(from: source, config: config, message: message, reference: reference,
                                                      platform: platform)
    }

    /// `load`: every image (and multi-platform index) of a docker-archive or OCI layout; `committed` sees each as
    /// it is recorded, so names can be reported while the rest loads.
    @discardableResult
    public func load(_ input: ArchiveLoader.Input, committed: (@Sendable (StoreDestination.Committed) -> Void)? = nil) async throws
        -> [StoreDestination.Committed] {
        try await ArchiveLoader(store: store()).load(input, onCommit: committed)
    }

    /// Where `save` writes.
    public enum SaveFormat: String, Sendable, CaseIterable {
        /// `docker save`'s tar (with an OCI index beside manifest.json, as docker 25 writes).
        case dockerArchive = "docker-archive"
        /// An OCI image layout as a tar.
        case ociArchive = "oci"
        /// An OCI image layout directory.
        case ociDirectory = "oci-dir"
    }

    /// `save`: the images the names pick (a single name that stands for a multi-platform index is saved whole in
    /// the OCI formats) to `sink` (a tar) or, for `ociDirectory`, to `directory`. Logs a `save` event per image.
    public func save(_ names: [String], format: SaveFormat, to sink: TarSink?, directory: String?) async throws {
        let store = try store()
        let source: StoreSource
        do {
            if format != .dockerArchive, names.count == 1, let reference = try? ImageReference(names[0]),
               let index = try store.target(named: reference)?.indexDigest {
                source = try StoreSource(store: store, index: index, names: [reference.withDefaultTag()])
            } else {
                source = try StoreSource(store: store, names: names)
            }
        } catch {
            throw UnresolvedNames(cause: error)
        }
        switch format {
        case .ociDirectory:
            guard let directory else { throw ServiceError(.invalidArgument, "--format oci-dir needs -o DIRECTORY") }
            try await ImageCopier().copy(from: source, to: try OCILayoutDestination(directory: directory))
        case .ociArchive, .dockerArchive:
            guard let sink else { throw ServiceError(.invalidArgument, "no output for the archive") }
            let destination: any ImageDestination = format == .ociArchive
                ? OCILayoutDestination(sink: sink) : DockerArchiveDestination(sink: sink)
            try await ImageCopier().copy(from: source, to: destination)
        }
        for entry in source.selection {
            try? store.log(action: "save", actorID: entry.image.id.description,
                           attributes: entry.image.labels.merging(["name": entry.image.id.description]) { _, new in new })
        }
    }
}

/// `save` could not pick its images: nothing was written (dockerd answers before streaming).
public struct UnresolvedNames: Error, KindedError, CustomStringConvertible {
    public let cause: any Error
    public var kind: ErrorKind { ErrorKind.of(cause) }
    public var description: String { "\(cause)" }
}
