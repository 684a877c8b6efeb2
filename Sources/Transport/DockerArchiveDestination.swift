import Archive
import Foundation
import GoText
import OCI
import Store

/// Writes a docker-archive (`docker save` format) that both old and new docker accept:
/// - `manifest.json` (Config, RepoTags, Layers) naming `blobs/sha256/<hex>` files, as docker 25+ writes it;
/// - uncompressed layer tars at `blobs/sha256/<diffID>`, each written once however many images share it;
/// - docker ≤ 24's legacy `<v1 id>/{VERSION,json,layer.tar}` directories (layer.tar a symlink to the blob)
///   and the `repositories` file;
/// - `oci-layout` and `index.json` with an OCI manifest per image, so the archive is also an OCI layout.
public final class DockerArchiveDestination: ImageDestination {
    private let sink: LayoutSink
    private var manifestEntries: [DockerArchiveManifestEntry] = []
    private var repositories: [String: [String: String]] = [:]
    private var indexEntries: [Descriptor] = []

    public init(sink: LayoutSink) { self.sink = sink }

    public var layerDelivery: LayerDelivery { .uncompressed }

    static func blobPath(_ digest: Digest) -> String { "blobs/\(digest.algorithm)/\(digest.encoded)" }

    public func hasLayer(_ layer: TransportLayer) async throws -> Bool {
        sink.hasFile(Self.blobPath(layer.diffID))
    }

    public func putLayer(_ layer: TransportLayer, from reader: VerifyingBlobReader) async throws {
        guard let size = layer.uncompressedSize else {
            // A tar entry needs its size up front; a registry does not tell it, so the tar is spooled first.
            try await putSpooled(layer, from: reader)
            return
        }
        try await sink.writeFile(Self.blobPath(layer.diffID), size: size, from: reader)
    }

