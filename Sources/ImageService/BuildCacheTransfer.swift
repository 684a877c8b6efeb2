import Foundation
import GoText
import ImageBuilder
import OCI
import Registry
import Store
import Transport

/// `--cache-from` and `--cache-to` in BuildKit's formats, so that a cache outlives the store that made it (a CI
/// runner's store is new each time):
/// - a registry cache: an OCI index under `ref` listing the layer blobs and the cache config
///   (`application/vnd.buildkit.cacheconfig.v0`); an image manifest whose config is the cache config is read too;
/// - a local cache: the same index in an OCI layout directory, named by `tag` (default `latest`);
/// - an inline cache: the records in an image's config (`moby.buildkit.cache.v0`), read from any image reference.
/// Blobs are fetched only for the steps a build takes from the cache, each checked against its digest.
extension ImageService {
    /// Turns the specs into what the builder reads and writes; a registry is reached through `client`.
    func cacheExchange(from sources: [BuildCacheSpec], to exports: [BuildCacheSpec], platform: Platform, client: RegistryClient)
        throws -> (sources: [BuildCacheSource], exports: [BuildCacheExport]) {
        let store = try store()
        let matcher = PlatformMatcher(for: platform)
        let imported = try sources.map { spec -> BuildCacheSource in
            let (source, reference) = try Self.descriptorSource(spec, client: client, platform: matcher)
            return BuildCacheSource(name: spec.displayName) {
                guard let top = try await source.manifest(reference) else {
                    throw ServiceError(.notFound, "\(spec.displayName): not found")
                }
                let (results, image) = try await Self.cacheResults(top, from: source, platform: matcher)
                let destination = StoreDestination(store: store, action: "build")
                return ImportedBuildCache.Source(name: spec.displayName, results: results, image: image) { blob in
                    try await destination.copyBlob(blob, from: source)
                }
            }
        }
        let exported = try exports.filter { $0.kind != .inline }.map { spec -> BuildCacheExport in
            let (destination, tag) = try Self.descriptorDestination(spec, client: client)
            let blobs = StoreSource(store: store, images: [])
            return BuildCacheExport(name: spec.displayName, mode: spec.mode, ignoresErrors: spec.ignoresErrors) { steps, status in
                try await Self.writeCache(steps, from: blobs, to: destination, tag: tag, status: status)
            }
        }
        return (imported, exported)
    }

    private static func reference(_ spec: BuildCacheSpec) throws -> ImageReference {
        let text = spec.reference ?? ""
        do {
            let reference = try ImageReference(text)
            return reference.digest == nil ? reference.withDefaultTag() : reference
        } catch {
            throw ServiceError(.invalidArgument, "invalid cache reference \(GoQuote.quote(text)): \(error)")
        }
    }

    private static func descriptorSource(_ spec: BuildCacheSpec, client: RegistryClient, platform: PlatformMatcher) throws
        -> (any DescriptorSource, String) {
        switch spec.kind {
        case .registry, .inline:
            let reference = try reference(spec)
            let source = RegistrySource(client: client, reference: reference, platform: platform)
            return (source, source.manifestReference)
        case .local:
            return (OCILayoutDescriptors(root: spec.directory ?? "."), spec.tag)
        }
    }

    private static func descriptorDestination(_ spec: BuildCacheSpec, client: RegistryClient) throws -> (any DescriptorDestination, String) {
        switch spec.kind {
        case .registry, .inline:
            let reference = try reference(spec)
            return (RegistryDestination(client: client, reference: reference), reference.digest?.description ?? reference.tag ?? "latest")
        case .local:
            return (OCILayoutDescriptors(root: spec.directory ?? "."), spec.tag)
        }
    }

