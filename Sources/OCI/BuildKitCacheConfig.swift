import Foundation
import GoText

/// BuildKit's description of a build cache (`application/vnd.buildkit.cacheconfig.v0`, the config blob of a
/// `--cache-to type=registry|local` export) and of an inline cache (the `moby.buildkit.cache.v0` key of an image
/// config: the records alone, base64 of their JSON, a result's `layer` counting the image's own layers).
///
/// A record is one cache key (`digest`); `inputs` link it to the records it was derived from; a result names the
/// top of the layer chain the step left, each layer pointing at its parent (`parent`, -1 for none; Go omits 0). Read
/// and written by hand from the format's published shape: no Swift library knows it.
public struct BuildKitCacheConfig: Codable, Sendable, Equatable {
    public static let mediaType = "application/vnd.buildkit.cacheconfig.v0"
    /// The image config key an inline cache travels under.
    public static let inlineConfigKey = "moby.buildkit.cache.v0"

    public struct Layer: Codable, Sendable, Equatable {
        public var blob: String
        public var parent: Int
        public var annotations: LayerAnnotations?

        public init(blob: String, parent: Int, annotations: LayerAnnotations? = nil) {
            self.blob = blob
            self.parent = parent
            self.annotations = annotations
        }

        enum CodingKeys: String, CodingKey { case blob, parent, annotations }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            blob = try c.decode(String.self, forKey: .blob)
            parent = try c.decodeIfPresent(Int.self, forKey: .parent) ?? 0
            annotations = try c.decodeIfPresent(LayerAnnotations.self, forKey: .annotations)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(blob, forKey: .blob)
            if parent != 0 { try c.encode(parent, forKey: .parent) }
            try c.encodeIfPresent(annotations, forKey: .annotations)
        }
    }

    public struct LayerAnnotations: Codable, Sendable, Equatable {
        public var mediaType: String?
        public var diffID: String?
        public var size: Int64?
        public var createdAt: String?

        public init(mediaType: String? = nil, diffID: String? = nil, size: Int64? = nil, createdAt: String? = nil) {
            self.mediaType = mediaType
            self.diffID = diffID
            self.size = size
            self.createdAt = createdAt
        }
    }

    public struct Record: Codable, Sendable, Equatable {
        public var results: [Result]?
        public var digest: String
        public var inputs: [[Input]]?

        public init(results: [Result]? = nil, digest: String, inputs: [[Input]]? = nil) {
            self.results = results
            self.digest = digest
            self.inputs = inputs
        }

        enum CodingKeys: String, CodingKey {
            case results = "layers"
            case digest, inputs
        }
    }

    public struct Result: Codable, Sendable, Equatable {
        public var layer: Int
        public var createdAt: String?

        public init(layer: Int, createdAt: String? = nil) {
            self.layer = layer
            self.createdAt = createdAt
        }
    }

    public struct Input: Codable, Sendable, Equatable {
        public var selector: String?
        public var link: Int

        public init(selector: String? = nil, link: Int) {
            self.selector = selector
            self.link = link
        }
    }

    public var layers: [Layer]
    public var records: [Record]

    public init(layers: [Layer] = [], records: [Record] = []) {
        self.layers = layers
        self.records = records
    }

    enum CodingKeys: String, CodingKey { case layers, records }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        layers = try c.decodeIfPresent([Layer].self, forKey: .layers) ?? []
        records = try c.decodeIfPresent([Record].self, forKey: .records) ?? []
    }

    /// The JSON of a document, the same bytes for the same content (sorted keys), so an inline cache does not
    /// change an image's digest from one build to the next.
    public static func canonicalJSON<T: Encodable>(_ value: T) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)) ?? Data()
    }
}

/// One layer of a cached result: the blob as the cache holds it and what it unpacks to.
public struct CacheLayerReference: Sendable, Hashable {
    public var descriptor: Descriptor
    public var diffID: Digest?

    public init(descriptor: Descriptor, diffID: Digest?) {
        self.descriptor = descriptor
        self.diffID = diffID
    }
}

/// What a cache says one step (one key) produced: the whole layer chain the step left, and when.
public struct CachedStepResult: Sendable, Hashable {
    public var key: String
    /// The key this one was derived from (the step before, or the base image); nil at the start of a chain.
    public var parentKey: String?
    public var layers: [CacheLayerReference]
    /// When the step's layer was made, as the cache wrote it.
    public var createdAt: Timestamp?

    public init(key: String, parentKey: String?, layers: [CacheLayerReference], createdAt: Timestamp?) {
        self.key = key
        self.parentKey = parentKey
        self.layers = layers
        self.createdAt = createdAt
    }
}

