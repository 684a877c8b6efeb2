import Foundation
import OCI

/// One layer as a transport describes it: the blob as the source holds it, plus what it unpacks to.
public struct TransportLayer: Sendable, Hashable {
    /// The blob in the source's encoding (media type, digest, size).
    public var blob: Descriptor
    /// sha256 of the uncompressed layer tar.
    public var diffID: Digest
    /// Bytes of the uncompressed tar, when known (needed up front by tar-based destinations).
    public var uncompressedSize: Int64?
    /// Docker's layer size (file content bytes), when known.
    public var contentSize: Int64?

    public init(blob: Descriptor, diffID: Digest, uncompressedSize: Int64? = nil, contentSize: Int64? = nil) {
        self.blob = blob
        self.diffID = diffID
        self.uncompressedSize = uncompressedSize
        self.contentSize = contentSize
    }

    /// Whether the blob is the uncompressed tar itself.
    public var isUncompressed: Bool { blob.digest == diffID }
}

/// One image a source offers: config bytes kept verbatim (the image ID is their digest), the manifest
/// when the source has one of its own, the layers in order, and the names to give it.
public struct TransportImage: Sendable, Hashable {
    public var config: Data
    public var manifest: Data?
    public var manifestMediaType: String?
    public var layers: [TransportLayer]
    public var names: [ImageReference]
    /// The image is one entry of a multi-platform index the source offers (``IndexedImageSource``): it travels by
    /// digest, and the index, put after all its entries, carries the names.
    public var isIndexEntry: Bool

    public init(config: Data, manifest: Data? = nil, manifestMediaType: String? = nil, layers: [TransportLayer],
                names: [ImageReference] = [], isIndexEntry: Bool = false) {
        self.config = config
        self.manifest = manifest
        self.manifestMediaType = manifestMediaType
        self.layers = layers
        self.names = names
        self.isIndexEntry = isIndexEntry
    }

    /// The image ID: the config's digest.
    public var id: Digest { Digest.sha256(config) }

    /// The entry is an OCI 1.1 artifact an index lists (an attestation manifest), not an image: see ``artifact(manifest:mediaType:parsed:config:)``.
    public private(set) var isArtifact = false

    /// An artifact an index lists beside its images (BuildKit's attestation manifests): its config and blobs travel
    /// as an image's do, byte for byte, by digest. It has no image config, so no diffIDs: each blob stands for itself,
    /// and destinations that hold only images (a `docker save` archive) leave it out.
    public static func artifact(manifest data: Data, mediaType: String, parsed: ImageManifest, config: Data) -> TransportImage {
        var image = TransportImage(config: config, manifest: data, manifestMediaType: mediaType,
                                   layers: parsed.layers.map { TransportLayer(blob: $0, diffID: $0.digest, uncompressedSize: $0.size) },
                                   isIndexEntry: true)
        image.isArtifact = true
        return image
    }
}

/// A multi-platform index (OCI image index or Docker manifest list) copied whole (`copy --all`), byte for byte.
public struct TransportIndex: Sendable, Hashable {
    public var data: Data
    public var mediaType: String
    /// The names the index is put under at the destination (a tag, or a repository for RepoDigests).
    public var names: [ImageReference]

    public init(data: Data, mediaType: String, names: [ImageReference]) {
        self.data = data
        self.mediaType = mediaType
        self.names = names
    }

    public var digest: Digest { Digest.sha256(data) }
}

/// A source that may offer its images as the entries of one index. When `index()` returns one, every image from
/// `images()` is an entry of it (`isIndexEntry`), and the copier puts the index after them.
public protocol IndexedImageSource: ImageSource {
    func index() async throws -> TransportIndex?
    /// Every index the source offers (an archive may hold several), each over some of its images.
    func indexes() async throws -> [TransportIndex]
}

extension IndexedImageSource {
    public func indexes() async throws -> [TransportIndex] { try await index().map { [$0] } ?? [] }
}

