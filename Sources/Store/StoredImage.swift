import Foundation
import OCI

/// An image as the store knows it: its ID (the config digest) and the metadata the everyday commands
/// list without opening any blob.
public struct StoredImage: Sendable, Hashable {
    public let id: Digest
    public let manifestDigest: Digest
    public let manifestMediaType: String
    /// The config's `created` string, kept verbatim so nanoseconds survive.
    public let created: String
    public let createdUnix: Double
    /// Docker's `Size`: the sum of the unpacked content of every layer.
    public let size: Int64
    public let labels: [String: String]
    public let lastTagTime: String?
    /// Sorted the way docker sorts them: by their familiar string.
    public var repoTags: [ImageReference]
    public var repoDigests: [ImageReference]

    /// The image is a platform of a multi-platform index the store keeps: the index's names stand for it (through
    /// the entry for this host), so without names of its own it is neither dangling nor listed by default.
    public var isIndexEntry: Bool

    public var isDangling: Bool { repoTags.isEmpty && repoDigests.isEmpty && !isIndexEntry }

    public init(id: Digest, manifestDigest: Digest, manifestMediaType: String, created: String, createdUnix: Double,
                size: Int64, labels: [String: String], lastTagTime: String?, repoTags: [ImageReference],
                repoDigests: [ImageReference], isIndexEntry: Bool = false) {
        self.isIndexEntry = isIndexEntry
        self.id = id
        self.manifestDigest = manifestDigest
        self.manifestMediaType = manifestMediaType
        self.created = created
        self.createdUnix = createdUnix
        self.size = size
        self.labels = labels
        self.lastTagTime = lastTagTime
        self.repoTags = repoTags
        self.repoDigests = repoDigests
    }
}

/// A layer blob and what the store knows about it.
public struct StoredLayer: Sendable, Hashable {
    public let blobDigest: Digest
    public let diffID: Digest
    public let mediaType: String
    public let blobSize: Int64
    /// Docker's per-layer size: bytes of file content the layer unpacks to. Nil while the layer is pending: its
    /// blob digest checked, but its tar not yet decoded, so neither this size nor its diffID is proven yet
    /// (see `ImageStore.verifyPendingLayers`).
    public let contentSize: Int64?
    /// Bytes of the decompressed layer tar (the docker-archive entry size); nil when not yet measured.
    public let uncompressedSize: Int64?

    /// Whether the tar has been decoded and matched `diffID`.
    public var isVerified: Bool { contentSize != nil }

    public init(blobDigest: Digest, diffID: Digest, mediaType: String, blobSize: Int64, contentSize: Int64?,
                uncompressedSize: Int64? = nil) {
        self.blobDigest = blobDigest
        self.diffID = diffID
        self.mediaType = mediaType
        self.blobSize = blobSize
        self.contentSize = contentSize
        self.uncompressedSize = uncompressedSize
    }
}

/// One entry of the event log, shaped like docker's `events.Message`.
public struct ImageEvent: Sendable, Hashable {
    public let sequence: Int64
    public let timeNano: Int64
    public let type: String
    public let action: String
    public let actorID: String
    public let attributes: [String: String]

    public init(sequence: Int64, timeNano: Int64, type: String, action: String, actorID: String, attributes: [String: String]) {
        self.sequence = sequence
        self.timeNano = timeNano
        self.type = type
        self.action = action
        self.actorID = actorID
        self.attributes = attributes
    }
}

/// One line of `rmi` output: docker prints `Untagged: …` and `Deleted: …` in this order.
public enum RemovalRecord: Sendable, Hashable, CustomStringConvertible {
    case untagged(String)
    case deleted(String)

    public var description: String {
        switch self {
        case .untagged(let ref): return "Untagged: \(ref)"
        case .deleted(let id): return "Deleted: \(id)"
        }
    }
}

/// The chain ID of each layer prefix, as docker names layers: chain(0) = diffID(0),
/// chain(n) = sha256(chain(n-1) + " " + diffID(n)).
public func chainIDs(of diffIDs: [Digest]) -> [Digest] {
    var result: [Digest] = []
    for diffID in diffIDs {
        if let previous = result.last {
            result.append(Digest.sha256(Data("\(previous) \(diffID)".utf8)))
        } else {
            result.append(diffID)
        }
    }
    return result
}
