import Foundation
import OCI

/// An OCI image-layout directory (`oci:DIR[:REF]`) as an `ImageSource`, read in place: `index.json` picks the
/// image (by `org.opencontainers.image.ref.name`, or the only one), a nested index is narrowed to one platform,
/// and every manifest and config is checked against its digest before use. Layers stream from `blobs/`.
public struct OCILayoutSource: ImageSource {
    public let root: String
    public let reference: String?
    public let platform: PlatformMatcher

    public init(root: String, reference: String?, platform: PlatformMatcher = .host) {
        self.root = root
        self.reference = reference
        self.platform = platform
    }

    public func images() async throws -> [TransportImage] {
        guard let indexData = FileManager.default.contents(atPath: root + "/index.json") else {
            throw TransportError.missingFile(root + "/index.json")
        }
        let index = try Self.decode(ImageIndex.self, indexData, what: "index.json")
        let entry: Descriptor
        if let reference {
            guard let found = index.manifests.first(where: { $0.annotations?[Descriptor.refNameAnnotation] == reference }) else {
                throw TransportError.unsupported("no descriptor found for reference \"\(reference)\"")
            }
            entry = found
        } else {
            guard index.manifests.count == 1, let only = index.manifests.first else {
                throw TransportError.unsupported(index.manifests.isEmpty
                    ? "no images in the layout \(root)"
                    : "more than one image in oci, choose an image")
            }
            entry = only
        }
        var manifestDescriptor = entry
        var manifestData = try blob(entry)
        if entry.mediaType == MediaType.ociIndex || entry.mediaType == MediaType.dockerManifestList {
            let nested = try Self.decode(ImageIndex.self, manifestData, what: "index \(entry.digest)")
            guard let chosen = platform.best(in: nested.manifests) else {
                throw TransportError.unsupported("no matching manifest for \(platform.wanted) in the manifest list entries")
            }
            manifestDescriptor = chosen
            manifestData = try blob(chosen)
        }
        let manifest = try Self.decode(ImageManifest.self, manifestData, what: "manifest \(manifestDescriptor.digest)")
        let config = try blob(manifest.config)
        let imageConfig = try Self.decode(ImageConfig.self, config, what: "config \(manifest.config.digest)")
        guard imageConfig.rootfs.diffIDs.count == manifest.layers.count else {
            throw TransportError.invalidArchive("manifest \(manifestDescriptor.digest) and its config disagree on the layer count")
        }
        let layers = zip(manifest.layers, imageConfig.rootfs.diffIDs).map { blob, diffID in
            TransportLayer(blob: blob, diffID: diffID,
                           uncompressedSize: blob.mediaType == MediaType.ociLayer || blob.mediaType == MediaType.dockerLayer ? blob.size : nil)
        }
        return [TransportImage(config: config, manifest: manifestData, manifestMediaType: manifestDescriptor.mediaType,
                               layers: layers)]
    }

    public func openLayer(_ layer: TransportLayer, as delivery: LayerDelivery) async throws -> any BlobReader {
        let path = blobPath(layer.blob.digest)
        guard access(path, R_OK) == 0 else { throw TransportError.missingFile(path) }
        if delivery == .uncompressed && !layer.isUncompressed { return try DecompressingBlobReader(path: path, diffIDChecked: true) }
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

/// Another source's images under different names (`strata copy … oci:dir:NAME` names what it writes).
public struct RenamedSource: ImageSource {
    public let base: any ImageSource
    public let names: [ImageReference]

    public init(_ base: any ImageSource, names: [ImageReference]) {
        self.base = base
        self.names = names
    }

    public func images() async throws -> [TransportImage] {
        try await base.images().map { image in
            var renamed = image
            renamed.names = names
            return renamed
        }
    }

    public func openLayer(_ layer: TransportLayer, as delivery: LayerDelivery) async throws -> any BlobReader {
        try await base.openLayer(layer, as: delivery)
    }
}