    /// The steps a cache's top manifest describes: a cache index (or a cache image manifest), or an image (an
    /// index's entry for `platform`): the steps of its inline cache, if it carries one, and its history.
    static func cacheResults(_ top: TransportManifest, from source: any DescriptorSource, platform: PlatformMatcher) async throws
        -> (results: [String: CachedStepResult], image: CacheImageHistory?) {
        var manifest = top
        if MediaType.isIndex(top.mediaType) {
            let index = try decode(ImageIndex.self, top.data, what: "cache index")
            if let config = index.manifests.first(where: { $0.mediaType == BuildKitCacheConfig.mediaType }) {
                let blobs = Dictionary(index.manifests.map { ($0.digest, $0) }, uniquingKeysWith: { first, _ in first })
                return (try cacheConfig(try await source.readBlob(config), descriptors: blobs), nil)
            }
            guard let entry = platform.best(in: index.manifests) else {
                throw ServiceError(.notFound, "no cache for \(platform.wanted) in the index")
            }
            guard let child = try await source.manifest(entry.digest.description), child.digest == entry.digest else {
                throw ServiceError(.notFound, "the index entry \(entry.digest) is missing")
            }
            manifest = child
        }
        let image = try decode(ImageManifest.self, manifest.data, what: "cache manifest")
        if image.config.mediaType == BuildKitCacheConfig.mediaType {
            let blobs = Dictionary(image.layers.map { ($0.digest, $0) }, uniquingKeysWith: { first, _ in first })
            return (try cacheConfig(try await source.readBlob(image.config), descriptors: blobs), nil)
        }
        // An image: its inline cache, over its own layers.
        let configData = try await source.readBlob(image.config)
        let config = try decode(ImageConfig.self, configData, what: "image config")
        guard config.rootfs.diffIDs.count == image.layers.count else {
            throw ServiceError(.invalidArgument, "the image's config and manifest disagree on its layers")
        }
        let layers = zip(image.layers, config.rootfs.diffIDs).map { CacheLayerReference(descriptor: $0, diffID: $1) }
        let history = CacheImageHistory(layers: layers, history: config.history ?? [])
        guard let inline = config.extraFields[BuildKitCacheConfig.inlineConfigKey] else { return ([:], history) }
        guard case .string(let encoded) = inline, let records = Data(base64Encoded: encoded) else {
            throw ServiceError(.invalidArgument, "corrupt inline cache: not base64 text")
        }
        do { return (try BuildKitCacheConfig.inlineStepResults(records, imageLayers: layers), history) } catch {
            throw ServiceError(.invalidArgument, "corrupt inline cache: \(error)")
        }
    }

    private static func cacheConfig(_ data: Data, descriptors: [Digest: Descriptor]) throws -> [String: CachedStepResult] {
        let config = try decode(BuildKitCacheConfig.self, data, what: "cache config")
        do { return try config.stepResults(descriptors: descriptors) } catch {
            throw ServiceError(.invalidArgument, "corrupt cache config: \(error)")
        }
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ data: Data, what: String) throws -> T {
        do { return try JSONDecoder().decode(type, from: data) } catch {
            throw ServiceError(.invalidArgument, "corrupt \(what): not valid JSON of its kind")
        }
    }

    /// Writes `steps` as BuildKit's registry cache: each layer blob (unless there), the cache config, then the index
    /// naming them, under `tag`. Layers keep their stored encoding, so a cache costs no compression.
    static func writeCache(_ steps: [CachedStepResult], from blobs: any DescriptorSource, to destination: any DescriptorDestination,
                           tag: String, status: @escaping @Sendable (String) -> Void) async throws {
        var layers: [Digest: CacheLayerReference] = [:]
        var order: [Digest] = []
        for step in steps.sorted(by: { $0.key < $1.key }) {
            for layer in step.layers where layers[layer.descriptor.digest] == nil {
                layers[layer.descriptor.digest] = layer
                order.append(layer.descriptor.digest)
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var running = 0
            for digest in order {
                if running >= 4 { try await group.next(); running -= 1 }
                let blob = layers[digest]!.descriptor
                group.addTask {
                    try await destination.copyBlob(blob, from: blobs)
                    status("writing layer \(blob.digest) done")
                }
                running += 1
            }
            try await group.waitForAll()
        }
        let configData = BuildKitCacheConfig.canonicalJSON(BuildKitCacheConfig(steps: steps))
        let config = Descriptor(mediaType: BuildKitCacheConfig.mediaType, digest: Digest.sha256(configData), size: Int64(configData.count))
        try await destination.putBlob(configData, as: config)
        status("writing config \(config.digest) done")
        let entries = order.map { digest -> Descriptor in
            let layer = layers[digest]!
            var descriptor = layer.descriptor
            if let diffID = layer.diffID { descriptor.annotations = ["containerd.io/uncompressed": diffID.description] }
            return descriptor
        } + [config]
        let index = TransportManifest(data: GoJSON.encode(ImageIndex(manifests: entries)), mediaType: MediaType.ociIndex)
        try await destination.putManifest(index, tag: tag)
        status("writing manifest \(index.digest) done")
    }
}
