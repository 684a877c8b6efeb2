import Foundation
import OCI
import Store

/// Turns a staged archive into images: `manifest.json` when present (docker-archive, any docker version or
/// skopeo), else `index.json` (OCI layout). Every reference is checked: files must exist, digests and
/// diffIDs must match, before anything is committed.
struct ArchiveResolver {
    let stager: ArchiveStager
    /// For an OCI layout: only the index entries with this `org.opencontainers.image.ref.name`.
    var refName: String?

    /// For an OCI layout: a named entry that is a multi-platform index is kept whole (every platform, then the
    /// index) when all its platforms resolve; otherwise, and always when false, only this machine's platform.
    var keepIndexes = false

    init(stager: ArchiveStager, refName: String? = nil, keepIndexes: Bool = false) {
        self.stager = stager
        self.refName = refName
        self.keepIndexes = keepIndexes
    }

    func images() throws -> [TransportImage] { try resolve().images }

    /// The images, and the indexes kept whole over some of them (put after all images).
    func resolve() throws -> (images: [TransportImage], indexes: [TransportIndex]) {
        if let manifest = file("manifest.json") {
            return (try dockerArchiveImages(manifest), [])
        }
        if let index = file("index.json") {
            return try layoutImages(index)
        }
        throw TransportError.invalidArchive("neither manifest.json nor index.json found")
    }

    // MARK: docker-archive

    private func dockerArchiveImages(_ data: Data) throws -> [TransportImage] {
        let entries: [DockerArchiveManifestEntry]
        do {
            entries = try JSONDecoder().decode([DockerArchiveManifestEntry].self, from: data)
        } catch {
            throw TransportError.invalidArchive("manifest.json cannot be parsed")
        }
        return try entries.map { entry in
            guard let config = file(entry.config) else { throw TransportError.missingFile(entry.config) }
            let diffIDs = try Self.diffIDs(config)
            guard diffIDs.count == entry.layers.count else {
                throw TransportError.invalidArchive(
                    "invalid manifest, layers length mismatch: expected \(diffIDs.count), got \(entry.layers.count)")
            }
            let layers = try entry.layers.enumerated().map { index, path in
                guard let staged = layer(path) else { throw TransportError.missingFile(path) }
                guard staged.stored.diffID == diffIDs[index] else {
                    throw TransportError.invalidArchive(
                        "invalid diffID for layer \(index): expected \"\(diffIDs[index])\", got \"\(staged.stored.diffID)\"")
                }
                return Self.transportLayer(staged)
            }
            let names = try (entry.repoTags ?? []).map { tag -> ImageReference in
                guard let reference = try? ImageReference(tag), reference.tag != nil, reference.digest == nil else {
                    throw TransportError.invalidArchive("invalid tag \"\(tag)\"")
                }
                return reference
            }
            return TransportImage(config: config, layers: layers, names: names)
        }
    }

    // MARK: OCI layout

    private func layoutImages(_ data: Data) throws -> (images: [TransportImage], indexes: [TransportIndex]) {
        guard let index = try? JSONDecoder().decode(ImageIndex.self, from: data) else {
            throw TransportError.invalidArchive("index.json cannot be parsed")
        }
        var images: [TransportImage] = []
        var indexes: [TransportIndex] = []
        var byManifest: [Digest: Int] = [:]
        func add(_ image: TransportImage, manifest: Digest) {
            if let existing = byManifest[manifest] {
                images[existing].names += image.names.filter { !images[existing].names.contains($0) }
                images[existing].isIndexEntry = images[existing].isIndexEntry || image.isIndexEntry
                return
            }
            byManifest[manifest] = images.count
            images.append(image)
        }
        for descriptor in index.manifests where refName == nil || descriptor.annotations?[Descriptor.refNameAnnotation] == refName {
            let names = Self.names(from: descriptor.annotations)
            if keepIndexes, !names.isEmpty, MediaType.isIndex(descriptor.mediaType), let whole = try? wholeIndex(descriptor) {
                for (manifest, image) in whole.entries { add(image, manifest: manifest) }
                indexes.append(TransportIndex(data: whole.data, mediaType: descriptor.mediaType, names: names))
                continue
            }
            let manifestDescriptor = try platformManifest(descriptor)
            var image = try image(manifestDescriptor)
            image.names = names
            add(image, manifest: manifestDescriptor.digest)
        }
        return (images, indexes)
    }

    /// Every platform of an index whose entries are all image manifests that resolve.
    private func wholeIndex(_ descriptor: Descriptor) throws -> (data: Data, entries: [(Digest, TransportImage)]) {
        let data = try blob(descriptor)
        let nested = try JSONDecoder().decode(ImageIndex.self, from: data)
        let entries = try nested.manifests.map { entry -> (Digest, TransportImage) in
            guard MediaType.isManifest(entry.mediaType) else { throw TransportError.unsupported("nested index") }
            var image = try image(entry)
            image.isIndexEntry = true
            return (entry.digest, image)
        }
        return (data, entries)
    }

