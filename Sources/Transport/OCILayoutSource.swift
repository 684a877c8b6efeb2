import Foundation
import OCI

/// An OCI image-layout directory (`oci:DIR[:REF]`) as an `ImageSource`, read in place: `index.json` picks the
/// image (by `org.opencontainers.image.ref.name`, or the only one), a nested index is narrowed to one platform,
/// and every manifest and config is checked against its digest before use. Layers stream from `blobs/`.
public struct OCILayoutSource: IndexedImageSource {
    public let root: String
    public let reference: String?
    public let platform: PlatformMatcher
    /// Copy a whole index (every entry, and the index itself) instead of narrowing it to `platform`.
    public let allPlatforms: Bool

    public init(root: String, reference: String?, platform: PlatformMatcher = .host, allPlatforms: Bool = false) {
        self.root = root
        self.reference = reference
        self.platform = platform
        self.allPlatforms = allPlatforms
    }

    public func images() async throws -> [TransportImage] {
        let entry = try selectedEntry()
        guard Self.isIndex(entry.mediaType) else { return [try image(for: entry, data: try blob(entry))] }
        let nested = try Self.decode(ImageIndex.self, try blob(entry), what: "index \(entry.digest)")
        if allPlatforms {
            return try nested.manifests.map { child in
                guard !Self.isIndex(child.mediaType) else {
                    throw TransportError.unsupported("unsupported manifest format: nested index \(child.digest)")
                }
                var image = try image(for: child, data: try blob(child))
                image.isIndexEntry = true
                return image
            }
        }
        guard let chosen = platform.best(in: nested.manifests) else {
            throw TransportError.unsupported("no matching manifest for \(platform.wanted) in the manifest list entries")
        }
        return [try image(for: chosen, data: try blob(chosen))]
    }

    public func index() async throws -> TransportIndex? {
        guard allPlatforms else { return nil }
        let entry = try selectedEntry()
        guard Self.isIndex(entry.mediaType) else { return nil }
        return TransportIndex(data: try blob(entry), mediaType: entry.mediaType, names: [])
    }

    /// The `index.json` entry the reference names (or the only one).
    private func selectedEntry() throws -> Descriptor {
        guard let indexData = FileManager.default.contents(atPath: root + "/index.json") else {
            throw TransportError.missingFile(root + "/index.json")
        }
        let index = try Self.decode(ImageIndex.self, indexData, what: "index.json")
        if let reference {
            guard let found = index.manifests.first(where: { $0.annotations?[Descriptor.refNameAnnotation] == reference }) else {
                throw TransportError.unsupported("no descriptor found for reference \"\(reference)\"")
            }
            return found
        }
        guard index.manifests.count == 1, let only = index.manifests.first else {
            throw TransportError.unsupported(index.manifests.isEmpty
                ? "no images in the layout \(root)"
                : "more than one image in oci, choose an image")
        }
        return only
    }

    private func image(for manifestDescriptor: Descriptor, data manifestData: Data) throws -> TransportImage {
        let manifest = try Self.decode(ImageManifest.self, manifestData, what: "manifest \(manifestDescriptor.digest)")
        let config = try blob(manifest.config)
        if manifest.isArtifact {
            return .artifact(manifest: manifestData, mediaType: manifestDescriptor.mediaType, parsed: manifest, config: config)
        }
        let imageConfig = try Self.decode(ImageConfig.self, config, what: "config \(manifest.config.digest)")
        guard imageConfig.rootfs.diffIDs.count == manifest.layers.count else {
            throw TransportError.invalidArchive("manifest \(manifestDescriptor.digest) and its config disagree on the layer count")
        }
        let layers = zip(manifest.layers, imageConfig.rootfs.diffIDs).map { blob, diffID in
            TransportLayer(blob: blob, diffID: diffID,
                           uncompressedSize: blob.mediaType == MediaType.ociLayer || blob.mediaType == MediaType.dockerLayer ? blob.size : nil)
        }
        return TransportImage(config: config, manifest: manifestData, manifestMediaType: manifestDescriptor.mediaType,
                              layers: layers)
    }

    static func isIndex(_ mediaType: String) -> Bool {
        mediaType == MediaType.ociIndex || mediaType == MediaType.dockerManifestList
    }

    public func openLayer(_ layer: TransportLayer, as delivery: LayerDelivery) async throws -> any BlobReader {
        let path = blobPath(layer.blob.digest)
        guard access(path, R_OK) == 0 else { throw TransportError.missingFile(path) }
        if delivery == .uncompressed && !layer.isUncompressed { return try DecompressingBlobReader(path: path) }
        return try FileBlobReader(path: path)
    }

    private func blobPath(_ digest: Digest) -> String { root + "/blobs/" + digest.algorithm + "/" + digest.encoded }

    /// A small blob (index, manifest, config), verified against its descriptor.
    private func blob(_ descriptor: Descriptor) throws -> Data {
        guard descriptor.size <= 16 << 20 else { throw TransportError.unsupported("blob \(descriptor.digest) is too large") }
        guard let data = FileManager.default.contents(atPath: blobPath(descriptor.digest)) else {
            throw TransportError.missingFile(blobPath(descriptor.digest))
        }
        let actual = Digest.sha256(data)
        guard actual == descriptor.digest else {
            throw TransportError.digestMismatch(what: "blob \(descriptor.digest)", expected: descriptor.digest.description,
                                                actual: actual.description)
        }
        return data
    }

    static func decode<T: Decodable>(_ type: T.Type, _ data: Data, what: String) throws -> T {
        do { return try JSONDecoder().decode(type, from: data) } catch {
            throw TransportError.invalidArchive("malformed \(what)")
        }
    }
}

