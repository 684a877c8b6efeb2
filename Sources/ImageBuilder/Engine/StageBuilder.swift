import Crypto
import Dockerfile
import Foundation
import GoText
import OCI
import Sandbox
import Store
import Synchronization

/// What a built stage leaves for the stages and the image that use it.
struct StageResult: Sendable {
    let config: ImageConfig
    let layers: [StoredLayer]
    let key: String
    let executed: Int
    let cached: Int
}

/// Shared by every stage of one build.
struct BuildEnvironment: Sendable {
    let request: BuildRequest
    let store: ImageStore
    var progress: VertexCounter
    let directories: LayerDirectories
    let views: FilesystemViews
    let puller: ImagePuller?
    let plans: [StagePlan]
    let globalScope: [String: String]
    let platformValues: [String: String]
    var stageResult: @Sendable (Int) async throws -> StageResult
    let multiStage: Bool
    var contextShown = ContextVertex()
    /// The steps settled so far, for `--cache-to` and the inline cache.
    var stepLog: StepResultLog
    /// The `--cache-from` caches that could be read.
    let importedCache: ImportedBuildCache?
    /// The stage solves a multi-platform build's solves share (nil: a single-platform build).
    var sharedStages: SharedStages?
    /// A stage's key chain worked out without running anything (see `StageKeyWalk`); nil when the stage has a step
    /// whose key needs its inputs' files.
    var stageKey: @Sendable (Int) async -> StageResult? = { _ in nil }
    /// This environment only works keys out: steps are not looked up, run or shown.
    var walksKeysOnly = false
}

/// BuildKit's `[internal] load build context`, shown once, when the first step reads the context.
final class ContextVertex: Sendable {
    private let shown = Mutex(false)

    func show(_ context: BuildContext, progress: VertexCounter) {
        guard context.origin == .local else { return }   // BuildKit reads a remote context from its own snapshot
        let first = shown.withLock { alreadyShown in
            defer { alreadyShown = true }
            return !alreadyShown
        }
        guard first else { return }
        let vertex = progress.start("[internal] load build context")
        // What BuildKit would have sent: the files not answered by the stat cache.
        vertex.status("transferring context: \(Self.transferSize(context.hashedByteCount)) done")
        vertex.done()
    }

    /// BuildKit's transfer counter: plain bytes under 1 kB ("122B"), else two decimals ("35.70MB").
    static func transferSize(_ bytes: Int64) -> String {
        if bytes < 1000 { return "\(bytes)B" }
        var value = Double(bytes) / 1000
        for unit in ["kB", "MB", "GB"] {
            if value < 1000 || unit == "GB" { return String(format: "%.2f", value) + unit }
            value /= 1000
        }
        return "\(bytes)B"
    }
}

/// Runs one stage's instructions in order, BuildKit 20.10's Dockerfile semantics.
struct StageBuilder {
    let environment: BuildEnvironment
    let stage: BuildStage
    let plan: StagePlan
    var state: StageState
    var expander: VariableExpander
    var stepNumber = 1
    var stepTotal = 1

    init(environment: BuildEnvironment, stage: BuildStage, plan: StagePlan) {
        self.environment = environment
        self.stage = stage
        self.plan = plan
        expander = environment.request.document.expander
        let platform = Self.platform(of: plan.index, plans: environment.plans, target: environment.request.platform)
        var container = ContainerConfig(style: .oci)
        container.env = ["PATH=" + ContainerFiles.defaultPath]
        state = StageState(config: ImageConfig(architecture: platform.architecture, os: platform.os, variant: platform.variant,
                                               config: container),
                           layers: [], baseHistory: [], runEnv: container.env ?? [], cacheKey: "scratch")
    }

    mutating func build() async throws -> StageResult {
        var instructions = stage.instructions
        try await loadBase(&instructions)
        // In a multi-platform build, a stage whose inputs are the same in every solve (one on the build platform)
        // is solved once: the first solve to get here builds it, the others take its result.
        if let shared = environment.sharedStages {
            let builder = self, stageInstructions = instructions
            return try await shared.result(of: try await sharingKey(instructions), log: environment.stepLog) {
                var solver = builder
                return try await solver.run(stageInstructions)
            }
        }
        return try await run(instructions)
    }

