#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Dockerfile
import Foundation
import GoText
import OCI
import Sandbox

/// `RUN --mount` entries turned into sandbox mounts, with what they add to the step's cache key.
struct PreparedRunMounts {
    var sandboxMounts: [SandboxMount] = []
    /// Secrets, mounted from memory (never written to a disk path).
    var secretFiles: [SandboxFile] = []
    var keyParts: [String] = []
    /// File mount targets (secrets): stubs the sandbox creates that must not reach the layer.
    var fileTargets: Set<String> = []
    /// ssh mounts, bound to the forwarded agents when the step runs (not when it is found in the cache).
    var sshMounts: [SSHMountRequest] = []
}

/// One `RUN --mount=type=ssh`: where its socket goes and how it looks there.
struct SSHMountRequest: Sendable {
    var target: String
    /// As written ("" when the mount names none).
    var id: String
    var mode: UInt32
    var uid: UInt32
    var gid: UInt32
    var required: Bool
}

extension StageBuilder {
    func prepareMounts(_ mounts: [RunMount]) async throws -> PreparedRunMounts {
        var result = PreparedRunMounts()
        let workdir = state.container.workingDir.isEmpty ? "/" : state.container.workingDir
        func absolute(_ path: String) -> String {
            path.hasPrefix("/") ? GoPath.clean(path) : GoPath.clean("/" + workdir + "/" + path)
        }
        for mount in mounts {
            switch mount.type {
            case .cache:
                guard let rawTarget = mount.target else { throw BuildFailure("mount target is required") }
                let target = absolute(rawTarget)
                let id = mount.id ?? target
                let name = Self.key([id]).dropFirst("sha256:".count)
                let directory = environment.store.root.buildCacheMountsDirectory + "/" + name
                if access(directory, F_OK) != 0 {
                    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                    chmod(directory, mode_t(mount.mode ?? 0o755))
                    chown(directory, mount.uid ?? 0, mount.gid ?? 0)
                }
                // Cache mounts never enter the key: their contents are not part of the step's inputs.
                result.keyParts += ["mount-cache", target, id]
                result.sandboxMounts.append(SandboxMount(kind: .bind(source: directory), destination: target, readOnly: false))
            case .bind:
                let target = absolute(mount.target ?? "/")
                let source = mount.source ?? "/"
                let rootDirectory: String
                if let from = mount.from, !from.isEmpty {
                    let (directory, key) = try await sourceFilesystem(from)
                    rootDirectory = directory
                    result.keyParts += ["mount-bind", target, source, key]
                } else {
                    rootDirectory = environment.request.context.directory
                    let digest = try environment.request.context.checksum(sources: [source])
                    result.keyParts += ["mount-bind", target, source, digest.description]
                }
                // Resolved inside its root: a symlink in the source never leads out of the context or stage.
                let resolved: ResolvedSource
                do { resolved = try SourceTree(rootDirectory: rootDirectory).resolve(source) } catch {
                    throw BuildFailure("failed to compute cache key: \(error.buildFailureMessage)")
                }
                var hostPath = resolved.path.isEmpty ? rootDirectory : rootDirectory + "/" + resolved.path
                if !mount.readOnly {
                    // rw: the step may write, but the writes are discarded, so it gets a private copy.
                    hostPath = try Self.privateTreeCopy(of: hostPath, in: try environment.directories.newScratch())
                }
                result.sandboxMounts.append(SandboxMount(kind: .bind(source: hostPath), destination: target, readOnly: mount.readOnly))
            case .tmpfs:
                guard let target = mount.target else { throw BuildFailure("mount target is required") }
                result.keyParts += ["mount-tmpfs", absolute(target)]
                result.sandboxMounts.append(SandboxMount(kind: .tmpfs, destination: absolute(target)))
            case .secret:
                let id = mount.id ?? mount.target.map { ($0 as NSString).lastPathComponent } ?? ""
                let target = absolute(mount.target ?? "/run/secrets/" + id)
                guard let source = environment.request.secrets[id] else {
                    if mount.required { throw BuildFailure("secret \(id) not found") }
                    continue
                }
                // Secrets never enter the cache key (as in BuildKit) nor a layer.
                result.keyParts += ["mount-secret", target, id]
                // Read into memory; the sandbox mounts it from a tmpfs of the step's own mount namespace with the
                // mount's mode and owner (BuildKit: 0400, 0:0 by default).
                guard let data = source.read() else {
                    throw BuildFailure("failed to read secret \(id) from \(source.description): not found")
                }
                result.secretFiles.append(SandboxFile(contents: data, destination: target, mode: mount.mode ?? 0o400,
                                                      uid: mount.uid ?? 0, gid: mount.gid ?? 0, readOnly: true))
                result.fileTargets.insert(target)
            case .ssh:
                // BuildKit's default target counts the step's ssh mounts; mode 0600, owned by root.
                let target = absolute(mount.target ?? "/run/buildkit/ssh_agent.\(result.sshMounts.count)")
                let request = SSHMountRequest(target: target, id: mount.id ?? "", mode: mount.mode ?? 0o600,
                                              uid: mount.uid ?? 0, gid: mount.gid ?? 0, required: mount.required)
                // The mount's shape is part of the key; the agent and its keys are not (as in BuildKit).
                result.keyParts += ["mount-ssh", target, request.id, String(request.mode, radix: 8), String(request.uid),
                                    String(request.gid), request.required ? "required" : "optional"]
                result.sshMounts.append(request)
            }
        }
        return result
    }

