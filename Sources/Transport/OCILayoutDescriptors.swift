import Foundation
import GoText
import OCI

/// An OCI image layout directory at the descriptor level: a manifest or index found by its
/// `org.opencontainers.image.ref.name` (or digest) in `index.json`, blobs by digest; written blob by blob (each
/// file placed whole) and named in `index.json`, which is replaced whole, so a reader never sees half a layout.
/// What a `--cache-to type=local` / `--cache-from type=local` build cache lives in.
public struct OCILayoutDescriptors: DescriptorSource, DescriptorDestination {
    public let root: String
    public static let refNameAnnotation = "org.opencontainers.image.ref.name"

    public init(root: String) { self.root = root }

    private func blobPath(_ digest: Digest) -> String { root + "/" + DockerArchiveDestination.blobPath(digest) }

    /// The layout's index.json entries; none when the directory holds no layout yet.
    public func entries() throws -> [Descriptor] {
        guard let data = FileManager.default.contents(atPath: root + "/index.json") else { return [] }
        do { return try JSONDecoder().decode(ImageIndex.self, from: data).manifests } catch {
            throw TransportError.unsupported("\(root)/index.json is not an OCI image index: \(error)")
        }
    }

    public func manifest(_ reference: String) async throws -> TransportManifest? {
        let digest = try? Digest(reference)
        guard let entry = try entries().last(where: { entry in
            entry.digest == digest || entry.annotations?[Self.refNameAnnotation] == reference
        }) else { return nil }
        guard let data = FileManager.default.contents(atPath: blobPath(entry.digest)) else {
            throw TransportError.unsupported("\(root): the manifest \(entry.digest) is listed in index.json but missing")
        }
        guard Digest.sha256(data) == entry.digest else {
            throw TransportError.digestMismatch(what: "manifest in \(root)", expected: entry.digest.description,
                                                actual: Digest.sha256(data).description)
        }
        return TransportManifest(data: data, mediaType: entry.mediaType)
    }

    public func openBlob(_ descriptor: Descriptor) async throws -> any BlobReader {
        let path = blobPath(descriptor.digest)
        guard access(path, R_OK) == 0 else { throw TransportError.unsupported("\(root): blob \(descriptor.digest) is missing") }
        return try FileBlobReader(path: path)
    }

    public func referrers(of digest: Digest, artifactType: String?) async throws -> [Descriptor] { [] }

    public func hasBlob(_ descriptor: Descriptor) async throws -> Bool { access(blobPath(descriptor.digest), F_OK) == 0 }

    public func putBlob(_ descriptor: Descriptor, from reader: VerifyingBlobReader) async throws {
        try await DirectorySink(root: root).writeFile(DockerArchiveDestination.blobPath(descriptor.digest), size: descriptor.size, from: reader)
    }

    public func hasManifest(_ digest: Digest) async throws -> Bool { access(blobPath(digest), F_OK) == 0 }

    /// Writes the manifest's blob, then names it `tag` in index.json (replacing what the name pointed at before).
    public func putManifest(_ manifest: TransportManifest, tag: String?) async throws {
        let sink = try DirectorySink(root: root)
        let path = DockerArchiveDestination.blobPath(manifest.digest)
        if !sink.hasFile(path) { try sink.writeFile(path, data: manifest.data) }
        var entry = manifest.descriptor
        var entries = try entries()
        if let tag {
            entry.annotations = [Self.refNameAnnotation: tag]
            entries.removeAll { $0.annotations?[Self.refNameAnnotation] == tag }
        } else {
            entries.removeAll { $0.digest == entry.digest && $0.annotations?[Self.refNameAnnotation] == nil }
        }
        entries.append(entry)
        if !sink.hasFile("oci-layout") {
            try sink.writeFile("oci-layout", data: Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
        }
        try sink.writeFile("index.json", data: GoJSON.encode(ImageIndex(manifests: entries)))
    }
}
