import Foundation
import GoText

/// A pointer to content: media type, digest and size, plus optional platform and annotations (OCI descriptor).
public struct Descriptor: Hashable, Sendable, Codable, GoJSONRepresentable {
    public var mediaType: String
    public var digest: Digest
    public var size: Int64
    public var urls: [String]?
    public var annotations: [String: String]?
    /// Embedded content (base64 in JSON).
    public var data: Data?
    public var platform: Platform?
    public var artifactType: String?

    public init(mediaType: String, digest: Digest, size: Int64, urls: [String]? = nil,
                annotations: [String: String]? = nil, data: Data? = nil, platform: Platform? = nil, artifactType: String? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.urls = urls
        self.annotations = annotations
        self.data = data
        self.platform = platform
        self.artifactType = artifactType
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        mediaType = try c.decodeIfPresent(String.self, forKey: .mediaType) ?? ""
        digest = try c.decode(Digest.self, forKey: .digest)
        size = try c.decodeIfPresent(Int64.self, forKey: .size) ?? 0
        urls = try c.decodeIfPresent([String].self, forKey: .urls)
        annotations = try c.decodeIfPresent([String: String].self, forKey: .annotations)
        data = try c.decodeIfPresent(Data.self, forKey: .data)
        platform = try c.decodeIfPresent(Platform.self, forKey: .platform)
        artifactType = try c.decodeIfPresent(String.self, forKey: .artifactType)
    }

    /// The reference annotation OCI layouts use to name an image: `org.opencontainers.image.ref.name`.
    public static let refNameAnnotation = "org.opencontainers.image.ref.name"
    /// containerd / docker's full-name annotation in exported OCI layouts: `io.containerd.image.name`.
    public static let containerdImageNameAnnotation = "io.containerd.image.name"

    /// Field order of the image-spec Go struct, omitting empty optionals.
    public var goJSON: JSONValue {
        var o = JSONObjectBuilder()
        o.add("mediaType", .string(mediaType))
        o.add("digest", .string(digest.description))
        o.add("size", .integer(size))
        if let urls, !urls.isEmpty { o.add("urls", .strings(urls)) }
        if let annotations, !annotations.isEmpty { o.add("annotations", .stringMap(annotations)) }
        if let data, !data.isEmpty { o.add("data", .string(data.base64EncodedString())) }
        o.add("platform", platform)
        o.addNonEmpty("artifactType", artifactType)
        return o.object
    }
}

/// A single-platform image manifest (OCI image manifest or Docker schema 2 manifest).
public struct ImageManifest: Hashable, Sendable, Codable, GoJSONRepresentable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var artifactType: String?
    public var config: Descriptor
    public var layers: [Descriptor]
    public var subject: Descriptor?
    public var annotations: [String: String]?

    public init(mediaType: String? = MediaType.ociManifest, config: Descriptor, layers: [Descriptor],
                subject: Descriptor? = nil, annotations: [String: String]? = nil, artifactType: String? = nil) {
        self.schemaVersion = 2
        self.mediaType = mediaType
        self.artifactType = artifactType
        self.config = config
        self.layers = layers
        self.subject = subject
        self.annotations = annotations
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try c.decodeIfPresent(Int.self, forKey: .schemaVersion) ?? 0
        mediaType = try c.decodeIfPresent(String.self, forKey: .mediaType)
        artifactType = try c.decodeIfPresent(String.self, forKey: .artifactType)
        config = try c.decode(Descriptor.self, forKey: .config)
        layers = try c.decodeIfPresent([Descriptor].self, forKey: .layers) ?? []
        subject = try c.decodeIfPresent(Descriptor.self, forKey: .subject)
        annotations = try c.decodeIfPresent([String: String].self, forKey: .annotations)
    }

    public var goJSON: JSONValue {
        var o = JSONObjectBuilder()
        o.add("schemaVersion", .integer(Int64(schemaVersion)))
        o.addNonEmpty("mediaType", mediaType)
        o.addNonEmpty("artifactType", artifactType)
        o.add("config", config.goJSON)
        o.add("layers", .array(layers.map(\.goJSON)))
        o.add("subject", subject)
        if let annotations, !annotations.isEmpty { o.add("annotations", .stringMap(annotations)) }
        return o.object
    }
}

