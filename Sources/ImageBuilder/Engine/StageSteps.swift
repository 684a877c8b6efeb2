#if canImport(Glibc)
import Glibc
#endif
import Archive
import Dockerfile
import Foundation
import GoText
import OCI
import Sandbox
import Store
import Synchronization

/// COPY and ADD with their flags, one shape for both.
struct CopyStepInput {
    var sources: [CopySource]
    var destination: String
    var from: String?
    var chown: String?
    var chmod: String?
    var isAdd: Bool
    var checksum: String?
    var original: String

    init(copy: CopyInstruction) {
        sources = copy.sources; destination = copy.destination; from = copy.from; chown = copy.chown; chmod = copy.chmod
        isAdd = false; checksum = nil; original = copy.original
    }

    init(add: AddInstruction) {
        sources = add.sources; destination = add.destination; from = nil; chown = add.chown; chmod = add.chmod
        isAdd = true; checksum = add.checksum; original = add.original
    }
}

extension StageBuilder {
    // MARK: The layer-step skeleton

    /// What a step's work left besides the files: paths to drop from the layer (RUN's mount stubs)
    /// and placeholder files' sources (COPY).
    struct StepWork {
        var dropped: [String] = []
        var contentSources: [String: String] = [:]
    }

    /// Looks the step up in the cache; on a miss prepares a writable rootfs over the current layers, lets
    /// `work` change it (told whether it may leave placeholders: only an overlay upper dir can be written from
    /// sources), and turns the changes into the step's layer.
    /// `describedByHistory`: the history line says everything the step does (so an image named as a cache may
    /// answer it by its history).
    mutating func layerStep(display: String, keyParts: [String], createdBy: String, alwaysLayer: Bool = false,
                            describedByHistory: Bool = false,
                            work: (_ rootfs: String, _ deferContents: Bool) async throws -> StepWork) async throws {
        let environment = self.environment
        let epoch = environment.request.sourceDateEpoch
        let key = Self.key([state.cacheKey, platformText] + keyParts + (epoch.map { ["source-date-epoch", String($0)] } ?? []))
        if environment.walksKeysOnly {
            state.addLayerStep(createdBy, layer: nil, time: .goZero)
            state.cacheKey = key
            return
        }
        let vertex = environment.progress.start(stepName(display), digest: key)
        let epochTime = epoch.map { Timestamp(seconds: $0) }
        if !environment.request.noCache {
            var found: (layer: StoredLayer?, created: Timestamp)?
            if let entry = try environment.store.cachedBuildStep(key: key) {
                found = (entry.layer, entry.created)
            } else if let imported = environment.importedCache {
                let history = describedByHistory ? state.baseHistory + state.history.map(\.entry) : nil
                found = await imported.take(key: key, after: state.layers, description: createdBy, history: history,
                                            store: environment.store)
            }
            if let found {
                vertex.cached()
                let parent = state.cacheKey
                state.addLayerStep(createdBy, layer: found.layer, time: epochTime ?? found.created)
                state.cacheKey = key
                state.cached += 1
                environment.stepLog.record(key: key, parentKey: parent, layers: state.layers, created: found.created)
                return
            }
        }
        let directories = environment.directories
        let prepared: PreparedRootfs
        do {
            let lowers = try directories.lowerDirs(for: state.layers)
            prepared = try RootfsSnapshot.prepare(lowerDirs: lowers, scratch: try directories.newScratch(), kind: directories.kind)
        } catch {
            vertex.failed("\(error)")
            throw BuildFailure("\(error)", stepName: stepName(display))
        }
        let layer: StoredLayer?
        var contentSources: [String: String] = [:]
        do {
            let done = try await CurrentVertex.$value.withValue(vertex) {
                try await work(prepared.mountPoint, prepared.upperDir != nil)
            }
            contentSources = done.contentSources
            prepared.unmount()
            let changes: StepLayerWriter.Changes
            if let upper = prepared.upperDir {
                for path in done.dropped { _ = unlink(upper + path) }
                changes = .overlayUpper(upper, contentSources: done.contentSources)
            } else {
                for path in done.dropped { _ = unlink(prepared.mountPoint + path) }
                changes = .treeDifference(before: prepared.lowerDirs[0], after: prepared.mountPoint)
            }
            let writer = StepLayerWriter(store: environment.store, modificationTimeLimit: epoch)
            if let written = try await writer.write(changes) {
                layer = written
            } else {
                layer = alwaysLayer ? try await writer.emptyLayer() : nil
            }
            try environment.store.recordBuildStep(key: key, layer: layer, description: createdBy)
        } catch {
            try? prepared.remove()
            let message = (error as? BuildFailure)?.description ?? "\(error)"
            vertex.failed(message)
            if let failure = error as? BuildFailure { throw BuildFailure(failure.description, stepName: stepName(display)) }
            throw BuildFailure(message, stepName: stepName(display))
        }
        if let upper = prepared.upperDir, let layer {
            if contentSources.isEmpty {
                directories.adopt(upper: upper, diffID: layer.diffID)
            } else {
                directories.adoptUnfilled(upper: upper, diffID: layer.diffID)
            }
        }
        try? prepared.remove()
        let created = (try? environment.store.cachedBuildStep(key: key))?.created ?? Timestamp.now()
        vertex.done()
        let parent = state.cacheKey
        state.addLayerStep(createdBy, layer: layer, time: epochTime ?? created)
        state.cacheKey = key
        state.executed += 1
        environment.stepLog.record(key: key, parentKey: parent, layers: state.layers, created: created)
    }

