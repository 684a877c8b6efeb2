import Foundation
import OCI

/// A multi-platform index (OCI image index or Docker manifest list) the store keeps whole: its bytes are the blob
/// `digest`, and each entry names a manifest that may or may not be stored.
public struct StoredIndex: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        /// The entry as the index lists it (media type, digest, size, platform).
        public let descriptor: Descriptor
        /// The stored image whose manifest this is; nil when the store lacks that platform.
        public let imageID: Digest?
    }

    public let digest: Digest
    public let mediaType: String
    public let size: Int64
    public let entries: [Entry]
}

/// What a name points at: an image (through its manifest), or a multi-platform index whose entry for this host is
/// `image`.
public enum NameTarget: Sendable, Hashable {
    case image(Digest)
    case index(Digest, image: Digest)

    /// The image the name resolves to on this host.
    public var imageID: Digest {
        switch self {
        case .image(let id), .index(_, let id): return id
        }
    }

    public var indexDigest: Digest? {
        if case .index(let digest, _) = self { return digest }
        return nil
    }
}

/// A manifest, index or artifact manifest the store holds, by digest: what a registry server or a descriptor-level
/// copy reads.
public struct StoredManifest: Sendable, Hashable {
    public let data: Data
    public let mediaType: String
    public var digest: Digest { Digest.sha256(data) }
    public var descriptor: Descriptor { Descriptor(mediaType: mediaType, digest: digest, size: Int64(data.count)) }

    public init(data: Data, mediaType: String) {
        self.data = data
        self.mediaType = mediaType
    }
}
