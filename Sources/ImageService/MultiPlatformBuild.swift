import Foundation
import Synchronization
import Dockerfile
import GoText
import ImageBuilder
import OCI
import Store

/// `build --platform P1,P2,…`: one solve of the stage graph per platform (each with BuildKit's automatic platform
/// arguments, its bases pulled for that platform), run side by side, and the images joined into an OCI index that
/// the tags name. The store keeps the index whole: `images` lists a tag once, `inspect` and `run` take this host's
/// entry, `push` and `save` carry every platform.
extension ImageService {
    /// `--platform all`: every platform that all the images the stages start FROM offer (an index's entries, a single
    /// image's own platform), in the first base's order. The bases must be in the store (pulled beforehand).
    public func platformsAllBasesOffer(_ request: BuildRequest) throws -> [Platform] {
        let store = try store()
        let values = BuiltinArguments.platformValues(target: .host, build: .host)
        let plans: [StagePlan]
        do { plans = try request.document.plan(buildArgs: request.buildArgs, platformValues: values) } catch {
            throw ServiceError(.invalidArgument, "\(error)")
        }
        var offered: [Platform]?
        for plan in plans where plan.platform == nil {
            guard case .image(let name) = plan.base else { continue }
            var platforms: [Platform] = []
            if let reference = try? ImageReference(name), let target = try store.target(named: reference.withDefaultTag()),
               let digest = target.indexDigest, let index = try store.index(digest: digest) {
                platforms = index.entries.filter { !$0.descriptor.isAttestationManifest }.compactMap { $0.descriptor.platform?.buildTarget }
            } else {
                let image: StoredImage
                do { image = try store.resolve(name) } catch {
                    throw ServiceError(.notFound, "--platform all needs the base images in the store: \(name) is not (pull it first)")
                }
                let config = try JSONDecoder().decode(ImageConfig.self, from: store.blobs.read(image.id))
                platforms = [config.platform.buildTarget]
            }
            offered = offered.map { current in current.filter { platforms.contains($0) } } ?? platforms
        }
        guard let offered else {
            throw ServiceError(.invalidArgument, "--platform all takes its platforms from the FROM images, and this Dockerfile has none")
        }
        guard !offered.isEmpty else {
            throw ServiceError(.invalidArgument, "--platform all: the FROM images have no platform in common")
        }
        return offered
    }

    func buildPlatforms(_ options: BuildOptions, events: @escaping BuildEventSink) async throws -> BuildResult {
        // One platform comes here too when it is attested: the image and its attestations make an index.
        let platforms = options.platforms.isEmpty ? [options.request.platform] : options.platforms
        let started = Timestamp.now()
        let store = try store()
        let exporter = BuildOutputExporter(store: store)
        for output in options.outputs {
            if output.kind == .docker && output.destination != nil {
                throw ServiceError(.invalidArgument, "docker exporter does not currently support exporting manifest lists")
            }
            try exporter.checkDestination(output)
        }
        // Outputs other than an image export "to the client": the index is named only for an image output.
        let keepsIndex = options.outputs.isEmpty || options.outputs.contains { $0.kind == .image }
        var results = Array<BuildResult?>(repeating: nil, count: platforms.count)
        let merger = BuildEventMerger(events)
        // A stage on the build platform (the same in every solve) is solved once for all of them.
        let sharedStages = SharedStages()
        try await withThrowingTaskGroup(of: (Int, BuildResult).self) { group in
            for (position, platform) in platforms.enumerated() {
                var single = options
                single.platforms = []
                single.push = false
                single.outputs = []
                single.request.platform = platform
                single.request.showsPlatform = platforms.count > 1
                single.request.tags = []
                // One cache export for every platform, written below; an inline cache goes into each image.
                single.cacheTo = options.cacheTo.filter { $0.kind == .inline }
                let sink = merger.sink(for: position)
                group.addTask { [self] in (position, try await buildOne(single, events: sink, sharedStages: sharedStages)) }
            }
            do {
                for try await (position, result) in group { results[position] = result }
            } catch {
                // One platform failed: the others' images were never named, so nothing of the build stays but cache.
                group.cancelAll()
                for case let result? in results {
                    if let image = try? store.image(id: result.image.id), image.repoTags.isEmpty, image.repoDigests.isEmpty {
                        _ = try? store.remove(image.id.description, force: false)
                    }
                }
                throw error
            }
        }
        let built = results.compactMap { $0 }
        let exports = options.cacheTo.filter { $0.kind != .inline }
        if !exports.isEmpty {
            try await withRegistry { client in
                let exchange = try cacheExchange(from: [], to: exports, platform: .host, client: client)
                try await BuildExecutor.exportCaches(exchange.exports, all: built.flatMap(\.cacheSteps), chain: built.flatMap(\.cacheChain),
                                                     events: merger.sink(for: platforms.count))
            }
        }
        var entries: [Descriptor] = []
        for (platform, result) in zip(platforms, built) {
            let image = result.image
            guard let size = store.blobs.size(of: image.manifestDigest) else {
                throw ServiceError(.internal, "the manifest of the \(platform) image \(image.id) is not stored")
            }
            entries.append(Descriptor(mediaType: image.manifestMediaType, digest: image.manifestDigest, size: size,
                                      platform: platform))
        }
        entries += try await attestationEntries(options, images: zip(platforms, built.map(\.image)).map { ($0, $1) }, started: started,
                                                events: merger.sink(for: platforms.count + 1))
        let data = GoJSON.encode(ImageIndex(manifests: entries))
        let index = try store.commitIndex(data, mediaType: MediaType.ociIndex, names: keepsIndex ? options.request.tags : [],
                                          platform: PlatformMatcher(for: .host))
        let exported = zip(platforms, built.map(\.image.id)).map { (platform: $0.0, image: $0.1) }
        for output in options.outputs { try await exporter.export(index: index.digest, platforms: exported, to: output) }
        if !keepsIndex { try store.dropUnnamedIndexes() }
        if options.push || options.outputs.contains(where: \.push) {
            for tag in options.request.tags { _ = try await push(PushOptions(reference: tag)) }
        }
        // The result's image is this host's entry when there is one (what `inspect` and `run` of the tag see).
        let hostPosition = PlatformMatcher(for: .host).ranked(entries).first.flatMap { chosen in
            entries.firstIndex { $0.digest == chosen.digest }
        } ?? 0
        return BuildResult(image: built[hostPosition].image, index: index, executedSteps: built.reduce(0) { $0 + $1.executedSteps },
                           cachedSteps: built.reduce(0) { $0 + $1.cachedSteps })
    }
}