    // MARK: WORKDIR

    mutating func workdirStep(_ path: String, original: String) async throws {
        let user = state.container.user
        try await layerStep(display: displayText(original), keyParts: ["WORKDIR", path, user], createdBy: "WORKDIR \(path)",
                                 alwaysLayer: true, describedByHistory: true) { rootfs, _ in
            let owner = user.isEmpty ? ContainerUser() : try UserResolver.resolve(user, rootfs: rootfs)
            let made = try ScopedPath.makeDirectories(path, in: rootfs)
            for created in made.created {
                _ = lchown(rootfs + created, owner.uid, owner.gid)
            }
            return StepWork()
        }
    }

    // MARK: RUN

    mutating func runStep(_ run: RunInstruction) async throws {
        let request = environment.request
        var arguments = run.command.arguments(shell: shellWords)
        var pipeFiles: [SandboxFile] = []
        switch run.heredocCommand {
        case nil:
            break
        case .script(let body):
            // BuildKit leaves a RUN heredoc's variables to the shell (quoted or not), as it does here.
            arguments = shellWords + [body]
        case .executable(let name, let content):
            // dockerfile 1.4+: a body with a shebang is a program of its own, run through its interpreter from a
            // read-only /dev/pipes/NAME (mode 0755) by the shell.
            let path = "/dev/pipes/" + name
            pipeFiles.append(SandboxFile(contents: Array(content.utf8), destination: path,
                                         mode: 0o755, readOnly: true))
            arguments = shellWords + [path]
        case .shellText(let script):
            // A command with heredocs (`RUN <<-EOT sh`, `RUN cat <<A <<B`): the shell gets the line and the bodies with
            // their terminators and runs its own heredoc processing, as BuildKit does.
            arguments = shellWords + [script]
        }
        let env = state.environment
        let historyArgs = state.declaredArgs.map { ($0.0, env[$0.0] ?? $0.1 ?? "") }
        let createdBy = HistoryText.run(arguments: arguments, buildArgs: historyArgs)
        var runEnv = state.runEnv
        for name in BuiltinArguments.proxyNames {
            if let value = request.buildArgs[name], env[name] == nil { runEnv.append(name + "=" + value) }
        }
        let network: NetworkMode = switch run.network ?? .default {
        case .default: request.network
        case .host: .host
        case .none: .none
        }
        let user = state.container.user
        let workdir = state.container.workingDir.isEmpty ? "/" : state.container.workingDir
        let stagePlatform = self.stagePlatform
        // A mount's key needs its source's files (or a secret): a key-only walk stops here.
        if environment.walksKeysOnly && !run.mounts.isEmpty { throw StageKeyWalk.needsFiles }
        let mounts = try await prepareMounts(run.mounts)
        // BuildKit points SSH_AUTH_SOCK at the first ssh mount unless the environment sets it (even when the mount is
        // skipped for want of a forwarded agent).
        if let first = mounts.sshMounts.first, !runEnv.contains(where: { $0.hasPrefix("SSH_AUTH_SOCK=") }) {
            runEnv.append("SSH_AUTH_SOCK=" + first.target)
        }
        // BuildKit confines every RUN as docker confines a container; `--security=insecure` (allowed by the
        // security.insecure entitlement, checked before the build starts) runs it privileged.
        let insecure = run.security == "insecure"
        let security: SandboxSecurity = insecure ? .privileged : .docker
        let seccompCache = environment.store.root.seccompCacheDirectory
        var keyParts = ["RUN"] + arguments + ["env"] + runEnv + ["user", user, "dir", workdir, "net", network.rawValue]
        if insecure { keyParts += ["security", "insecure"] }
        keyParts += mounts.keyParts
        for file in pipeFiles { keyParts += ["pipe", file.destination, String(decoding: file.contents, as: UTF8.self)] }
        let extraHosts = request.extraHosts.map { "\($0.address)\t\($0.host)\n" }.joined()
        if !extraHosts.isEmpty { keyParts += ["hosts", extraHosts] }
        keyParts += request.resources.keyParts
        let resources = request.resources
        let stepDirectories = environment.directories
        let display = displayText(run.original)
        try await layerStep(display: display, keyParts: keyParts, createdBy: createdBy,
                            describedByHistory: run.mounts.isEmpty && pipeFiles.isEmpty) { rootfs, _ in
            var containerUser: ContainerUser
            do { containerUser = user.isEmpty ? ContainerUser() : try UserResolver.resolve(user, rootfs: rootfs) } catch {
                throw BuildFailure("unable to find user \(user): invalid argument")
            }
            // BuildKit's RUN gets only the groups /etc/group lists the user in (dockerd's run adds the primary one).
            if let primary = containerUser.groups.first, primary == containerUser.gid { containerUser.groups.removeFirst() }
            var environment = runEnv
            if !environment.contains(where: { $0.hasPrefix("HOME=") }) { environment.append("HOME=" + containerUser.home) }
            let ssh = try OpenSSHMounts(mounts.sshMounts, forwarding: request.ssh, scratch: stepDirectories.newScratch)
            defer { ssh.close() }
            let output = try RunOutput()
            let spec = SandboxSpec(arguments: arguments, environment: environment, rootfs: rootfs, workingDirectory: workdir,
                                   user: containerUser, hostname: "buildkitsandbox", network: network,
                                   hostsFile: "127.0.0.1\tlocalhost buildkitsandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                                       + extraHosts,
                                   resolvConf: ContainerFiles.resolvConf(), etcFilesReadOnly: true,
                                   mounts: mounts.sandboxMounts + ssh.sandboxMounts, files: mounts.secretFiles + pipeFiles,
                                   security: security, seccompCacheDirectory: seccompCache, stdin: -1,
                                   stdout: output.writeFD, stderr: output.writeFD, resources: resources)
            let currentVertex = CurrentVertex.value
            output.start { line in currentVertex?.log(line) }
            let outcome: SandboxOutcome
            do {
                outcome = try await SandboxProcess.execute(spec)
                await output.finish()
            } catch is CancellationError {
                await output.finish()
                // BuildKit's words for an interrupted step; the progress shows it as CANCELED.
                throw BuildFailure("executor failed running [\(arguments.joined(separator: " "))]: context canceled")
            } catch {
                await output.finish()
                // A foreign binary with no emulator registered: say which platform and how to fix it.
                if "\(error)".contains("exec format error"), !EmulatorRegistry.canRun(stagePlatform) {
                    throw BuildFailure(EmulatorRegistry.missingEmulatorMessage(for: stagePlatform))
                }
                throw BuildFailure("\(error)")
            }
            if outcome.status != 0 {
                throw BuildFailure("executor failed running [\(arguments.joined(separator: " "))]: exit code: \(outcome.status)")
            }
            // BuildKit keeps the mountpoint dirs runc made (dev/ proc/ sys/) but not the files it mounted over.
            let fileStubs: Set<String> = Set(["/etc/hosts", "/etc/resolv.conf", "/etc/hostname"]).union(mounts.fileTargets)
                .union(ssh.targets)
            return StepWork(dropped: outcome.createdPaths.filter { fileStubs.contains($0) })
        }
    }
}