    private mutating func run(_ instructions: [Instruction]) async throws -> StageResult {
        // BuildKit numbers a FROM of an image as step 1; `scratch` and an earlier stage are no step of their own.
        let fromIsStep: Bool
        if case .image = plan.base { fromIsStep = true } else { fromIsStep = false }
        stepNumber = fromIsStep ? 1 : 0
        stepTotal = (fromIsStep ? 1 : 0) + instructions.filter(Self.isLayerStep).count
        for instruction in instructions {
            try await dispatch(instruction)
        }
        return StageResult(config: state.finishedConfig(epoch: environment.request.sourceDateEpoch.map { Date(timeIntervalSince1970: Double($0)) }), layers: state.layers, key: state.cacheKey,
                           executed: state.executed, cached: state.cached)
    }

    static func isLayerStep(_ instruction: Instruction) -> Bool {
        switch instruction {
        case .run, .copy, .add: true
        case .workdir(let w): w.path != "/"
        default: false
        }
    }

    func stepName(_ text: String) -> String {
        "[\(stepPrefix)\(stepNumber)/\(stepTotal)] \(text)"
    }

    /// What BuildKit puts before a step's number: the stage's platform in a multi-platform build, the stage's name
    /// when there are several (`[linux/arm64 builder 2/4]`, `[linux/amd64 tools 1/3]` for a stage on the build platform).
    var stepPrefix: String {
        let platform = environment.request.showsPlatform ? stagePlatform.description + " " : ""
        return platform + (environment.multiStage ? stage.displayName + " " : "")
    }

    /// The platform the stage builds for: its `--platform`, else the target's.
    var stagePlatform: Platform {
        Self.platform(of: plan.index, plans: environment.plans, target: environment.request.platform)
    }

    /// BuildKit's rule: a stage FROM an earlier stage runs on that stage's platform (its own `--platform` aside);
    /// a stage FROM an image or scratch on its `--platform`, else the target's.
    static func platform(of index: Int, plans: [StagePlan], target: Platform) -> Platform {
        var plan = plans[index]
        while case .stage(let base) = plan.base, plans.indices.contains(base), base < plan.index { plan = plans[base] }
        return plan.platform ?? target
    }

    // MARK: FROM

    private mutating func loadBase(_ instructions: inout [Instruction]) async throws {
        let request = environment.request
        switch plan.base {
        case .scratch:
            return
        case .stage(let index):
            let base = try await environment.stageResult(index)
            adopt(config: base.config, layers: base.layers, key: base.key)
        case .image(let name):
            let reference: ImageReference
            do { reference = try ImageReference(name) } catch {
                throw BuildFailure("failed to parse stage name \"\(name)\": invalid reference format: repository name must be lowercase")
            }
            let full = reference.withDefaultTag()
            let vertex = environment.progress.start("[\(stepPrefix)1/\(max(1, stage.instructions.filter(Self.isLayerStep).count + 1))] FROM \(full.description)")
            let image = try await Self.findImage(name, reference: full, environment: environment, pull: request.pull,
                                                 platform: stagePlatform)
            let data = try environment.store.blobs.read(image.id)
            let config = try JSONDecoder().decode(ImageConfig.self, from: data)
            let layers = try environment.store.layers(of: image.id)
            adopt(config: config, layers: layers, key: image.id.description)
            // BuildKit dates every result; the base's is the image's own time.
            environment.stepLog.record(key: image.id.description, parentKey: nil, layers: layers, created: config.created ?? Timestamp.goZero)
            vertex.done()
        }
        // ONBUILD triggers of the base run first, then are cleared (docker does not inherit them).
        if let triggers = state.config.config?.onBuild, !triggers.isEmpty {
            do {
                let parsed = try DockerfileParser.parseInstructions(triggers, escapeCharacter: request.document.escapeCharacter)
                instructions = parsed + instructions
            } catch {
                throw BuildFailure("failed to process onbuild triggers: \(error.message)")
            }
            state.container.onBuild = nil
        }
    }