/// A cache document that cannot be used; the build warns and goes on without it.
public struct CacheFormatError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension BuildKitCacheConfig {
    /// The steps a document describes, each with its chain of layers. `descriptors` are the export's own blob
    /// descriptors (a registry cache lists them in its index) and fill in what a layer's annotations leave out.
    /// A layer that points outside the document, a loop of parents, or a blob that is not a digest makes the whole
    /// document unusable: a cache that lies about one chain may lie about others.
    public func stepResults(descriptors: [Digest: Descriptor] = [:]) throws(CacheFormatError) -> [String: CachedStepResult] {
        var chains: [Int: [CacheLayerReference]] = [:]
        func chain(_ index: Int) throws(CacheFormatError) -> [CacheLayerReference] {
            if let known = chains[index] { return known }
            var indices: [Int] = []
            var current = index
            while current >= 0 {
                guard current < layers.count else { throw CacheFormatError("layer \(current) is not in the cache") }
                guard indices.count <= layers.count, !indices.contains(current) else {
                    throw CacheFormatError("the cache's layers form a loop")
                }
                indices.append(current)
                current = layers[current].parent
            }
            var result: [CacheLayerReference] = []
            for position in indices.reversed() {
                let layer = layers[position]
                guard let digest = try? Digest(layer.blob) else { throw CacheFormatError("invalid layer blob digest \(GoQuote.quote(layer.blob))") }
                let known = descriptors[digest]
                let mediaType = layer.annotations?.mediaType ?? known?.mediaType ?? MediaType.ociLayerGzip
                guard let size = layer.annotations?.size ?? known?.size, size >= 0 else {
                    throw CacheFormatError("layer \(digest) has no size")
                }
                let diffText = layer.annotations?.diffID ?? known?.annotations?["containerd.io/uncompressed"]
                let diffID = diffText.flatMap { try? Digest($0) }
                result.append(CacheLayerReference(descriptor: Descriptor(mediaType: mediaType, digest: digest, size: size),
                                                  diffID: diffID))
            }
            chains[index] = result
            return result
        }
        var results: [String: CachedStepResult] = [:]
        for record in records {
            let parentKey = record.inputs?.first?.first.flatMap { input in
                records.indices.contains(input.link) ? records[input.link].digest : nil
            }
            guard let first = record.results?.first else {
                // A record without a result stands for an empty chain only when nothing came before it.
                if parentKey == nil { results[record.digest] = CachedStepResult(key: record.digest, parentKey: nil, layers: [], createdAt: nil) }
                continue
            }
            let created = first.createdAt.flatMap { try? Timestamp($0) }
            results[record.digest] = CachedStepResult(key: record.digest, parentKey: parentKey, layers: try chain(first.layer),
                                                      createdAt: created)
        }
        return results
    }

    /// An inline cache's records over an image's layers (`layers[i]` the image's i-th layer).
    public static func inlineStepResults(_ data: Data, imageLayers: [CacheLayerReference]) throws(CacheFormatError) -> [String: CachedStepResult] {
        let records: [Record]
        do { records = try JSONDecoder().decode([Record].self, from: data) } catch {
            throw CacheFormatError("the inline cache is not BuildKit's record list")
        }
        var document = BuildKitCacheConfig(records: records)
        document.layers = imageLayers.enumerated().map { position, layer in
            Layer(blob: layer.descriptor.digest.description, parent: position - 1,
                  annotations: LayerAnnotations(mediaType: layer.descriptor.mediaType, diffID: layer.diffID?.description,
                                                size: layer.descriptor.size))
        }
        return try document.stepResults()
    }

    /// A document for `steps` (records sorted by key, so the same steps give the same bytes). Each layer carries
    /// its media type, diffID and size as annotations.
    public init(steps: [CachedStepResult]) {
        let sorted = steps.sorted { $0.key < $1.key }
        var layerIndex: [String: Int] = [:]   // "parent-index blob" → index
        var layers: [Layer] = []
        var tops: [Int] = []
        for step in sorted {
            var parent = -1
            for layer in step.layers {
                let identity = "\(parent) \(layer.descriptor.digest)"
                if let known = layerIndex[identity] { parent = known; continue }
                layers.append(Layer(blob: layer.descriptor.digest.description, parent: parent,
                                    annotations: LayerAnnotations(mediaType: layer.descriptor.mediaType,
                                                                  diffID: layer.diffID?.description, size: layer.descriptor.size)))
                parent = layers.count - 1
                layerIndex[identity] = parent
            }
            tops.append(parent)
        }
        let position = Dictionary(sorted.enumerated().map { ($0.element.key, $0.offset) }, uniquingKeysWith: { first, _ in first })
        self.layers = layers
        self.records = zip(sorted, tops).map { step, top in
            Record(results: top < 0 ? nil : [Result(layer: top, createdAt: step.createdAt?.rawValue)],
                   digest: step.key,
                   inputs: step.parentKey.flatMap { position[$0] }.map { [[Input(link: $0)]] })
        }
    }

    /// The inline form of `steps` over an image whose layers are `imageLayers`: only steps whose chain is a prefix of
    /// the image's layers can be said this way (what BuildKit's inline export keeps: the image's own chain).
    public static func inlineRecords(steps: [CachedStepResult], imageLayers: [Digest]) -> Data {
        let kept = steps.filter { step in
            step.layers.count <= imageLayers.count && zip(step.layers, imageLayers).allSatisfy { $0.descriptor.digest == $1 }
        }.sorted { $0.key < $1.key }
        let position = Dictionary(kept.enumerated().map { ($0.element.key, $0.offset) }, uniquingKeysWith: { first, _ in first })
        let records = kept.map { step in
            Record(results: step.layers.isEmpty ? nil : [Result(layer: step.layers.count - 1, createdAt: step.createdAt?.rawValue)],
                   digest: step.key, inputs: step.parentKey.flatMap { position[$0] }.map { [[Input(link: $0)]] })
        }
        return canonicalJSON(records)
    }
}
