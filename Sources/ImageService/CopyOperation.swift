import Foundation
import OCI
import Registry
import Store
import Transport

/// `copy SRC DST` between registries, OCI layouts, archives and the store (skopeo's transport names).
public struct CopyOptions: Sendable {
    public var source: TransportName
    public var destination: TransportName
    /// Which platform of a multi-platform source to take (without `allPlatforms`).
    public var platform: PlatformMatcher
    /// Every platform and the index (skopeo's `--all`).
    public var allPlatforms: Bool
    /// Re-encode layers (changes their digests; not with `allPlatforms`).
    public var recompress: RecompressingSource.Format?
    /// Also the artifacts that refer to what is copied (signatures, SBOMs, attestations).
    public var referrers: Bool
    public var maxConcurrentLayers: Int?

    public init(source: TransportName, destination: TransportName, platform: PlatformMatcher = .host, allPlatforms: Bool = false,
                recompress: RecompressingSource.Format? = nil, referrers: Bool = false, maxConcurrentLayers: Int? = nil) {
        self.source = source
        self.destination = destination
        self.platform = platform
        self.allPlatforms = allPlatforms
        self.recompress = recompress
        self.referrers = referrers
        self.maxConcurrentLayers = maxConcurrentLayers
    }
}

extension ImageService {
    /// Copies an image (or a multi-platform image whole) from one transport to another through the one
    /// `ImageCopier`; archives are written to a temporary file renamed into place only when complete.
    /// `opened` is called once both ends are open, before anything moves.
    public func copy(_ options: CopyOptions, opened: @Sendable () -> Void = {},
                     events: @escaping @Sendable (CopyEvent) -> Void = { _ in }) async throws -> CopyReport {
        if options.allPlatforms && options.recompress != nil {
            throw ServiceError(.invalidArgument, "--all cannot be combined with --dest-compress-format: the index would name the old manifests")
        }
        var copier = ImageCopier(maxConcurrentLayers: options.maxConcurrentLayers ?? environment.maxConcurrentDownloads)
        copier.copiesReferrers = options.referrers
        return try await withRegistry { client in
            let endpoints = CopyEndpoints(client: client, platform: options.platform, openStore: { [self] in try store() })
            endpoints.allPlatforms = options.allPlatforms
            defer { endpoints.close() }
            if environment.signaturePolicy != nil, let registry = options.source.endpoint as? RegistryEndpoint {
                let reference = registry.reference.digest == nil ? registry.reference.withDefaultTag() : registry.reference
                try await admit(reference, digest: Self.resolveDigest(reference, client: client), client: client)
            }
            var from = try await endpoints.source(options.source)
            if let recompress = options.recompress { from = try RecompressingSource(from, format: recompress) }
            let to = try endpoints.destination(options.destination)
            opened()
            let renamed = CopyEndpoints.names(for: options.destination).map { RenamedSource(from, names: $0) }
            let report = if let renamed {
                try await copier.copy(from: renamed, to: to, progress: events)
            } else {
                try await copier.copy(from: from, to: to, progress: events)
            }
            try endpoints.finish()
            return report
        }
    }
}