    /// One image manifest of the layout, checked against its config and staged layers.
    private func image(_ manifestDescriptor: Descriptor) throws -> TransportImage {
        let manifestData = try blob(manifestDescriptor)
        guard let manifest = try? JSONDecoder().decode(ImageManifest.self, from: manifestData) else {
            throw TransportError.invalidArchive("manifest \(manifestDescriptor.digest) cannot be parsed")
        }
        let config = try blob(manifest.config)
        let diffIDs = try Self.diffIDs(config)
        guard diffIDs.count == manifest.layers.count else {
            throw TransportError.invalidArchive(
                "invalid manifest, layers length mismatch: expected \(diffIDs.count), got \(manifest.layers.count)")
        }
        var keptAll = true
        let layers = try manifest.layers.enumerated().map { index, descriptor in
            let path = DockerArchiveDestination.blobPath(descriptor.digest)
            guard let staged = layer(path) else { throw TransportError.missingFile(path) }
            guard staged.stored.diffID == diffIDs[index] else {
                throw TransportError.invalidArchive(
                    "invalid diffID for layer \(index): expected \"\(diffIDs[index])\", got \"\(staged.stored.diffID)\"")
            }
            keptAll = keptAll && staged.keptAsIs && staged.stored.blobDigest == descriptor.digest
            return Self.transportLayer(staged)
        }
        // The original manifest stays only while every blob it names is stored as it was.
        return TransportImage(
            config: config, manifest: keptAll ? manifestData : nil,
            manifestMediaType: keptAll ? (manifest.mediaType ?? manifestDescriptor.mediaType) : nil,
            layers: layers)
    }

    /// An index entry may itself be an index: take the manifest for this machine's platform.
    private func platformManifest(_ descriptor: Descriptor, depth: Int = 0) throws -> Descriptor {
        guard MediaType.isIndex(descriptor.mediaType) else { return descriptor }
        guard depth < 4, let nested = try? JSONDecoder().decode(ImageIndex.self, from: try blob(descriptor)) else {
            throw TransportError.invalidArchive("index \(descriptor.digest) cannot be parsed")
        }
        guard let chosen = nested.manifest(for: .current) else {
            throw TransportError.unsupported("no image for platform \(Platform.current) in index \(descriptor.digest)")
        }
        return try platformManifest(chosen, depth: depth + 1)
    }

    /// The names an index entry carries: containerd's full name, else a ref.name that is a full reference.
    static func names(from annotations: [String: String]?) -> [ImageReference] {
        if let full = annotations?[Descriptor.containerdImageNameAnnotation],
           let reference = try? ImageReference(full), reference.digest == nil {
            return [reference.withDefaultTag()]
        }
        if let refName = annotations?[Descriptor.refNameAnnotation], refName.contains(":") || refName.contains("/"),
           let reference = try? ImageReference(refName), reference.digest == nil {
            return [reference.withDefaultTag()]
        }
        return []
    }

    // MARK: Lookups

    private func blob(_ descriptor: Descriptor) throws -> Data {
        let path = DockerArchiveDestination.blobPath(descriptor.digest)
        guard let data = file(path) else { throw TransportError.missingFile(path) }
        let actual = Digest.sha256(data)
        guard actual == descriptor.digest else {
            throw TransportError.digestMismatch(what: path, expected: descriptor.digest.description, actual: actual.description)
        }
        return data
    }

    private func file(_ path: String) -> Data? {
        stager.files[followLinks(ArchiveStager.normalize(path))]
    }

    private func layer(_ path: String) -> StagedLayer? {
        stager.layers[followLinks(ArchiveStager.normalize(path))]
    }

    private func followLinks(_ path: String) -> String {
        var current = path
        for _ in 0..<16 {
            guard let target = stager.symlinks[current] else { return current }
            current = target
        }
        return current
    }

    private static func diffIDs(_ config: Data) throws -> [Digest] {
        guard let parsed = try? JSONDecoder().decode(ImageConfig.self, from: config) else {
            throw TransportError.invalidArchive("image config cannot be parsed")
        }
        return parsed.rootfs.diffIDs
    }

    private static func transportLayer(_ staged: StagedLayer) -> TransportLayer {
        let stored = staged.stored
        return TransportLayer(blob: Descriptor(mediaType: stored.mediaType, digest: stored.blobDigest, size: stored.blobSize),
                              diffID: stored.diffID, uncompressedSize: stored.uncompressedSize,
                              contentSize: stored.contentSize)
    }
}
