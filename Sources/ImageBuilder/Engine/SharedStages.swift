import Dockerfile
import Foundation
import GoText
import OCI

/// The stage solves that the per-platform solves of one multi-platform build share. A stage whose result cannot
/// differ between them (the cross-compilation pattern's `FROM --platform=$BUILDPLATFORM … AS build`, or a literal
/// `--platform`, when it sees no target-specific argument) is solved once: the first solve to reach it builds it
/// (its progress shows the steps, under the stage's platform), the others wait for that result. BuildKit gets the
/// same from its solver, which merges the identical vertices of the platforms' graphs.
public actor SharedStages {
    /// A solved stage and the cache records of the steps that made it.
    private struct Solve: Sendable {
        let result: StageResult
        let steps: [CachedStepResult]
    }

    private var solves: [String: Task<Solve, Error>] = [:]

    public init() {}

    /// The stage solved under `key`: built by `solve` if no solve asked for it before, else that solve's result
    /// (its steps counted there, not here) with its steps' cache records added to `log`, so that each solve's
    /// cache export and inline cache still hold the whole chain of its image.
    func result(of key: String, log: StepResultLog, solve: @escaping @Sendable () async throws -> StageResult) async throws -> StageResult {
        if let existing = solves[key] {
            let shared = try await withTaskCancellationHandler { try await existing.value } onCancel: { existing.cancel() }
            log.record(shared.steps)
            let result = shared.result
            return StageResult(config: result.config, layers: result.layers, key: result.key, executed: 0, cached: 0)
        }
        let task = Task {
            let result = try await solve()
            return Solve(result: result, steps: log.chain(endingAt: result.key))
        }
        solves[key] = task
        // Shared, so it runs in a task of its own: a cancelled build must cancel it explicitly (as `StageScheduler`).
        return try await withTaskCancellationHandler { try await task.value.result } onCancel: { task.cancel() }
    }
}

extension StageBuilder {
    /// A digest of everything the stage's result depends on that may differ between the solves of one build (the
    /// Dockerfile, context, build arguments and flags are the same in all of them): the stage's platform, its base
    /// and the stages it copies or mounts from (by their results), the target platform when it takes files from an
    /// image (`--from` an image resolves for the target), and the values its ARGs can take (an `ARG TARGETARCH`
    /// makes the stage per target even if nothing reads it, as it changes every RUN's environment in BuildKit too).
    /// `instructions` are the stage's own with its base's ONBUILD triggers in front.
    func sharingKey(_ instructions: [Instruction]) async throws -> String {
        let request = environment.request
        var parts = ["stage", String(plan.index), "platform", stagePlatform.description]
        switch plan.base {
        case .scratch: parts.append("scratch")
        case .image: parts += ["image", state.cacheKey]
        case .stage(let index): parts += ["stage", try await identity(ofStage: index)]
        }
        for dependency in plan.stageDependencies {
            parts += ["from", String(dependency), try await identity(ofStage: dependency)]
        }
        if !plan.imageDependencies.isEmpty {
            parts += ["images", request.platform.description] + plan.imageDependencies
        }
        var names: Set<String> = []
        for case .arg(let arg) in instructions { names.formUnion(arg.arguments.map(\.name)) }
        for name in names.sorted() {
            let values = [request.buildArgs[name], environment.globalScope[name], environment.platformValues[name]]
            parts += ["arg", name] + values.map { $0.map { "=" + $0 } ?? "unset" }
        }
        return Self.key(parts)
    }

    /// A finished stage as its users see it: the cache chain and the whole config (layers, environment, history).
    private func identity(ofStage index: Int) async throws -> String {
        let result = try await environment.stageResult(index)
        return result.key + " " + Digest.sha256(Array(GoJSON.encode(result.config))).description
    }
}
