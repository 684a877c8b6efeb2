import Archive
import Foundation
import OCI
import Registry
import Synchronization

/// A registry image (`docker://`) as an `ImageSource`: the manifest is resolved once (an index narrowed to one
/// platform), the config fetched and verified, and layers stream from the registry with their digests checked.
public final class RegistrySource: ImageSource, Sendable {
    public let client: RegistryClient
    public let reference: ImageReference
    public let repository: RegistryRepository
    public let platform: PlatformMatcher
    /// The digest the reference resolved to (an index's, when it named one): what docker records as RepoDigest.
    public var resolvedDigest: Digest? { resolution.withLock { $0.digest } }
    /// The top-level manifest as fetched (index or image manifest).
    public var topManifest: FetchedManifest? { resolution.withLock { $0.topManifest } }
    private let resolution = Mutex(Resolution())

    /// What `images()` found, kept for later calls.
    private struct Resolution {
        var digest: Digest?
        var topManifest: FetchedManifest?
        var images: [TransportImage]?
    }

    public init(client: RegistryClient, reference: ImageReference, platform: PlatformMatcher = .host) {
        self.client = client
        self.reference = reference.digest == nil ? reference.withDefaultTag() : reference
        self.repository = RegistryRepository(reference)
        self.platform = platform
    }

    /// The tag or digest the registry is asked for.
    public var manifestReference: String { reference.digest?.description ?? reference.tag ?? ImageReference.defaultTag }

    /// HEAD of the top manifest, for "Image is up to date" checks without fetching anything else.
    public func headDigest() async throws -> Digest? {
        try await headDescriptor()?.digest
    }

    /// HEAD of the top manifest (nil when the registry has none under this reference); its media type tells
    /// an index, whose digest names images of several platforms, from an image manifest.
    public func headDescriptor() async throws -> Descriptor? {
        try await client.manifestDescriptor(repository, reference: manifestReference)
    }

    public func images() async throws -> [TransportImage] {
        if let cached = resolution.withLock({ $0.images }) { return cached }
        let top = try await client.manifest(repository, reference: manifestReference)
        var manifest = top
        if RegistrySource.isIndex(top.mediaType) {
            let index = try RegistrySource.decode(ImageIndex.self, top.data, what: "manifest list")
            guard let chosen = platform.best(in: index.manifests) else {
                throw TransportError.unsupported("no matching manifest for \(platform.wanted) in the manifest list entries")
            }
            manifest = try await client.manifest(repository, reference: chosen.digest.description)
            guard !RegistrySource.isIndex(manifest.mediaType) else {
                throw TransportError.unsupported("unsupported manifest format: nested index \(chosen.digest)")
            }
        }
        let image = try await imageFor(manifest)
        guard !image.isArtifact else {
            throw TransportError.unsupported("\(reference.description) is an artifact (\(manifest.digest)), not an image")
        }
        var names: [ImageReference] = []
        if reference.digest == nil { names.append(reference) }
        names.append(reference.repository.withDigest(top.digest))
        var result = image
        result.names = names
        resolution.withLock { $0 = Resolution(digest: top.digest, topManifest: top, images: [result]) }
        return [result]
    }

    /// One image manifest → a transport image (config fetched and verified, layers paired with diffIDs).
    func imageFor(_ manifest: FetchedManifest) async throws -> TransportImage {
        let parsed = try RegistrySource.decode(ImageManifest.self, manifest.data, what: "manifest")
        let config = try await fetchSmallBlob(parsed.config)
        if parsed.isArtifact {
            return .artifact(manifest: manifest.data, mediaType: manifest.mediaType, parsed: parsed, config: config)
        }
        let imageConfig = try RegistrySource.decode(ImageConfig.self, config, what: "image config")
        let diffIDs = imageConfig.rootfs.diffIDs
        guard diffIDs.count == parsed.layers.count else {
            throw TransportError.invalidArchive(
                "manifest \(manifest.digest) has \(parsed.layers.count) layers but its config lists \(diffIDs.count) diffIDs")
        }
        let layers = zip(parsed.layers, diffIDs).map { blob, diffID in
            TransportLayer(blob: blob, diffID: diffID, uncompressedSize: RegistrySource.isUncompressed(blob.mediaType) ? blob.size : nil)
        }
        return TransportImage(config: config, manifest: manifest.data, manifestMediaType: manifest.mediaType, layers: layers)
    }

    private func fetchSmallBlob(_ descriptor: Descriptor) async throws -> Data {
        guard descriptor.size <= 16 << 20 else { throw TransportError.unsupported("config blob \(descriptor.digest) is too large") }
        return try await client.smallBlob(repository, descriptor: descriptor)
    }

    public func openLayer(_ layer: TransportLayer, as delivery: LayerDelivery) async throws -> any BlobReader {
        let stream = try await client.openBlob(repository, digest: layer.blob.digest, size: layer.blob.size)
        let raw = RegistryBlobReader(stream)
        if delivery == .uncompressed && !layer.isUncompressed { return try StreamingDecompressingReader(raw) }
        return raw
    }

    /// Whether a manifest media type is an index (OCI index or Docker manifest list).
    public static func isIndexMediaType(_ mediaType: String) -> Bool { isIndex(mediaType) }

    static func isIndex(_ mediaType: String) -> Bool {
        mediaType == MediaType.ociIndex || mediaType == MediaType.dockerManifestList
    }

    static func isUncompressed(_ mediaType: String) -> Bool {
        mediaType == MediaType.ociLayer || mediaType == MediaType.dockerLayer
    }

    static func decode<T: Decodable>(_ type: T.Type, _ data: Data, what: String) throws -> T {
        do { return try JSONDecoder().decode(type, from: data) } catch {
            throw TransportError.invalidArchive("malformed \(what): \(error)")
        }
    }
}

/// A registry blob stream as a transport `BlobReader`; the stream checks size and digest itself.
final class RegistryBlobReader: SelfVerifyingBlobReader {
    let stream: RegistryBlobStream
    init(_ stream: RegistryBlobStream) { self.stream = stream }
    var verifiedDigest: Digest? { stream.isVerified ? stream.digest : nil }
    func read(into buffer: UnsafeMutableRawBufferPointer) async throws -> Int { try await stream.read(into: buffer) }
    func close() { stream.close() }
}

/// A compressed network stream delivered as its tar (for docker-archive destinations). The blob is spooled to
/// an unlinked temporary file first, so decompression can run ahead on its own thread as it does for stored blobs;
/// the spool costs disk, never memory.
final class StreamingDecompressingReader: BlobReader {
    private let raw: any BlobReader
    private var decoded: DecompressingBlobReader?

    init(_ raw: any BlobReader) throws { self.raw = raw }

    func read(into buffer: UnsafeMutableRawBufferPointer) async throws -> Int {
        if decoded == nil { decoded = try await spool() }
        return try await decoded!.read(into: buffer)
    }

    private func spool() async throws -> DecompressingBlobReader {
        var template = Array((NSTemporaryDirectory() + "/strata-spool-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw TransportError.unsupported("cannot create a spool file: \(String(cString: strerror(errno)))") }
        let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { Glibc.close(fd); unlink(path) }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let count = try await raw.read(into: chunk)
            if count == 0 { break }
            try FileDescriptorIO.writeAll(fd, UnsafeRawBufferPointer(rebasing: chunk[..<count]), what: "spool write")
        }
        return try DecompressingBlobReader(path: path)
    }

    func close() {
        raw.close()
        decoded?.close()
    }
}
