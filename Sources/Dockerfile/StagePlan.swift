import OCI

/// What a stage starts from once global ARGs are applied.
public enum StageBase: Sendable, Hashable {
    /// `FROM scratch`.
    case scratch
    /// Another stage of the same Dockerfile, by index.
    case stage(Int)
    /// An image reference (expanded, as written: normalisation is the caller's).
    case image(String)
}

/// A stage's resolved base, platform and the other stages it needs: what the executor schedules.
public struct StagePlan: Sendable, Hashable {
    public var index: Int
    public var base: StageBase
    /// The expanded `--platform`, parsed; nil when the stage has none.
    public var platform: Platform?
    /// Stages this one needs (base, `COPY --from`, `RUN --mount from=`), by index, ascending.
    public var stageDependencies: [Int]
    /// Images named by `COPY --from` or `RUN --mount from=` that are not stages.
    public var imageDependencies: [String]
}

extension DockerfileDocument {
    /// The global scope FROM lines see: platform ARGs, then each global ARG in order (a `--build-arg`
    /// overrides its default; defaults are expanded against the ARGs before them, errors ignored as BuildKit does).
    public func globalScope(buildArgs: [String: String], platformValues: [String: String]) -> [String: String] {
        var scope = platformValues
        for arg in globalArgs {
            for argument in arg.arguments {
                if let value = buildArgs[argument.name] {
                    scope[argument.name] = value
                } else if let value = argument.defaultValue {
                    scope[argument.name] = (try? expander.expand(value, environment: scope)) ?? value
                }
            }
        }
        return scope
    }

    /// The index of the stage `--target` names (case-insensitive); the last stage when `target` is nil.
    public func targetStageIndex(_ target: String?) throws(DockerfileError) -> Int {
        guard let target, !target.isEmpty else { return stages.count - 1 }
        guard let stage = stage(named: target) else {
            throw DockerfileError("target stage \(target) could not be found", fileName: fileName)
        }
        return stage.index
    }

    /// Resolves every stage's base and dependencies, raising the errors BuildKit raises when it converts the
    /// Dockerfile (blank base name, bad platform, bad stage index, circular dependency).
    public func plan(buildArgs: [String: String] = [:], platformValues: [String: String] = [:]) throws(DockerfileError) -> [StagePlan] {
        let scope = globalScope(buildArgs: buildArgs, platformValues: platformValues)
        var plans: [StagePlan] = []
        for stage in stages {
            let location = stage.from.location
            var name: String
            do {
                name = try expander.expand(stage.baseName, environment: scope)
            } catch {
                throw error.located(at: location, fileName: fileName)
            }
            guard !name.isEmpty else {
                throw DockerfileError("base name (\(stage.baseName)) should not be blank", location: location, fileName: fileName)
            }
            var platform: Platform?
            if let raw = stage.platform {
                let value: String
                do {
                    value = try expander.expand(raw, environment: scope)
                } catch {
                    throw DockerfileError("failed to process arguments for platform \(raw): \(error.message)",
                                          location: location, fileName: fileName)
                }
                do {
                    platform = try Platform(parsing: value)
                } catch {
                    throw DockerfileError("failed to parse platform \(value): \(error.description)", location: location, fileName: fileName)
                }
            }
            let base: StageBase
            if name == "scratch" {
                base = .scratch
            } else if let referenced = self.stage(named: name), referenced.index < stage.index {
                base = .stage(referenced.index)
            } else if self.stage(named: name)?.index == stage.index {
                throw DockerfileError("circular dependency detected on stage: \(stage.displayName)", fileName: fileName)
            } else {
                base = .image(name)
            }
            var stageDependencies: Set<Int> = []
            if case .stage(let index) = base { stageDependencies.insert(index) }
            var images: [String] = []
            func reference(_ from: String, location: SourceLocation) throws(DockerfileError) {
                if let index = Int(from) {
                    guard index >= 0 && index < stages.count else {
                        throw DockerfileError("invalid stage index \(index)", location: location, fileName: fileName)
                    }
                    stageDependencies.insert(index)
                } else if let referenced = self.stage(named: from) {
                    stageDependencies.insert(referenced.index)
                } else if !images.contains(from) {
                    // BuildKit turns a --from naming no stage into an image reference before anything runs;
                    // one that does not parse fails the whole build.
                    if !from.contains("$") {
                        do { _ = try ImageReference(from) } catch {
                            throw DockerfileError("failed to parse stage name \"\(from)\": \(error)")
                        }
                    }
                    images.append(from)
                }
            }
            for instruction in stage.instructions {
                switch instruction {
                case .copy(let copy):
                    if let from = copy.from, !from.isEmpty { try reference(from, location: copy.location) }
                case .run(let run):
                    for mount in run.mounts {
                        if let from = mount.from, !from.isEmpty, mount.type == .bind || mount.type == .cache {
                            try reference(from, location: run.location)
                        }
                    }
                default:
                    break
                }
            }
            plans.append(StagePlan(index: stage.index, base: base, platform: platform,
                                   stageDependencies: stageDependencies.sorted(), imageDependencies: images))
        }
        try checkCycles(plans)
        return plans
    }

    private func checkCycles(_ plans: [StagePlan]) throws(DockerfileError) {
        var state = [Int](repeating: 0, count: plans.count)  // 0 new, 1 visiting, 2 done
        func visit(_ index: Int) -> Int? {
            if state[index] == 1 { return index }
            if state[index] == 2 { return nil }
            state[index] = 1
            for dependency in plans[index].stageDependencies {
                if let cycle = visit(dependency) { return cycle }
            }
            state[index] = 2
            return nil
        }
        for index in plans.indices {
            if let cycle = visit(index) {
                throw DockerfileError("circular dependency detected on stage: \(stages[cycle].displayName)", fileName: fileName)
            }
        }
    }
}