/// The vertex a RUN step's output belongs to (set around the step's work).
enum CurrentVertex {
    @TaskLocal static var value: Vertex?
}

/// A pipe collecting a RUN's stdout and stderr as lines.
final class RunOutput: Sendable {
    let readFD: Int32
    let writeFD: Int32
    /// Whether `start` has run the reader thread.
    private let readerStarted = Mutex(false)
    /// Ended by the reader thread once it has drained the pipe; `finish()` awaits that end.
    private let drained: AsyncStream<Void>
    private let drainedContinuation: AsyncStream<Void>.Continuation

    init() throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw BuildFailure("pipe: \(String(cString: strerror(errno)))") }
        readFD = fds[0]
        writeFD = fds[1]
        _ = fcntl(readFD, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeFD, F_SETFD, FD_CLOEXEC)
        (drained, drainedContinuation) = AsyncStream.makeStream(of: Void.self)
    }

    func start(_ onLine: @escaping @Sendable (String) -> Void) {
        let fd = readFD
        let done = drainedContinuation
        let thread = Thread {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                guard let n = buffer.withUnsafeMutableBytes({ try? FileDescriptorIO.readSome(fd, into: $0) }), n > 0 else { break }
                pending += buffer[0..<n]
                while let newline = pending.firstIndex(of: 10) {
                    // Whole lines keep their newline: the renderer treats text without one as unfinished.
                    onLine(String(decoding: pending[...newline], as: UTF8.self))
                    pending.removeSubrange(...newline)
                }
            }
            if !pending.isEmpty { onLine(String(decoding: pending, as: UTF8.self)) }
            close(fd)
            done.finish()
        }
        readerStarted.withLock { $0 = true }
        thread.start()
    }

    /// Closes the write end and waits for the reader to drain the pipe.
    func finish() async {
        close(writeFD)
        if readerStarted.withLock({ $0 }) {
            for await _ in drained {}
        } else {
            close(readFD)
        }
    }
}
