import Foundation
import GoText
import OCI

/// Writes an OCI image layout (a directory, or the same tree as a tar): `oci-layout`, `index.json` and
/// `blobs/<alg>/<hex>`. Blobs keep their stored encoding and digests, and each image keeps its manifest bytes,
/// so digests survive a round trip. Writing into an existing layout directory keeps its other images.
public final class OCILayoutDestination: IndexDestination {
    private let sink: LayoutSink
    private var indexEntries: [Descriptor] = []
    /// When set, every image is written under exactly this `org.opencontainers.image.ref.name` (skopeo's
    /// `oci:DIR:REF`) instead of names derived from its tags.
    public var refName: String?

    /// - Parameter existingIndex: the `index.json` already in a layout directory, merged with the new entries.
    public init(sink: LayoutSink, existingIndex: ImageIndex? = nil) {
        self.sink = sink
        indexEntries = existingIndex?.manifests ?? []
    }

    /// Opens a layout directory for writing, picking up what is already there.
    public convenience init(directory: String) throws {
        let index = (try? Data(contentsOf: URL(fileURLWithPath: directory + "/index.json")))
            .flatMap { try? JSONDecoder().decode(ImageIndex.self, from: $0) }
        self.init(sink: try DirectorySink(root: directory), existingIndex: index)
    }

    public var layerDelivery: LayerDelivery { .asStored }

    public func hasLayer(_ layer: TransportLayer) async throws -> Bool {
        sink.hasFile(DockerArchiveDestination.blobPath(layer.blob.digest))
    }

    public func putLayer(_ layer: TransportLayer, from reader: VerifyingBlobReader) async throws {
        try await sink.writeFile(DockerArchiveDestination.blobPath(layer.blob.digest), size: layer.blob.size, from: reader)
    }

    public func putImage(_ image: TransportImage) async throws -> Digest? {
        let configPath = DockerArchiveDestination.blobPath(image.id)
        if !sink.hasFile(configPath) { try sink.writeFile(configPath, data: image.config) }
        // An index entry keeps its manifest bytes (the index names them by digest) and is reachable through the
        // index, which gets the index.json entry.
        if image.isIndexEntry, let manifest = image.manifest {
            let path = DockerArchiveDestination.blobPath(Digest.sha256(manifest))
            if !sink.hasFile(path) { try sink.writeFile(path, data: manifest) }
            return Digest.sha256(manifest)
        }
        // skopeo and umoci only see OCI-typed entries in a layout, so a Docker schema 2 manifest is rewritten with
        // OCI media types, as skopeo does; config and layer bytes (so the image ID and diffIDs) stay the same.
        let keepsManifest = image.manifest != nil && (image.manifestMediaType ?? MediaType.ociManifest) == MediaType.ociManifest
        let manifestData = keepsManifest ? image.manifest! : GoJSON.encode(ImageManifest(
            config: Descriptor(mediaType: MediaType.ociConfig, digest: image.id, size: Int64(image.config.count)),
            layers: image.layers.map { layer in
                var blob = layer.blob
                blob.mediaType = MediaType.ociEquivalent(ofLayer: blob.mediaType)
                return blob
            }))
        let mediaType = MediaType.ociManifest
        let manifestDigest = Digest.sha256(manifestData)
        let manifestPath = DockerArchiveDestination.blobPath(manifestDigest)
        if !sink.hasFile(manifestPath) { try sink.writeFile(manifestPath, data: manifestData) }
        let platform = try? JSONDecoder().decode(ImageConfig.self, from: image.config).platform
        let tagged = image.names.filter { $0.tag != nil && $0.digest == nil }
        let manifestEntry = Descriptor(mediaType: mediaType, digest: manifestDigest, size: Int64(manifestData.count),
                                       platform: platform)
        addEntries(for: manifestEntry, tagged: tagged)
        return manifestDigest
    }

    /// Names `entry` in index.json (under `refName`, or the given tags); a name now saved replaces its old holder.
    private func addEntries(for manifestEntry: Descriptor, tagged: [ImageReference]) {
        let manifestDigest = manifestEntry.digest
        var newEntries = OCIIndexEntries.descriptors(manifest: manifestEntry, names: tagged)
        if let refName {
            var entry = manifestEntry
            entry.annotations = [Descriptor.refNameAnnotation: refName]
            newEntries = [entry]
        }
        // A name now saved replaces the entry that held it before.
        let taken = Set(newEntries.compactMap { $0.annotations?[Descriptor.refNameAnnotation] })
        let takenFull = Set(newEntries.compactMap { $0.annotations?[Descriptor.containerdImageNameAnnotation] })
        indexEntries.removeAll { entry in
            if let full = entry.annotations?[Descriptor.containerdImageNameAnnotation] { return takenFull.contains(full) }
            if let ref = entry.annotations?[Descriptor.refNameAnnotation] { return taken.contains(ref) }
            return entry.digest == manifestDigest && tagged.isEmpty
        }
        indexEntries += newEntries
    }

    /// The index blob is written as is (it must list OCI-typed manifests to be useful to OCI tools, which is what
    /// an entry keeps when its manifest was already OCI) and named in index.json.
    public func putIndex(_ index: TransportIndex) async throws {
        let path = DockerArchiveDestination.blobPath(index.digest)
        if !sink.hasFile(path) { try sink.writeFile(path, data: index.data) }
        let mediaType = index.mediaType == MediaType.dockerManifestList ? MediaType.dockerManifestList : MediaType.ociIndex
        let entry = Descriptor(mediaType: mediaType, digest: index.digest, size: Int64(index.data.count))
        addEntries(for: entry, tagged: index.names.filter { $0.tag != nil && $0.digest == nil })
    }

    public func commit() async throws {
        try sink.writeFile("oci-layout", data: GoJSON.encode(OCILayout()))
        try sink.writeFile("index.json", data: GoJSON.encode(ImageIndex(manifests: indexEntries)))
        try sink.finish()
    }

    public func abort() async { sink.abort() }
}
