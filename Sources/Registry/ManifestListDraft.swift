import Foundation
import GoText
import OCI

/// One image of a manifest list being composed by `manifest create`/`annotate`, kept where the docker CLI keeps
/// its own: `$DOCKER_CONFIG/manifests/<list>/<image>`, names made file-safe (`:` → `-`, `/` → `_`).
public struct ManifestListEntry: Sendable, Equatable {
    /// The image's reference as given to `manifest create`.
    public var reference: String
    /// Its manifest descriptor, platform included.
    public var descriptor: Descriptor
    /// The manifest's exact bytes (pushed again to the list's repository when it lives elsewhere).
    public var manifest: Data

    public init(reference: String, descriptor: Descriptor, manifest: Data) {
        self.reference = reference
        self.descriptor = descriptor
        self.manifest = manifest
    }

    /// docker's verbose shape (`manifest inspect -v`): Ref, Descriptor and the manifest as SchemaV2Manifest or
    /// OCIManifest.
    public var verboseJSON: JSONValue {
        let parsed = (try? JSONDecoder().decode(JSONValue.self, from: manifest)) ?? .null
        let manifestKey = descriptor.mediaType == MediaType.ociManifest ? "OCIManifest" : "SchemaV2Manifest"
        return .object([
            JSONMember("Ref", .string(reference)),
            JSONMember("Descriptor", ManifestListDocument.descriptorJSON(descriptor, ociOrder: true)),
            JSONMember(manifestKey, Self.ordered(parsed)),
        ])
    }

    /// Manifest fields in the order docker marshals them.
    static func ordered(_ value: JSONValue) -> JSONValue {
        guard case .object(let members) = value else { return value }
        let order = ["schemaVersion", "mediaType", "config", "layers", "annotations"]
        return .object(members.sorted { (order.firstIndex(of: $0.key) ?? 99) < (order.firstIndex(of: $1.key) ?? 99) }.map { member in
            guard member.key == "config" || member.key == "layers" else { return member }
            return JSONMember(member.key, reorderDescriptors(member.value))
        })
    }

    private static func reorderDescriptors(_ value: JSONValue) -> JSONValue {
        switch value {
        case .array(let items): return .array(items.map(reorderDescriptors))
        case .object(let members):
            let order = ["mediaType", "size", "digest", "urls", "annotations", "platform"]
            return .object(members.sorted { (order.firstIndex(of: $0.key) ?? 99) < (order.firstIndex(of: $1.key) ?? 99) })
        default: return value
        }
    }
}

/// The list bytes docker pushes and prints: a Docker manifest list (schema 2), three-space indented, each entry
/// `mediaType`, `size`, `digest`, `platform`.
public enum ManifestListDocument {
    public static func encode(_ entries: [Descriptor], mediaType: String = MediaType.dockerManifestList) -> Data {
        let document = JSONValue.object([
            JSONMember("schemaVersion", .integer(2)),
            JSONMember("mediaType", .string(mediaType)),
            JSONMember("manifests", .array(entries.map { descriptorJSON($0, ociOrder: false) })),
        ])
        return GoJSON.encode(document, indent: "   ")
    }

    static func descriptorJSON(_ descriptor: Descriptor, ociOrder: Bool) -> JSONValue {
        var members = [JSONMember("mediaType", .string(descriptor.mediaType))]
        let size = JSONMember("size", .integer(descriptor.size))
        let digest = JSONMember("digest", .string(descriptor.digest.description))
        members += ociOrder ? [digest, size] : [size, digest]
        if let platform = descriptor.platform { members.append(JSONMember("platform", platform.goJSON)) }
        return .object(members)
    }
}

/// The drafts on disk. Writes are atomic (temp file + rename), files mode 0600.
public struct ManifestListDrafts: Sendable {
    public let directory: String

    public init(configDirectory: String = DockerConfigFile.defaultDirectory(environment: ProcessInfo.processInfo.environment)) {
        directory = configDirectory + "/manifests"
    }

    public static func fileSafe(_ name: String) -> String {
        name.replacingOccurrences(of: ":", with: "-").replacingOccurrences(of: "/", with: "_")
    }

    private func listDirectory(_ list: String) -> String { directory + "/" + Self.fileSafe(list) }

    public func exists(_ list: String) -> Bool { FileManager.default.fileExists(atPath: listDirectory(list)) }

    public func entries(of list: String) throws -> [ManifestListEntry] {
        let path = listDirectory(list)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return [] }
        return try names.sorted().filter { !$0.hasPrefix(".") }.map { name in
            let data = try Data(contentsOf: URL(fileURLWithPath: path + "/" + name))
            return try Self.decode(data)
        }
    }

    public func save(_ entry: ManifestListEntry, in list: String) throws {
        let dir = listDirectory(list)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let file = dir + "/" + Self.fileSafe(entry.reference)
        let temporary = file + ".tmp\(getpid())"
        let data = GoJSON.encode(JSONValue.object([
            JSONMember("Ref", .string(entry.reference)),
            JSONMember("Descriptor", entry.descriptor.goJSON),
            JSONMember("Raw", .string(entry.manifest.base64EncodedString())),
        ]))
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]),
              rename(temporary, file) == 0 else {
            throw SettingsError("cannot write \(file): \(String(cString: strerror(errno)))")
        }
    }

    public func remove(_ list: String) throws {
        guard exists(list) else { throw SettingsError("No such manifest: \(list)") }
        try FileManager.default.removeItem(atPath: listDirectory(list))
    }

    static func decode(_ data: Data) throws -> ManifestListEntry {
        struct Stored: Decodable { let Ref: String; let Descriptor: OCI.Descriptor; let Raw: String }
        let stored = try JSONDecoder().decode(Stored.self, from: data)
        guard let manifest = Data(base64Encoded: stored.Raw) else { throw SettingsError("corrupt manifest list entry \(stored.Ref)") }
        return ManifestListEntry(reference: stored.Ref, descriptor: stored.Descriptor, manifest: manifest)
    }
}
