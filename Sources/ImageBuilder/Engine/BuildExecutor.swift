import Dockerfile
import Foundation
import GoText
import OCI
import Sandbox
import Store
import Synchronization

/// Builds a Dockerfile into an image in the store: the stages the target needs (independent ones
/// concurrently), each step cached by its inputs, the target's config and layers committed with the tags.
public struct BuildExecutor: Sendable {
    public let store: ImageStore
    public let puller: ImagePuller?
    public let events: BuildEventSink
    /// The stage solves shared with the other platforms' solves of a multi-platform build.
    public let sharedStages: SharedStages?

    public init(store: ImageStore, puller: ImagePuller?, events: @escaping BuildEventSink, sharedStages: SharedStages? = nil) {
        self.store = store
        self.puller = puller
        self.events = events
        self.sharedStages = sharedStages
    }

    public func build(_ request: BuildRequest) async throws -> BuildResult {
        do { try request.resources.validate() } catch { throw BuildFailure(error.description) }
        let document = request.document
        let hostPlatform = Platform.host
        let platformValues = BuiltinArguments.platformValues(target: request.platform, build: hostPlatform)
        let plans: [StagePlan]
        let target: Int
        do {
            plans = try document.plan(buildArgs: request.buildArgs, platformValues: platformValues)
            target = try document.targetStageIndex(request.target)
        } catch {
            throw BuildFailure("failed to solve with frontend dockerfile.v0: failed to create LLB definition: \(error.line == nil ? error.message : error.description)")
        }
        if !request.allowInsecure, document.stages.contains(where: { stage in
            stage.instructions.contains { if case .run(let run) = $0, run.security == "insecure" { true } else { false } }
        }) {
            throw BuildFailure("failed to solve: security.insecure is not allowed")
        }
        let globalScope = document.globalScope(buildArgs: request.buildArgs, platformValues: platformValues)
        let session = try ScratchSession.begin(root: store.root.buildScratchDirectory)
        defer { withExtendedLifetime(session) {} }
        let directories = LayerDirectories(store: store, kind: request.snapshotter, scratchRoot: session.path)
        let views = FilesystemViews(directories: directories)
        defer { views.releaseAll() }
        let progress = VertexCounter(sink: events)
        Self.loadVertices(request, plans: plans, target: target, progress: progress)
        let scheduler = StageScheduler()
        let multiStage = document.stages.count > 1
        let environmentBox = EnvironmentBox()
        let stepLog = StepResultLog()
        let imported = await Self.importCaches(request.cacheSources, progress: progress)
        var environment = BuildEnvironment(
            request: request, store: store, progress: progress, directories: directories, views: views, puller: puller,
            plans: plans, globalScope: globalScope, platformValues: platformValues,
            stageResult: { index in
                try await scheduler.result(of: index) {
                    try await Self.buildStage(index, environment: environmentBox.value!)
                }
            }, multiStage: multiStage, stepLog: stepLog, importedCache: imported, sharedStages: sharedStages)
        environment.stageKey = StageKeyWalk.walker(for: environment)
        environmentBox.value = environment

        let result = try await environment.stageResult(target)
        var config = result.config
        var layers = result.layers
        let targetPlatform = request.platform
        if request.showsPlatform, config.os != targetPlatform.os || config.architecture != targetPlatform.architecture {
            // One solve of a multi-platform build makes the target's image, whatever platform its stage ran on (a stage
            // FROM a build-platform stage): BuildKit sets the config's platform to the target's.
            (config.os, config.architecture, config.variant) = (targetPlatform.os, targetPlatform.architecture, targetPlatform.variant)
        }
        if !request.labels.isEmpty {
            var container = config.config ?? ContainerConfig(style: .oci)
            var labels = container.labels ?? [:]
            for (key, value) in request.labels { labels[key] = value }
            container.labels = labels
            config.config = container
        }
        if request.squash { (config, layers) = try await squash(config: config, layers: layers, request: request, target: target, environment: environment) }
        let chain = stepLog.chain(endingAt: result.key)
        if request.inlineCache || ["1", "true"].contains(request.buildArgs["BUILDKIT_INLINE_CACHE"]?.lowercased() ?? "") {
            // BuildKit's inline cache: base64 of the records of the image's own chain, in the config.
            let records = BuildKitCacheConfig.inlineRecords(steps: chain, imageLayers: layers.map(\.blobDigest))
            config.extraFields[BuildKitCacheConfig.inlineConfigKey] = .string(records.base64EncodedString())
        }
        let vertex = progress.start("exporting to image")
        vertex.status("exporting layers done")
        let data = GoJSON.encode(config)
        let image = try store.commit(config: data, layers: layers, tags: request.tags, action: "build")
        vertex.status("writing image \(image.id) done")
        for tag in request.tags { vertex.status("naming to \(tag.description) done") }
        vertex.done()
        let settled = stepLog.all
        try await Self.exportCaches(request.cacheExports, all: settled, chain: chain, progress: progress)
        var built = BuildResult(image: image, executedSteps: result.executed, cachedSteps: result.cached)
        built.cacheSteps = settled
        built.cacheChain = chain
        return built
    }