    private func putSpooled(_ layer: TransportLayer, from reader: VerifyingBlobReader) async throws {
        var template = Array((NSTemporaryDirectory() + "/strata-layer-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw TransportError.unsupported("cannot create a spool file: \(String(cString: strerror(errno)))") }
        unlink(String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self))
        let spool = FileBlobReader(fileDescriptor: fd)
        defer { spool.close() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        var size: Int64 = 0
        while true {
            let count = try await reader.read(into: buffer)
            if count == 0 { break }
            try FileDescriptorIO.writeAll(fd, UnsafeRawBufferPointer(rebasing: buffer[..<count]), what: "spool write")
            size += Int64(count)
        }
        try reader.finish()
        guard lseek(fd, 0, SEEK_SET) == 0 else { throw TransportError.unsupported("spool seek failed") }
        let replay = VerifyingBlobReader(spool, digest: layer.diffID, size: size, what: "layer \(layer.diffID)")
        try await sink.writeFile(Self.blobPath(layer.diffID), size: size, from: replay)
    }

    public func putImage(_ image: TransportImage) async throws -> Digest? {
        let id = image.id
        let configPath = Self.blobPath(id)
        if !sink.hasFile(configPath) { try sink.writeFile(configPath, data: image.config) }

        // Legacy v1 directories: IDs only need to be stable and distinct per (layer chain, image) here;
        // docker load reads manifest.json and never recomputes them.
        let chain = chainIDs(of: image.layers.map(\.diffID))
        var parent: Digest?
        for (index, layer) in image.layers.enumerated() {
            let isTop = index == image.layers.count - 1
            let seed = "strata-v1 \(chain[index]) \(parent?.description ?? "")" + (isTop ? " \(id)" : "")
            let v1ID = Digest.sha256(Data(seed.utf8))
            if !sink.hasFile(v1ID.encoded + "/json") {
                try sink.writeFile(v1ID.encoded + "/VERSION", data: Data("1.0".utf8))
                try sink.writeFile(v1ID.encoded + "/json",
                                   data: LegacyImageJSON.encode(config: isTop ? image.config : nil, id: v1ID, parent: parent))
                try sink.makeSymlink(v1ID.encoded + "/layer.tar", target: "../" + Self.blobPath(layer.diffID))
            }
            parent = v1ID
        }
        let tagged = image.names.filter { $0.tag != nil && $0.digest == nil }
        if let top = parent {
            for name in tagged { repositories[name.familiarName, default: [:]][name.tag!] = top.encoded }
        }

        manifestEntries.append(DockerArchiveManifestEntry(
            config: configPath, repoTags: tagged.map(\.familiarString),
            layers: image.layers.map { Self.blobPath($0.diffID) }))

        // The same image as an OCI manifest over the uncompressed layer blobs.
        let platform = try? JSONDecoder().decode(ImageConfig.self, from: image.config).platform
        let manifest = ImageManifest(
            config: Descriptor(mediaType: MediaType.ociConfig, digest: id, size: Int64(image.config.count)),
            layers: image.layers.map {
                Descriptor(mediaType: MediaType.ociLayer, digest: $0.diffID, size: $0.uncompressedSize ?? 0)
            })
        let manifestData = GoJSON.encode(manifest)
        let manifestDigest = Digest.sha256(manifestData)
        if !sink.hasFile(Self.blobPath(manifestDigest)) {
            try sink.writeFile(Self.blobPath(manifestDigest), data: manifestData)
        }
        indexEntries += OCIIndexEntries.descriptors(
            manifest: Descriptor(mediaType: MediaType.ociManifest, digest: manifestDigest, size: Int64(manifestData.count),
                                 platform: platform),
            names: tagged)
        return manifestDigest
    }

    public func commit() async throws {
        if !repositories.isEmpty {
            let object = JSONValue.object(repositories.keys.sorted().map { name in
                JSONMember(name, .object(repositories[name]!.keys.sorted().map { JSONMember($0, .string(repositories[name]![$0]!)) }))
            })
            try sink.writeFile("repositories", data: GoJSON.encode(object) + Data("\n".utf8))
        }
        try sink.writeFile("manifest.json", data: GoJSON.encode(JSONValue.array(manifestEntries.map(\.goJSON))) + Data("\n".utf8))
        try sink.writeFile("oci-layout", data: GoJSON.encode(OCILayout()))
        try sink.writeFile("index.json", data: GoJSON.encode(ImageIndex(manifests: indexEntries)))
        try sink.finish()
    }

    public func abort() async { sink.abort() }
}

/// The index.json descriptors for one manifest: one per tag, annotated as docker 25 and containerd do
/// (`io.containerd.image.name` = full name, `org.opencontainers.image.ref.name` = tag); one bare entry when untagged.
enum OCIIndexEntries {
    static func descriptors(manifest: Descriptor, names: [ImageReference]) -> [Descriptor] {
        guard !names.isEmpty else { return [manifest] }
        return names.map { name in
            var entry = manifest
            entry.annotations = [
                Descriptor.containerdImageNameAnnotation: name.description,
                Descriptor.refNameAnnotation: name.tag ?? ImageReference.defaultTag,
            ]
            return entry
        }
    }
}

/// The per-layer `json` of docker's legacy save format: for the top layer the image config without
/// `rootfs` and `history`, plus `id` and `parent` (docker's v1-compatibility shape); for lower layers only
/// the ids and the epoch as creation time.
enum LegacyImageJSON {
    static func encode(config: Data?, id: Digest, parent: Digest?) -> Data {
        var members: [JSONMember] = []
        if let config, case .object(let fields)? = try? JSONDecoder().decode(JSONValue.self, from: config) {
            members = fields.filter { $0.key != "rootfs" && $0.key != "history" }
        } else {
            members = [JSONMember("created", .string("1970-01-01T00:00:00Z"))]
        }
        members.removeAll { $0.key == "id" || $0.key == "parent" }
        members.append(JSONMember("id", .string(id.encoded)))
        if let parent { members.append(JSONMember("parent", .string(parent.encoded))) }
        members.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        return GoJSON.encode(JSONValue.object(members))
    }
}
