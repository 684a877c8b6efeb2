import Foundation
import OCI
import Registry
import Store
import Transport

/// `pull`: what to fetch and how.
public struct PullOptions: Sendable {
    /// A tag or digest reference; without either, every tag with `allTags`, else the caller adds `latest`.
    public var reference: ImageReference
    public var platform: PlatformMatcher
    /// Keep a multi-platform image whole: every platform and the index (its names resolve to `platform`'s entry).
    public var allPlatforms: Bool
    /// Every tag of the repository.
    public var allTags: Bool
    public var maxConcurrentDownloads: Int?

    public init(reference: ImageReference, platform: PlatformMatcher = .host, allPlatforms: Bool = false, allTags: Bool = false,
                maxConcurrentDownloads: Int? = nil) {
        self.reference = reference
        self.platform = platform
        self.allPlatforms = allPlatforms
        self.allTags = allTags
        self.maxConcurrentDownloads = maxConcurrentDownloads
    }
}

/// What a pull is doing, in order per reference: `resolving`, then `transfer`s, then `pulled`.
public enum PullEvent: Sendable {
    /// The manifest is resolved and content starts to move (docker's `Pulling from` header).
    case resolved(ImageReference)
    /// Layer progress from the copier.
    case transfer(CopyEvent)
    /// Everything is in: the digest the reference named, and whether the name now points at a different image.
    case pulled(ImageReference, digest: Digest, downloaded: Bool)
}

/// The references pulled, each with the digest it named and the image it resolves to here.
public struct PullResult: Sendable {
    public struct Pulled: Sendable {
        public let reference: ImageReference
        public let digest: Digest
        public let imageID: Digest?
        public let downloaded: Bool
    }

    public var pulled: [Pulled] = []
}

extension ImageService {
    /// Pulls a reference (or every tag of a repository) into the store, as `docker pull` does: a manifest already
    /// stored under its digest (for this platform) costs one HEAD; every blob is verified as it arrives.
    public func pull(_ options: PullOptions, events: @escaping @Sendable (PullEvent) -> Void = { _ in }) async throws -> PullResult {
        let store = try store()
        let copier = ImageCopier(maxConcurrentLayers: options.maxConcurrentDownloads ?? environment.maxConcurrentDownloads)
        return try await withRegistry { client in
            var targets = [options.reference]
            if options.allTags {
                targets = try await Self.allTags(of: options.reference, client: client).map { options.reference.withTag($0) }
            }
            var result = PullResult()
            for target in targets {
                let pulled = options.allPlatforms
                    ? try await pullAllPlatforms(target, client: client, store: store, options: options, copier: copier, events: events)
                    : try await pullOne(target, client: client, store: store, options: options, copier: copier, events: events)
                try? store.log(action: "pull", reference: target, imageID: pulled.imageID)
                events(.pulled(target, digest: pulled.digest, downloaded: pulled.downloaded))
                result.pulled.append(pulled)
            }
            return result
        }
    }

    private func pullOne(_ reference: ImageReference, client: RegistryClient, store: ImageStore, options: PullOptions,
                         copier: ImageCopier, events: @escaping @Sendable (PullEvent) -> Void) async throws -> PullResult.Pulled {
        let source = RegistrySource(client: client, reference: reference, platform: options.platform)
        // docker HEADs the manifest first (its failures, e.g. missing credentials, are the ones reported) and
        // reports the reference resolved only then: a missing tag shows no header.
        let head = try await source.headDescriptor()
        if let head { try await admit(reference, digest: head.digest, client: client) }
        if let head,
           let known = try store.imageID(named: reference.repository.withDigest(head.digest)),
           let image = try store.image(id: known),
           try Self.storedImage(known, in: store, suits: options.platform, forIndex: MediaType.isIndex(head.mediaType)) {
            events(.resolved(reference))
            let current = try store.imageID(named: reference)
            if reference.digest == nil && current != known { try store.tag(image, as: reference) }
            return PullResult.Pulled(reference: reference, digest: head.digest, imageID: known,
                                     downloaded: reference.digest == nil && current != known)
        }
        _ = try await source.images()
        if head == nil, let digest = source.resolvedDigest { try await admit(reference, digest: digest, client: client) }
        events(.resolved(reference))
        let previous = reference.digest == nil ? try store.imageID(named: reference) : nil
        let destination = StoreDestination(store: store, action: "")
        let images = try await copier.copy(from: source, to: destination, progress: { events(.transfer($0)) }).images
        let digest = source.resolvedDigest ?? Digest.sha256(images.first?.manifest ?? Data())
        return PullResult.Pulled(reference: reference, digest: digest, imageID: images.first?.id,
                                 downloaded: previous != images.first?.id)
    }

    /// Every platform and the index are stored; the names go to the entry for `platform`.
    private func pullAllPlatforms(_ reference: ImageReference, client: RegistryClient, store: ImageStore, options: PullOptions,
                                  copier: ImageCopier, events: @escaping @Sendable (PullEvent) -> Void) async throws
        -> PullResult.Pulled {
        let source = RegistryIndexSource(client: client, reference: reference)
        _ = try await source.images()
        if environment.signaturePolicy != nil {
            try await admit(reference, digest: Self.resolveDigest(reference, client: client), client: client)
        }
        events(.resolved(reference))
        let previous = reference.digest == nil ? try store.imageID(named: reference) : nil
        let destination = StoreDestination(store: store, action: "")
        destination.indexPlatform = options.platform
        _ = try await copier.copy(from: source, to: destination, progress: { events(.transfer($0)) })
        let current = try store.imageID(named: reference)
        return PullResult.Pulled(reference: reference, digest: source.resolvedDigest ?? Digest.sha256(Data()), imageID: current,
                                 downloaded: previous != current)
    }

    /// The repository's tags; an unknown repository is reported as such (docker words it for `pull -a`).
    static func allTags(of reference: ImageReference, client: RegistryClient) async throws -> [String] {
        let repository = RegistryRepository(reference)
        do { return try await client.tags(repository) } catch let error as RegistryError {
            if case .api(_, let errors) = error, let first = errors.first, first.code == "NAME_UNKNOWN" {
                throw RegistryError.repositoryNotFound(name: reference.repository.familiarName, cause: first)
            }
            throw error
        }
    }

    /// Whether the image stored under a manifest digest may stand for it: an index digest names images of
    /// several platforms, and the one kept may be another platform's (pulled earlier with --platform).
    static func storedImage(_ id: Digest, in store: ImageStore, suits platform: PlatformMatcher, forIndex: Bool) throws -> Bool {
        guard forIndex else { return true }
        guard let config = try? JSONDecoder().decode(ImageConfig.self, from: store.blobs.read(id)) else { return false }
        return platform.matches(config.platform)
    }
}