/// One progress stream for the solves of a multi-platform build, numbered as BuildKit numbers them: each solve's
/// vertices get ids of one sequence, and a vertex every solve shares (loading the Dockerfile, the context, the
/// export, the FROM of a stage on the build platform) is shown once, owned by the first solve that starts it. Shared
/// means the same name and digest: steps of one name whose cache keys differ (a build-platform stage that declares
/// TARGETARCH) are separate vertices, as in BuildKit.
final class BuildEventMerger: Sendable {
    private struct State {
        var next = 1
        var ids: [Int: [Int: Int]] = [:]        // solve → its vertex id → shown id
        var owners: [Int: Int] = [:]            // shown id → the solve whose start and end are shown
        var shared: [String: Int] = [:]         // vertex digest and name → shown id
    }

    private let downstream: BuildEventSink
    private let state = Mutex(State())

    init(_ downstream: @escaping BuildEventSink) { self.downstream = downstream }

    func sink(for solve: Int) -> BuildEventSink {
        { [self] event in forward(event, from: solve) }
    }

    private func forward(_ event: BuildEvent, from solve: Int) {
        let mapped: BuildEvent? = state.withLock { state in
            switch event {
            case .started(let id, let name, let digest):
                let identity = digest + " " + name
                if let shown = state.shared[identity] {
                    state.ids[solve, default: [:]][id] = shown
                    return nil
                }
                let shown = state.next
                state.next += 1
                state.shared[identity] = shown
                state.owners[shown] = solve
                state.ids[solve, default: [:]][id] = shown
                return .started(id: shown, name: name, digest: digest)
            case .log(let id, let elapsed, let stream, let text):
                // A folded vertex shows its owner's output once, not every solve's copy of it.
                guard let shown = state.ids[solve]?[id], state.owners[shown] == solve else { return nil }
                return .log(id: shown, elapsed: elapsed, stream: stream, text: text)
            case .status(let id, let text):
                guard let shown = state.ids[solve]?[id], state.owners[shown] == solve else { return nil }
                return .status(id: shown, text: text)
            case .cached(let id):
                guard let shown = state.ids[solve]?[id], state.owners[shown] == solve else { return nil }
                return .cached(id: shown)
            case .done(let id, let duration):
                guard let shown = state.ids[solve]?[id], state.owners[shown] == solve else { return nil }
                return .done(id: shown, duration: duration)
            case .failed(let id, let duration, let message):
                // A failure is always shown, whoever owns the vertex.
                return state.ids[solve]?[id].map { .failed(id: $0, duration: duration, message: message) }
            }
        }
        if let mapped { downstream(mapped) }
    }
}