/// A destination that can record an index over images it has received (registry, OCI layout, the store).
/// A destination without this receives the entries as separate images.
public protocol IndexDestination: ImageDestination {
    /// Called after `putImage` of every entry and before `commit`.
    func putIndex(_ index: TransportIndex) async throws
}

/// A stream of blob bytes. `read` returns 0 only at the end; async so network bodies fit behind it.
public protocol BlobReader: AnyObject {
    func read(into buffer: UnsafeMutableRawBufferPointer) async throws -> Int
    /// Releases the underlying resource; reading after close is an error.
    func close()
}

/// A reader that checks its own bytes against a digest (a registry stream does, before it reports the end), so
/// that a copy need not hash them a second time.
public protocol SelfVerifyingBlobReader: BlobReader {
    /// The digest every byte was checked against, once all were read; nil before, or when they did not match.
    var verifiedDigest: Digest? { get }
}

/// Where images come from: the store, an archive, a layout directory, a registry. Sendable because the copier
/// opens several layers at once from different tasks; sources only read, so this costs them nothing.
public protocol ImageSource: Sendable {
    /// The images to copy, in order.
    func images() async throws -> [TransportImage]
    /// Opens one layer: the blob as stored, or decoded to its tar for `.uncompressed`.
    func openLayer(_ layer: TransportLayer, as delivery: LayerDelivery) async throws -> any BlobReader
}

/// How a destination wants layer bytes delivered to `putLayer`.
public enum LayerDelivery: Sendable, Equatable {
    /// The blob exactly as the source holds it (digests preserved).
    case asStored
    /// The uncompressed tar (docker-archive), whose digest is the diffID.
    case uncompressed
}

/// Where images go. Calls arrive in order: for each image `hasLayer`/`putLayer` per layer, then
/// `putImage`; after every image `commit`, or `abort` on any failure. A plain destination gets one call at a time
/// (an archive is one stream); see ``ConcurrentImageDestination`` for one that takes layers in parallel.
public protocol ImageDestination {
    var layerDelivery: LayerDelivery { get }
    /// Whether the layer is already there, so the copy can skip its bytes.
    func hasLayer(_ layer: TransportLayer) async throws -> Bool
    /// Stores one layer from `reader`, which yields `layerDelivery` bytes. A destination that makes the layer
    /// durable calls `reader.finish()` first: it throws unless the bytes had the expected digest and size.
    func putLayer(_ layer: TransportLayer, from reader: VerifyingBlobReader) async throws
    /// Records an image whose layers are all present; returns the digest of the manifest written for it, when the
    /// destination writes one.
    @discardableResult
    func putImage(_ image: TransportImage) async throws -> Digest?
    func commit() async throws
    func abort() async
}

/// A destination that accepts `hasLayer` and `putLayer` calls for different layers at the same time, from
/// different tasks (the store, a registry). `putImage`, `commit` and `abort` still come one at a time, after the
/// layer calls they depend on have finished.
public protocol ConcurrentImageDestination: ImageDestination, Sendable {}

/// Failures of reading or writing images in transit, each one line for the CLI.
public enum TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    case digestMismatch(what: String, expected: String, actual: String)
    case sizeMismatch(what: String, expected: Int64, actual: Int64)
    case missingFile(String)
    case invalidArchive(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .digestMismatch(let what, let expected, let actual):
            return "invalid digest for \(what): expected \(expected), got \(actual)"
        case .sizeMismatch(let what, let expected, let actual):
            return "invalid size for \(what): expected \(expected) bytes, got \(actual)"
        case .missingFile(let path): return "invalid archive: \(path) is referenced but missing from the archive"
        case .invalidArchive(let what): return "invalid archive: \(what)"
        case .unsupported(let what): return what
        }
    }
}

extension TransportError: KindedError {
    /// Every transport failure is about the input: a digest or size that does not match, a missing or malformed
    /// file, an unsupported combination.
    public var kind: ErrorKind { .invalidArgument }
}