/// A multi-platform index (OCI image index or Docker manifest list); also the shape of an OCI layout's `index.json`.
public struct ImageIndex: Hashable, Sendable, Codable, GoJSONRepresentable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var artifactType: String?
    public var manifests: [Descriptor]
    public var subject: Descriptor?
    public var annotations: [String: String]?

    public init(mediaType: String? = MediaType.ociIndex, manifests: [Descriptor], annotations: [String: String]? = nil,
                subject: Descriptor? = nil, artifactType: String? = nil) {
        self.schemaVersion = 2
        self.mediaType = mediaType
        self.artifactType = artifactType
        self.manifests = manifests
        self.subject = subject
        self.annotations = annotations
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try c.decodeIfPresent(Int.self, forKey: .schemaVersion) ?? 0
        mediaType = try c.decodeIfPresent(String.self, forKey: .mediaType)
        artifactType = try c.decodeIfPresent(String.self, forKey: .artifactType)
        manifests = try c.decodeIfPresent([Descriptor].self, forKey: .manifests) ?? []
        subject = try c.decodeIfPresent(Descriptor.self, forKey: .subject)
        annotations = try c.decodeIfPresent([String: String].self, forKey: .annotations)
    }

    public var goJSON: JSONValue {
        var o = JSONObjectBuilder()
        o.add("schemaVersion", .integer(Int64(schemaVersion)))
        o.addNonEmpty("mediaType", mediaType)
        o.addNonEmpty("artifactType", artifactType)
        o.add("manifests", .array(manifests.map(\.goJSON)))
        o.add("subject", subject)
        if let annotations, !annotations.isEmpty { o.add("annotations", .stringMap(annotations)) }
        return o.object
    }
}

/// The `oci-layout` marker file of an OCI image layout.
public struct OCILayout: Hashable, Sendable, Codable, GoJSONRepresentable {
    public var imageLayoutVersion: String
    public init(imageLayoutVersion: String = "1.0.0") { self.imageLayoutVersion = imageLayoutVersion }
    public var goJSON: JSONValue { .object([JSONMember("imageLayoutVersion", .string(imageLayoutVersion))]) }
}

/// One entry of the `manifest.json` that `docker save` writes and `docker load` reads.
public struct DockerArchiveManifestEntry: Hashable, Sendable, Codable, GoJSONRepresentable {
    /// Path of the config blob inside the archive, e.g. `<id>.json`.
    public var config: String
    /// Familiar tagged names, e.g. `local/busybox:latest`; may be null/absent.
    public var repoTags: [String]?
    /// Paths of the layer tars inside the archive, base layer first.
    public var layers: [String]
    public var parent: String?
    public var layerSources: [String: Descriptor]?

    enum CodingKeys: String, CodingKey {
        case config = "Config", repoTags = "RepoTags", layers = "Layers", parent = "Parent", layerSources = "LayerSources"
    }

    public init(config: String, repoTags: [String]?, layers: [String], parent: String? = nil, layerSources: [String: Descriptor]? = nil) {
        self.config = config
        self.repoTags = repoTags
        self.layers = layers
        self.parent = parent
        self.layerSources = layerSources
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        config = try c.decode(String.self, forKey: .config)
        repoTags = try c.decodeIfPresent([String].self, forKey: .repoTags)
        layers = try c.decodeIfPresent([String].self, forKey: .layers) ?? []
        parent = try c.decodeIfPresent(String.self, forKey: .parent)
        layerSources = try c.decodeIfPresent([String: Descriptor].self, forKey: .layerSources)
    }

    /// docker 20.10's field order; `RepoTags` is written even when null.
    public var goJSON: JSONValue {
        var o = JSONObjectBuilder()
        o.add("Config", .string(config))
        o.add("RepoTags", .nullableStrings(repoTags))
        o.add("Layers", .strings(layers))
        o.addNonEmpty("Parent", parent)
        if let layerSources, !layerSources.isEmpty {
            o.add("LayerSources", .object(layerSources.keys.sorted(by: goKeyOrder).map { JSONMember($0, layerSources[$0]!.goJSON) }))
        }
        return o.object
    }
}
