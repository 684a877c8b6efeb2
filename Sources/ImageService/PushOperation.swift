import Foundation
import OCI
import Registry
import Store
import Transport

/// `push`: a tag (or every tag of a repository) to its registry.
public struct PushOptions: Sendable {
    /// A tagged reference, or a repository with `allTags`.
    public var reference: ImageReference
    public var allTags: Bool
    public var maxConcurrentUploads: Int?

    public init(reference: ImageReference, allTags: Bool = false, maxConcurrentUploads: Int? = nil) {
        self.reference = reference
        self.allTags = allTags
        self.maxConcurrentUploads = maxConcurrentUploads
    }
}

/// What a push is doing, per tag: `preparing` for each layer (top first, as docker lists them), `transfer`s
/// (`mounted` when the registry took a layer from another repository), then `pushed`.
public enum PushEvent: Sendable {
    case preparing(TransportLayer)
    case mounted(TransportLayer, from: String)
    case transfer(CopyEvent)
    /// The manifest (or, for a multi-platform name, the index) is in: its digest and byte size.
    case pushed(ImageReference, digest: Digest, size: Int)
}

public struct PushResult: Sendable {
    public struct Pushed: Sendable {
        public let reference: ImageReference
        public let digest: Digest
        public let size: Int
    }

    public var pushed: [Pushed] = []
}

extension ImageService {
    /// Pushes as `docker push` does: layers the registry has (or can mount from another repository) are not sent;
    /// a name that stands for a multi-platform index pushes every platform, then the index. The digest pushed is
    /// recorded as a RepoDigest.
    public func push(_ options: PushOptions, events: @escaping @Sendable (PushEvent) -> Void = { _ in }) async throws -> PushResult {
        let store = try store()
        let reference = options.reference
        var targets: [(reference: ImageReference, image: StoredImage)] = []
        if options.allTags {
            for entry in try store.tags(inRepository: reference.name) {
                if let image = try store.image(id: entry.imageID) { targets.append((entry.reference, image)) }
            }
            if targets.isEmpty { throw ServiceError(.notFound, "An image does not exist locally with the tag: \(reference.name)") }
        } else {
            guard let id = try store.imageID(named: reference), let image = try store.image(id: id) else {
                throw ServiceError(.notFound, "An image does not exist locally with the tag: \(reference.name)")
            }
            targets = [(reference, image)]
        }
        let copier = ImageCopier(maxConcurrentLayers: options.maxConcurrentUploads ?? environment.maxConcurrentUploads)
        return try await withRegistry { client in
            var result = PushResult()
            for target in targets {
                result.pushed += try await push(target.image, as: target.reference, client: client, store: store, copier: copier,
                                                events: events)
            }
            return result
        }
    }

    private func push(_ image: StoredImage, as reference: ImageReference, client: RegistryClient, store: ImageStore,
                      copier: ImageCopier, events: @escaping @Sendable (PushEvent) -> Void) async throws -> [PushResult.Pushed] {
        // A pulled layer is proven (its tar hashes to the diffID the config names) before it leaves, as save, copy
        // and run prove it: an image whose layer lies is refused rather than spread.
        _ = try store.verifyPendingLayers(try store.layers(of: image.id))
        let index = try store.target(named: reference)?.indexDigest
        let source = try index.map { try StoreSource(store: store, index: $0, names: [reference]) }
            ?? StoreSource(store: store, images: [(image, [reference])], measureUncompressedSize: false)
        for layer in try store.layers(of: image.id).reversed() {
            events(.preparing(TransportLayer(blob: Descriptor(mediaType: layer.mediaType, digest: layer.blobDigest, size: layer.blobSize),
                                             diffID: layer.diffID)))
        }
        let destination = RegistryDestination(client: client, reference: reference)
        destination.onLayer = { layer, outcome in
            if case .mounted(let from) = outcome { events(.mounted(layer, from: from)) }
        }
        try await copier.copy(from: source, to: destination, progress: { events(.transfer($0)) })
        var pushed: [PushResult.Pushed] = []
        // For an index the platforms went by digest; what the name got, and its RepoDigest, is the index.
        for sent in index == nil ? destination.pushed : destination.pushed.suffix(1) {
            let tagged = PushResult.Pushed(reference: reference, digest: sent.digest, size: sent.size)
            events(.pushed(tagged.reference, digest: sent.digest, size: sent.size))
            try? store.tag(image, as: reference.repository.withDigest(sent.digest), index: index)
            pushed.append(tagged)
        }
        try? store.log(action: "push", reference: reference, imageID: image.id)
        return pushed
    }
}
