import Foundation
import GoText
import OCI
import Store
import Synchronization

/// The caches a build was given with `--cache-from` (a registry cache, a local cache directory, an image's inline
/// cache), already read: each maps step keys to the layer chains they left, and fetches a blob into the store when
/// a step is taken from it. A step is taken only when the cache's chain for its key continues the chain the build
/// holds at that point by at most one layer, so a cache can never splice foreign layers under a step.
public struct ImportedBuildCache: Sendable {
    public struct Source: Sendable {
        /// How the cache was named (for messages).
        public var name: String
        public var results: [String: CachedStepResult]
        /// An image named as a cache: its layers and history, for steps its keys do not answer.
        public var image: CacheImageHistory?
        /// Puts one of the cache's blobs into the store, checked against its digest.
        public var fetch: @Sendable (Descriptor) async throws -> Void

        public init(name: String, results: [String: CachedStepResult], image: CacheImageHistory? = nil,
                    fetch: @escaping @Sendable (Descriptor) async throws -> Void) {
            self.name = name
            self.results = results
            self.image = image
            self.fetch = fetch
        }
    }

    public var sources: [Source]

    public init(sources: [Source]) { self.sources = sources }

    /// The step `key` from the first cache that has it over `layers`: its layer (nil for a step that changed
    /// nothing), fetched into the store and recorded in the store's own cache under `description`, and its time.
    /// Failing that, a step whose history line says everything it does (`history`: the stage's history so far, nil
    /// for a step whose inputs the line leaves out) is taken from an image whose history and layers agree so far.
    /// Nil when no cache has it, or its blob could not be fetched (the step then runs).
    func take(key: String, after layers: [StoredLayer], description: String, history: [History]?, store: ImageStore) async
        -> (layer: StoredLayer?, created: Timestamp)? {
        if let found = await takeByKey(key: key, after: layers, description: description, store: store) { return found }
        guard let history else { return nil }
        for source in sources {
            guard let image = source.image, let next = image.step(after: history, layers: layers, createdBy: description) else { continue }
            if let taken = await adopt(next.layer, from: source, key: key, description: description,
                                       created: next.created ?? Timestamp.now(), store: store) {
                return taken
            }
        }
        return nil
    }

    /// Records the step `key` in the store's cache: with `new` fetched first (unless stored), or with no layer for a
    /// step that changed nothing. Nil when the blob cannot be had or the record not written.
    private func adopt(_ new: CacheLayerReference?, from source: Source, key: String, description: String, created: Timestamp,
                       store: ImageStore) async -> (layer: StoredLayer?, created: Timestamp)? {
        guard let new else {
            guard (try? store.recordBuildStep(key: key, layer: nil, description: description, created: created)) != nil else { return nil }
            return (nil, created)
        }
        guard let diffID = new.diffID else { return nil }
        do {
            if !store.blobs.contains(new.descriptor.digest) { try await source.fetch(new.descriptor) }
            // Kept pending, as a pulled layer is: the blob's digest is proven, its diffID when first unpacked.
            let layer = StoredLayer(blobDigest: new.descriptor.digest, diffID: diffID, mediaType: new.descriptor.mediaType,
                                    blobSize: new.descriptor.size, contentSize: nil)
            try store.recordBuildStep(key: key, layer: layer, description: description, created: created)
            return (try store.cachedBuildStep(key: key)?.layer ?? layer, created)
        } catch {
            return nil
        }
    }

    private func takeByKey(key: String, after layers: [StoredLayer], description: String, store: ImageStore) async
        -> (layer: StoredLayer?, created: Timestamp)? {
        for source in sources {
            guard let result = source.results[key],
                  result.layers.count == layers.count || result.layers.count == layers.count + 1,
                  zip(result.layers, layers).allSatisfy({ $0.descriptor.digest == $1.blobDigest }) else { continue }
            let new = result.layers.count > layers.count ? result.layers[layers.count] : nil
            if let taken = await adopt(new, from: source, key: key, description: description,
                                       created: result.createdAt ?? Timestamp.now(), store: store) {
                return taken
            }
        }
        return nil
    }
}

/// An image named as a cache, read as docker's classic builder reads `--cache-from` images: a step is the image's
/// next one when everything before it agrees (the same history lines, empty or not, and the same layers by
/// diffID) and its history line is the step's. Only steps whose line says all they do ask (RUN without mounts or
/// inline files, WORKDIR); COPY runs, and the chain goes on when its layer is the image's next one.
public struct CacheImageHistory: Sendable, Hashable {
    public var layers: [CacheLayerReference]
    public var history: [History]

    public init(layers: [CacheLayerReference], history: [History]) {
        self.layers = layers
        self.history = history
    }

    func step(after ours: [History], layers built: [StoredLayer], createdBy: String) -> (layer: CacheLayerReference?, created: Timestamp?)? {
        guard history.count > ours.count,
              zip(ours, history).allSatisfy({ $0.createdBy == $1.createdBy && $0.isEmptyLayer == $1.isEmptyLayer }) else { return nil }
        let next = history[ours.count]
        guard next.createdBy == createdBy else { return nil }
        let layerCount = history.prefix(ours.count).filter { !$0.isEmptyLayer }.count
        guard layerCount == built.count, layers.count >= layerCount,
              zip(layers, built).allSatisfy({ $0.diffID == $1.diffID }) else { return nil }
        if next.isEmptyLayer { return (nil, next.created) }
        guard layers.count > layerCount else { return nil }
        return (layers[layerCount], next.created)
    }
}

/// Every step a build settled (run, found in the store, or taken from an imported cache) with the chain it left:
/// what `--cache-to` exports and an inline cache records.
final class StepResultLog: Sendable {
    private let results = Mutex<[String: CachedStepResult]>([:])

    func record(key: String, parentKey: String?, layers: [StoredLayer], created: Timestamp?) {
        let chain = layers.map { layer in
            CacheLayerReference(descriptor: Descriptor(mediaType: layer.mediaType, digest: layer.blobDigest, size: layer.blobSize),
                                diffID: layer.diffID)
        }
        let result = CachedStepResult(key: key, parentKey: parentKey, layers: chain, createdAt: created)
        results.withLock { $0[key] = result }
    }

    /// Records steps another solve settled (a stage the solves of a multi-platform build share).
    func record(_ steps: [CachedStepResult]) {
        results.withLock { results in for step in steps { results[step.key] = step } }
    }

    var all: [CachedStepResult] { results.withLock { Array($0.values) } }

    /// The steps `key` was derived from, base first, ending with `key` itself: what a `mode=min` export keeps.
    func chain(endingAt key: String) -> [CachedStepResult] {
        results.withLock { results in
            var chain: [CachedStepResult] = []
            var current: String? = key
            var seen = Set<String>()
            while let next = current, seen.insert(next).inserted, let result = results[next] {
                chain.append(result)
                current = result.parentKey
            }
            return chain.reversed()
        }
    }
}
