import GoText

/// The image configuration blob (OCI image config / Docker image JSON).
///
/// Decoding tolerates unknown fields (kept in ``extraFields``) and nulls. ``goJSON`` reproduces what dockerd
/// writes — top-level keys sorted, inner config in Go field order — so a config docker wrote re-encodes to the
/// same bytes and therefore the same image ID. Plain `Codable` encoding omits nil optionals.
public struct ImageConfig: Hashable, Sendable, Codable, GoJSONRepresentable {
    public var created: Timestamp?
    public var author: String?
    public var architecture: String
    public var os: String
    public var variant: String?
    public var osVersion: String?
    public var osFeatures: [String]?
    public var config: ContainerConfig?
    public var rootfs: RootFS
    public var history: [History]?
    /// Docker-only fields.
    public var comment: String?
    public var container: String?
    public var containerConfig: ContainerConfig?
    public var dockerVersion: String?
    public var parent: String?
    /// Top-level fields this type does not model, kept so re-encoding loses nothing.
    public var extraFields: [String: JSONValue]

    public init(created: Timestamp? = nil, author: String? = nil, architecture: String, os: String, variant: String? = nil,
                config: ContainerConfig? = nil, rootfs: RootFS = RootFS(), history: [History]? = nil) {
        self.created = created
        self.author = author
        self.architecture = architecture
        self.os = os
        self.variant = variant
        self.config = config
        self.rootfs = rootfs
        self.history = history
        self.extraFields = [:]
    }

    /// The platform this config declares.
    public var platform: Platform {
        Platform(os: os, architecture: architecture, variant: variant, osVersion: osVersion, osFeatures: osFeatures)
    }

    /// The image ID docker would show for this config as written by ``goJSON``.
    public var id: Digest { Digest.sha256(GoJSON.encode(self)) }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        self.init(architecture: "", os: "")
        for key in c.allKeys {
            switch key.stringValue {
            case "created": created = try c.decodeIfPresent(Timestamp.self, forKey: key)
            case "author": author = try c.decodeIfPresent(String.self, forKey: key)
            case "architecture": architecture = try c.decodeIfPresent(String.self, forKey: key) ?? ""
            case "os": os = try c.decodeIfPresent(String.self, forKey: key) ?? ""
            case "variant": variant = try c.decodeIfPresent(String.self, forKey: key)
            case "os.version": osVersion = try c.decodeIfPresent(String.self, forKey: key)
            case "os.features": osFeatures = try c.decodeIfPresent([String].self, forKey: key)
            case "config": config = try c.decodeIfPresent(ContainerConfig.self, forKey: key)
            case "rootfs": rootfs = try c.decodeIfPresent(RootFS.self, forKey: key) ?? RootFS()
            case "history": history = try c.decodeIfPresent([History].self, forKey: key)
            case "comment": comment = try c.decodeIfPresent(String.self, forKey: key)
            case "container": container = try c.decodeIfPresent(String.self, forKey: key)
            case "container_config": containerConfig = try c.decodeIfPresent(ContainerConfig.self, forKey: key)
            case "docker_version": dockerVersion = try c.decodeIfPresent(String.self, forKey: key)
            case "parent": parent = try c.decodeIfPresent(String.self, forKey: key)
            default: extraFields[key.stringValue] = try c.decode(JSONValue.self, forKey: key)
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: AnyCodingKey.self)
        func put<T: Encodable>(_ key: String, _ value: T?) throws {
            if let value { try c.encode(value, forKey: AnyCodingKey(key)) }
        }
        try put("architecture", architecture.isEmpty ? nil : architecture)
        try put("author", author)
        try put("comment", comment)
        try put("config", config)
        try put("container", container)
        try put("container_config", containerConfig)
        try put("created", created)
        try put("docker_version", dockerVersion)
        try put("history", history)
        try put("os", os.isEmpty ? nil : os)
        try put("os.features", osFeatures)
        try put("os.version", osVersion)
        try put("parent", parent)
        try put("rootfs", rootfs)
        try put("variant", variant)
        for (key, value) in extraFields { try put(key, value) }
    }

