import Foundation

/// A stage's cache key chain worked out without running anything: the stage is walked as it is built, but a layer
/// step only computes its key (a step's key never depends on its inputs' results: a RUN's on its command and
/// environment, a COPY's on the context's checksums or the key of the stage it copies from). With `--cache-from`, a
/// step that takes files from another stage asks for that stage's key this way, and the stage is built only if the
/// step is not in a cache: so a fresh store given a `mode=min` cache, which holds only the result's own chain, runs
/// none of the other stages, as BuildKit's definition-keyed solver does not. A walk shows nothing, records nothing,
/// and gives up (nil) at a step whose key needs files (a RUN with mounts, COPY --from an image's stage it cannot
/// walk), so the stage is then built.
enum StageKeyWalk: Error {
    case needsFiles

    /// The function a build's environment answers `stageKey` with: each stage walked at most once.
    static func walker(for environment: BuildEnvironment) -> @Sendable (Int) async -> StageResult? {
        let walks = StageScheduler()
        let box = EnvironmentBox()
        var walking = environment
        walking.progress = VertexCounter(sink: { _ in })
        walking.contextShown = ContextVertex()
        walking.stepLog = StepResultLog()
        walking.sharedStages = nil
        walking.walksKeysOnly = true
        walking.stageResult = { index in
            try await walks.result(of: index) {
                let current = box.value!
                var builder = StageBuilder(environment: current, stage: current.request.document.stages[index],
                                           plan: current.plans[index])
                return try await builder.build()
            }
        }
        walking.stageKey = { index in try? await box.value!.stageResult(index) }
        box.value = walking
        return { index in try? await box.value!.stageResult(index) }
    }

    /// Whether stage `index`'s result is cached as a whole: its walked key is a step of the store's cache or of a
    /// `--cache-from` cache. Only a stage whose last instruction is a layer step can say so.
    static func isCached(_ index: Int, environment: BuildEnvironment) async -> Bool {
        guard !environment.walksKeysOnly, !environment.request.noCache,
              let last = environment.request.document.stages[index].instructions.last, StageBuilder.isLayerStep(last),
              let walked = await environment.stageKey(index) else { return false }
        if (try? environment.store.hasBuildStep(key: walked.key)) == true { return true }
        return environment.importedCache?.sources.contains { $0.results[walked.key] != nil } ?? false
    }
}
