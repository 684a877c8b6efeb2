import Foundation
import ImageBuilder
import OCI
import Registry
import Store

/// `build`: the request (context, Dockerfile, arguments) plus what to do with the result.
public struct BuildOptions: Sendable {
    public var request: BuildRequest
    /// `--output` destinations, checked before the build starts.
    public var outputs: [BuildOutput]
    /// Push every tag of the request once built (`--push`, or an output with `push=true`).
    public var push: Bool
    /// `--platform P1,P2,…` with more than one platform: one image each, joined into an index the tags name.
    public var platforms: [Platform] = []
    /// `--platform all`: every platform all the FROM images offer (see `platformsAllBasesOffer`).
    public var allPlatforms = false
    /// `--cache-from`: caches in registries, local directories or images' configs that steps are taken from.
    public var cacheFrom: [BuildCacheSpec] = []
    /// `--cache-to`: where the build's cache is written (`inline` puts it in the image config).
    public var cacheTo: [BuildCacheSpec] = []
    /// `--provenance`, `--sbom`, `--attest`: with any, the result is an index of the images and their attestations,
    /// even for one platform (as BuildKit makes it).
    public var attestations = BuildAttestations()

    public init(request: BuildRequest, outputs: [BuildOutput] = [], push: Bool = false) {
        self.request = request
        self.outputs = outputs
        self.push = push
    }
}

extension ImageService {
    /// Builds a Dockerfile as BuildKit does; FROM images not in the store are pulled through this service (quietly),
    /// outputs are written and tags pushed afterwards. Progress is the builder's events.
    public func build(_ options: BuildOptions, events: @escaping BuildEventSink) async throws -> BuildResult {
        var options = options
        try checkAttestationOutputs(options)
        if options.allPlatforms { options.platforms = try platformsAllBasesOffer(options.request) }
        if options.platforms.count > 1 || !options.attestations.isEmpty { return try await buildPlatforms(options, events: events) }
        if let only = options.platforms.first { options.request.platform = only }
        return try await buildOne(options, events: events)
    }

    /// One platform's build (the request's); `sharedStages` when it is one solve of a multi-platform build.
    func buildOne(_ options: BuildOptions, events: @escaping BuildEventSink, sharedStages: SharedStages? = nil) async throws -> BuildResult {
        let store = try store()
        let exporter = BuildOutputExporter(store: store)
        for output in options.outputs { try exporter.checkDestination(output) }
        var request = options.request
        // ADD <url> takes the registry's proxies and TLS settings.
        request.urlFetcher = HTTPFetcher(options: environment.registryOptions)
        let executor = BuildExecutor(store: store, puller: { [self] reference, platform in
            try await pull(PullOptions(reference: reference, platform: PlatformMatcher(for: platform))).pulled.first?.imageID
        }, events: events, sharedStages: sharedStages)
        // Outputs other than an image export "to the client", as BuildKit's do: nothing is named or kept in the store
        // (the build cache still is).
        let keepsImage = options.outputs.isEmpty || options.outputs.contains { $0.kind == .image }
        if !keepsImage { request.tags = [] }
        if options.cacheTo.contains(where: { $0.kind == .inline }) { request.inlineCache = true }
        let result: BuildResult
        if options.cacheFrom.isEmpty && !options.cacheTo.contains(where: { $0.kind != .inline }) {
            result = try await executor.build(request)
        } else {
            // One registry client for the build: cache blobs are fetched while steps are taken from the cache.
            result = try await withRegistry { client in
                let exchange = try cacheExchange(from: options.cacheFrom, to: options.cacheTo, platform: request.platform, client: client)
                request.cacheSources = exchange.sources
                request.cacheExports = exchange.exports
                return try await executor.build(request)
            }
        }
        for output in options.outputs { try await exporter.export(imageID: result.image.id, to: output) }
        if !keepsImage, let image = try store.image(id: result.image.id), image.repoTags.isEmpty, image.repoDigests.isEmpty {
            _ = try? store.remove(image.id.description, force: false)
        }
        if options.push || options.outputs.contains(where: \.push) {
            for tag in request.tags { _ = try await push(PushOptions(reference: tag)) }
        }
        return result
    }
}