    /// The filesystem of a stage (by name or index) or image for `--from`, and its cache identity.
    /// The stage `--from` names (by name, or by an earlier stage's number), nil for an image.
    func sourceStage(_ from: String) -> Int? {
        let document = environment.request.document
        var index: Int?
        if let number = Int(from) { index = number } else { index = document.stage(named: from)?.index }
        guard let index, index < stage.index || document.stage(named: from) != nil else { return nil }
        return index
    }

    /// The key of the stage `from` names, worked out without building it, so that a step taking files from it can be
    /// found in a cache before the stage is built. Nil when `from` is an image or the stage's key needs files.
    func stageKeyWithoutFiles(_ from: String) async throws -> (index: Int, key: String)? {
        guard let index = sourceStage(from), let walked = await environment.stageKey(index) else { return nil }
        return (index, walked.key)
    }

    func sourceFilesystem(_ from: String) async throws -> (String, String) {
        if let index = sourceStage(from) {
            let result = try await environment.stageResult(index)
            return (try environment.views.view(of: result.layers), result.key)
        }
        let reference: ImageReference
        do { reference = try ImageReference(from).withDefaultTag() } catch {
            throw BuildFailure("invalid from flag value \(from): invalid reference format")
        }
        let image = try await Self.findImage(from, reference: reference, environment: environment, pull: environment.request.pull)
        return (try environment.views.view(of: try environment.store.layers(of: image.id)), image.id.description)
    }
}

/// The relays of one step's ssh mounts, open while the step runs.
struct OpenSSHMounts {
    var sandboxMounts: [SandboxMount] = []
    var targets: Set<String> = []
    private var relays: [SSHAgentRelay] = []
    private var directory: ShortPathDirectory?

    /// BuildKit's rules: without any --ssh a required mount fails (`no SSH key "ID" forwarded from the client`, the id
    /// as written); with --ssh but not that id, `unset ssh forward key ID` (a missing id is "default"); a mount that is
    /// not required is skipped.
    init(_ requests: [SSHMountRequest], forwarding: SSHForwarding?, scratch: () throws -> String) throws {
        do {
            for request in requests { try open(request, forwarding: forwarding, scratch: scratch) }
        } catch {
            close()
            throw error
        }
    }

    private mutating func open(_ request: SSHMountRequest, forwarding: SSHForwarding?, scratch: () throws -> String) throws {
        let id = request.id.isEmpty ? "default" : request.id
        guard let forwarding else {
            if request.required { throw BuildFailure("no SSH key \"\(request.id)\" forwarded from the client") }
            return
        }
        guard let upstream = forwarding.socket(for: id) else {
            if request.required { throw BuildFailure("rpc error: code = Unknown desc = unset ssh forward key \(id)") }
            return
        }
        if directory == nil { directory = try ShortPathDirectory(directory: try scratch()) }
        let relay = try SSHAgentRelay.open(upstream: upstream, directory: directory!, name: "ssh-\(relays.count).sock",
                                           mode: request.mode, uid: request.uid, gid: request.gid)
        relays.append(relay)
        sandboxMounts.append(SandboxMount(kind: .bind(source: relay.path), destination: request.target))
        targets.insert(request.target)
    }

    func close() {
        for relay in relays { relay.close() }
    }
}

extension StageBuilder {
    /// A throw-away copy of a directory tree (`cp -a`) in the build's scratch session (swept if the build is
    /// killed), for read-write bind mounts whose writes are discarded.
    static func privateTreeCopy(of source: String, in directory: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        let copy = Process()
        copy.executableURL = URL(fileURLWithPath: "/bin/cp")
        copy.arguments = ["-a", "--", source, directory + "/tree"]
        try copy.run()
        copy.waitUntilExit()
        guard copy.terminationStatus == 0 else { throw BuildFailure("failed to copy \(source) for a read-write bind mount") }
        return directory + "/tree"
    }
}