    static func findImage(_ name: String, reference: ImageReference, environment: BuildEnvironment, pull: Bool,
                          platform: Platform? = nil) async throws -> StoredImage {
        let store = environment.store
        let wanted = platform ?? environment.request.platform
        func suits(_ image: StoredImage) -> Bool {
            guard let config = try? JSONDecoder().decode(ImageConfig.self, from: store.blobs.read(image.id)) else { return false }
            // An image that names no architecture (hand-made configs) is taken as it is.
            return config.platform.architecture.isEmpty || PlatformMatcher(for: wanted).matches(config.platform)
        }
        // A stored image of another platform does not serve: BuildKit resolves the platform asked for (a
        // multi-platform name gives its entry).
        func stored() -> StoredImage? {
            if let entry = try? store.entry(named: name, for: wanted) { return entry }
            return (try? store.resolve(name)).flatMap { suits($0) ? $0 : nil }
        }
        if !pull, let image = stored() { return image }
        guard let puller = environment.puller else {
            throw BuildFailure("failed to solve with frontend dockerfile.v0: failed to create LLB definition: \(reference.description): not found")
        }
        let pulledID: OCI.Digest?
        do {
            pulledID = try await puller(reference, wanted)
        } catch {
            // With --pull too: the registry must answer, as docker's build fails when it cannot (a stored copy does not
            // stand in for the image asked to be fresh).
            throw BuildFailure("failed to solve with frontend dockerfile.v0: failed to create LLB definition: \(error)")
        }
        // The image this pull stored, by ID: solves of other platforms may be renaming the tag at the same moment.
        if let pulledID, let image = try? store.image(id: pulledID), suits(image) { return image }
        if let image = stored() { return image }
        let image: StoredImage
        do { image = try store.resolve(name) } catch {
            throw BuildFailure("failed to solve with frontend dockerfile.v0: failed to create LLB definition: pull access denied, repository does not exist or may require authorization: \(reference.description)")
        }
        guard suits(image) else {
            throw BuildFailure("failed to solve with frontend dockerfile.v0: failed to create LLB definition: no match for platform in manifest: not found")
        }
        return image
    }

    private mutating func adopt(config: ImageConfig, layers: [StoredLayer], key: String) {
        var container = config.config ?? ContainerConfig(style: .oci)
        container.style = .oci
        container.extraFields = [:]
        container.hostname = ""
        container.domainname = ""
        container.image = ""
        container.attachStdin = false; container.attachStdout = false; container.attachStderr = false
        container.tty = false; container.openStdin = false; container.stdinOnce = false
        // BuildKit gives a base without PATH the default one (as the oracle's imported busybox shows).
        if !(container.env ?? []).contains(where: { $0.hasPrefix("PATH=") }) {
            container.env = ["PATH=" + ContainerFiles.defaultPath] + (container.env ?? [])
        }
        var fresh = ImageConfig(created: config.created, author: config.author, architecture: config.architecture, os: config.os,
                                variant: config.variant, config: container, rootfs: config.rootfs, history: nil)
        fresh.osVersion = config.osVersion
        state.config = fresh
        state.layers = layers
        state.baseHistory = config.history ?? []
        state.runEnv = container.env ?? []
        state.cacheKey = key
    }

    // MARK: Dispatch

    private mutating func dispatch(_ instruction: Instruction) async throws {
        let location = instruction.location
        let fileName = environment.request.document.fileName
        do {
            try await dispatchUnlocated(instruction)
        } catch let error as DockerfileError {
            throw BuildFailure("failed to solve with frontend dockerfile.v0: failed to create LLB definition: \(error.located(at: location, fileName: fileName))")
        }
    }

    func expand(_ word: String) throws(DockerfileError) -> String {
        try expander.expand(word, environment: state.environment)
    }