    public var goJSON: JSONValue {
        var members: [JSONMember] = []
        func add(_ key: String, _ value: JSONValue?) { if let value { members.append(JSONMember(key, value)) } }
        func nonEmpty(_ value: String?) -> JSONValue? { value.flatMap { $0.isEmpty ? nil : .string($0) } }
        add("architecture", nonEmpty(architecture))
        add("author", nonEmpty(author))
        add("comment", nonEmpty(comment))
        add("config", config?.goJSON)
        add("container", nonEmpty(container))
        add("container_config", containerConfig?.goJSON)
        add("created", created.map { .string($0.rawValue) })
        add("docker_version", nonEmpty(dockerVersion))
        add("history", history.flatMap { $0.isEmpty ? nil : .array($0.map(\.goJSON)) })
        add("os", nonEmpty(os))
        add("os.features", osFeatures.flatMap { $0.isEmpty ? nil : .strings($0) })
        add("os.version", nonEmpty(osVersion))
        add("parent", nonEmpty(parent))
        add("rootfs", rootfs.goJSON)
        add("variant", nonEmpty(variant))
        for (key, value) in extraFields { add(key, value) }
        // dockerd re-marshals the image through a Go map, so the top level is sorted bytewise.
        members.sort { goKeyOrder($0.key, $1.key) }
        return .object(members)
    }
}

/// `rootfs`: the layer diff IDs (digests of uncompressed layer tars), base layer first.
public struct RootFS: Hashable, Sendable, Codable, GoJSONRepresentable {
    public var type: String
    public var diffIDs: [Digest]

    enum CodingKeys: String, CodingKey {
        case type
        case diffIDs = "diff_ids"
    }

    public init(type: String = "layers", diffIDs: [Digest] = []) {
        self.type = type
        self.diffIDs = diffIDs
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decodeIfPresent(String.self, forKey: .type) ?? "layers"
        diffIDs = try c.decodeIfPresent([Digest].self, forKey: .diffIDs) ?? []
    }

    public var goJSON: JSONValue {
        var o = JSONObjectBuilder()
        o.add("type", .string(type))
        if !diffIDs.isEmpty { o.add("diff_ids", .strings(diffIDs.map(\.description))) }
        return o.object
    }
}

/// One `history` entry: what built a layer (or a metadata-only step when ``emptyLayer``).
public struct History: Hashable, Sendable, Codable, GoJSONRepresentable {
    public var created: Timestamp?
    public var createdBy: String?
    public var author: String?
    public var comment: String?
    public var emptyLayer: Bool?

    enum CodingKeys: String, CodingKey {
        case created, author, comment
        case createdBy = "created_by"
        case emptyLayer = "empty_layer"
    }

    public init(created: Timestamp? = nil, createdBy: String? = nil, author: String? = nil, comment: String? = nil, emptyLayer: Bool? = nil) {
        self.created = created
        self.createdBy = createdBy
        self.author = author
        self.comment = comment
        self.emptyLayer = emptyLayer
    }

    /// Whether this step produced no layer (so it has no entry in `rootfs.diff_ids`).
    public var isEmptyLayer: Bool { emptyLayer ?? false }

    /// docker's field order: created, author, created_by, comment, empty_layer (empties omitted).
    public var goJSON: JSONValue {
        var o = JSONObjectBuilder()
        o.add("created", created.map { JSONValue.string($0.rawValue) } ?? .string(Timestamp.goZero.rawValue))
        o.addNonEmpty("author", author)
        o.addNonEmpty("created_by", createdBy)
        o.addNonEmpty("comment", comment)
        if emptyLayer == true { o.add("empty_layer", .bool(true)) }
        return o.object
    }
}