    /// BuildKit's `[internal]` steps before the first stage: the Dockerfile and .dockerignore sent (2 bytes of
    /// framing when there is none), or the fetch of a git or http context, then the config of each base image the target needs, in stage order.
    static func loadVertices(_ request: BuildRequest, plans: [StagePlan], target: Int, progress: VertexCounter) {
        switch request.context.origin {
        case .local:
            let definition = progress.start("[internal] load build definition from \(request.dockerfileName)")
            definition.status("transferring dockerfile: \(request.context.dockerfile.count)B done")
            definition.done()
            let ignore = progress.start("[internal] load .dockerignore")
            ignore.status("transferring context: \(request.dockerignoreSize ?? 2)B done")
            ignore.done()
        case .git(let shown):
            // A remote context was fetched before the build: BuildKit's steps that fetch it are shown done.
            progress.start("[internal] load git source \(shown)").done()
        case .download(let archive):
            progress.start("[internal] load remote build context").done()
            if archive { progress.start("copy /context /").done() }
        }
        var needed: Set<Int> = [], pending = [target]
        while let index = pending.popLast() {
            guard plans.indices.contains(index), needed.insert(index).inserted else { continue }
            pending += plans[index].stageDependencies
        }
        // In a multi-platform build BuildKit names the platform each base is resolved for (`[linux/arm64 internal]`).
        var shown: Set<String> = []
        for plan in plans where needed.contains(plan.index) {
            guard case .image(let name) = plan.base, let reference = try? ImageReference(name).withDefaultTag() else { continue }
            let platform = request.showsPlatform
                ? StageBuilder.platform(of: plan.index, plans: plans, target: request.platform).description + " " : ""
            let vertexName = "[\(platform)internal] load metadata for \(reference.description)"
            guard shown.insert(vertexName).inserted else { continue }
            progress.start(vertexName).done()
        }
    }

    static func buildStage(_ index: Int, environment: BuildEnvironment) async throws -> StageResult {
        let plan = environment.plans[index]
        // Dependencies start together, so independent stages build concurrently, unless this stage's whole chain is
        // cached (here or in a --cache-from cache): then a stage it only copies from is built only if a step that
        // takes its files turns out not to be (see `StageKeyWalk`).
        let dependencies = plan.stageDependencies.filter { $0 != index }
        if !dependencies.isEmpty, await !StageKeyWalk.isCached(index, environment: environment) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for dependency in dependencies {
                    group.addTask { _ = try await environment.stageResult(dependency) }
                }
                try await group.waitForAll()
            }
        }
        var builder = StageBuilder(environment: environment, stage: environment.request.document.stages[index], plan: plan)
        return try await builder.build()
    }

    /// `--squash`: the target's changes over its base image as one layer.
    private func squash(config: ImageConfig, layers: [StoredLayer], request: BuildRequest, target: Int,
                        environment: BuildEnvironment) async throws -> (ImageConfig, [StoredLayer]) {
        var baseCount = 0
        if case .image(let name) = environment.plans[target].base, let image = try? store.resolve(name) {
            baseCount = try store.layers(of: image.id).count
        }
        guard layers.count - baseCount > 1 else { return (config, layers) }
        let before = try environment.views.view(of: Array(layers.prefix(baseCount)))
        let after = try environment.views.view(of: layers)
        var result = config
        var kept = Array(layers.prefix(baseCount))
        if let layer = try await StepLayerWriter(store: store, modificationTimeLimit: request.sourceDateEpoch).write(.treeDifference(before: before, after: after)) {
            kept.append(layer)
        }
        result.rootfs = RootFS(diffIDs: kept.map(\.diffID))
        if var history = result.history {
            let baseEntries = history.prefix { _ in false }
            _ = baseEntries
            var seen = 0
            for i in history.indices where !history[i].isEmptyLayer {
                seen += 1
                if seen > baseCount { history[i].emptyLayer = true }
            }
            if kept.count > baseCount, let last = history.indices.last { history[last].emptyLayer = nil }
            result.history = history
        }
        return (result, kept)
    }
}

/// Late binding of the environment into the stage-result closure it contains.
final class EnvironmentBox: Sendable {
    private let stored = Mutex<BuildEnvironment?>(nil)

    var value: BuildEnvironment? {
        get { stored.withLock { $0 } }
        set { stored.withLock { $0 = newValue } }
    }
}

/// Builds each stage once, however many stages wait for it.
actor StageScheduler {
    private var tasks: [Int: Task<StageResult, Error>] = [:]

    func result(of index: Int, build: @escaping @Sendable () async throws -> StageResult) async throws -> StageResult {
        let task: Task<StageResult, Error>
        if let existing = tasks[index] {
            task = existing
        } else {
            task = Task { try await build() }
            tasks[index] = task
        }
        // The stage runs in a task of its own (it is shared): a cancelled build must cancel it explicitly.
        return try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
    }
}