    private mutating func dispatchUnlocated(_ instruction: Instruction) async throws {
        switch instruction {
        case .from:
            break
        case .arg(let arg):
            var shown: [(String, String?)] = []
            for argument in arg.arguments {
                let defaultValue = try argument.defaultValue.map { value throws(DockerfileError) in try expand(value) }
                var value = environment.request.buildArgs[argument.name] ?? defaultValue
                if value == nil { value = environment.globalScope[argument.name] ?? environment.platformValues[argument.name] }
                if let value { state.setRunEnv(argument.name, value) }
                state.declaredArgs.removeAll { $0.0 == argument.name }
                state.declaredArgs.append((argument.name, value))
                shown.append((argument.name, defaultValue))
            }
            state.addMetadataHistory(HistoryText.arg(shown))
        case .env(let env):
            // Every value of one ENV sees the environment as it was before the instruction (docker's rule).
            let expanded = try env.variables.map { (try expand($0.key), try expand($0.value)) }
            var pairs: [(String, String)] = []
            for (key, value) in expanded {
                var list = state.container.env ?? []
                StageState.set(&list, key, value)
                state.container.env = list
                state.setRunEnv(key, value)
                pairs.append((key, value))
            }
            state.addMetadataHistory(HistoryText.keyValues("ENV", pairs))
        case .label(let label):
            var pairs: [(String, String)] = []
            var labels = state.container.labels ?? [:]
            for entry in label.labels {
                let key = try expand(entry.key), value = try expand(entry.value)
                labels[key] = value
                pairs.append((key, value))
            }
            state.container.labels = labels
            state.addMetadataHistory(HistoryText.keyValues("LABEL", pairs))
        case .maintainer(let maintainer):
            state.config.author = maintainer.maintainer
            state.addMetadataHistory("MAINTAINER \(maintainer.maintainer)")
        case .expose(let expose):
            var ports = Set<String>()
            for word in expose.ports {
                for expanded in try expander.expandWords(word, environment: state.environment) {
                    for key in try HistoryText.portKeys(expanded) { ports.insert(key) }
                }
            }
            state.container.exposedPorts = (state.container.exposedPorts ?? []).union(ports)
            state.addMetadataHistory(HistoryText.expose(ports))
        case .volume(let volume):
            var volumes: [String] = []
            for raw in volume.volumes {
                let value = try expand(raw)
                if value.isEmpty { throw DockerfileError("VOLUME specified can not be an empty string") }
                volumes.append(value)
            }
            state.container.volumes = (state.container.volumes ?? []).union(volumes)
            state.addMetadataHistory(HistoryText.volume(volumes))
        case .user(let user):
            let value = try expand(user.user)
            state.container.user = value
            state.addMetadataHistory("USER \(value)")
        case .stopSignal(let signal):
            let value = try expand(signal.signal)
            state.container.stopSignal = value
            state.addMetadataHistory("STOPSIGNAL \(value)")
        case .shell(let shell):
            state.container.shell = shell.shell
            state.addMetadataHistory(HistoryText.shell(shell.shell))
        case .cmd(let cmd):
            // `CMD []` is stored as null, as docker does.
            let arguments = cmd.command == .exec([]) ? [] : cmd.command.arguments(shell: shellWords)
            state.container.cmd = cmd.command == .exec([]) ? nil : arguments
            state.container.argsEscaped = true
            state.cmdSet = true
            state.addMetadataHistory(HistoryText.cmd(arguments))
        case .entrypoint(let entrypoint):
            let arguments: [String]? = entrypoint.command == .exec([]) ? nil : entrypoint.command.arguments(shell: shellWords)
            state.container.entrypoint = arguments
            if !state.cmdSet { state.container.cmd = nil }
            state.addMetadataHistory(HistoryText.entrypoint(arguments ?? []))
        case .healthcheck(let health):
            var check = Healthcheck()
            check.test = health.test
            if health.interval != 0 { check.interval = health.interval }
            if health.timeout != 0 { check.timeout = health.timeout }
            if health.startPeriod != 0 { check.startPeriod = health.startPeriod }
            if health.retries != 0 { check.retries = health.retries }
            state.container.healthcheck = check
            state.addMetadataHistory(HistoryText.healthcheck(test: health.test, interval: health.interval, timeout: health.timeout,
                                                             startPeriod: health.startPeriod, retries: health.retries))
        case .onbuild(let onbuild):
            state.container.onBuild = (state.container.onBuild ?? []) + [onbuild.expression]
        case .workdir(let workdir):
            let value = try expand(workdir.path)
            let previous = state.container.workingDir
            let path = value.hasPrefix("/") ? GoPath.clean(value) : GoPath.clean("/" + previous + "/" + value)
            state.container.workingDir = path
            if path != "/" {
                stepNumber += 1
                try await workdirStep(path, original: workdir.original)
            } else {
                state.addMetadataHistory("WORKDIR \(path)")
            }
        case .run(let run):
            stepNumber += 1
            try await runStep(run)
        case .copy(let copy):
            stepNumber += 1
            try await copyStep(CopyStepInput(copy: copy))
        case .add(let add):
            stepNumber += 1
            try await copyStep(CopyStepInput(add: add))
        }
    }

    var shellWords: [String] { state.container.shell ?? ["/bin/sh", "-c"] }

    /// The step text as BuildKit shows it: variables in scope substituted, unset ones and quotes left alone.
    func displayText(_ original: String) -> String {
        var display = expander
        display.skipUnsetVariables = true
        display.keepQuotes = true
        display.keepEscapes = true
        let words = original.split(separator: " ", maxSplits: 1)
        let keyword = words.first.map { $0.uppercased() } ?? ""
        guard words.count == 2, let rest = try? display.expand(String(words[1]), environment: state.environment) else {
            return keyword + (words.count == 2 ? " " + words[1] : "")
        }
        return keyword + " " + rest
    }

    /// sha256 hex of a cache-key description.
    static func key(_ parts: [String]) -> String {
        var hasher = SHA256()
        for part in parts {
            hasher.update(data: Data(part.utf8))
            hasher.update(data: [0])
        }
        return "sha256:" + hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    var platformText: String {
        let platform = stagePlatform
        return platform.os + "/" + platform.architecture + (platform.variant.map { "/" + $0 } ?? "")
    }
}
