import Foundation
import OCI
import Sandbox
import Store

/// `run`: a command of an image in a confined container on an overlay snapshot, as `docker run` runs it.
public struct RunOptions: Sendable {
    public enum Network: Sendable { case defaultNetwork, host, none }

    /// The image's name or ID; pulled first when the store has no such image.
    public var image: String
    /// Replaces the image's CMD when not empty.
    public var command: [String] = []
    /// Replaces the image's ENTRYPOINT ("" clears it).
    public var entrypoint: String?
    /// `NAME=value` entries, already expanded from the caller's environment and env files.
    public var environment: [String] = []
    public var mounts: [SandboxMount] = []
    public var network: Network = .defaultNetwork
    public var security: SandboxSecurity = .docker
    /// `--shm-size`, `--ulimit`, `-m/--memory`.
    public var resources = ResourceLimits()
    public var user: String?
    public var workingDirectory: String?
    public var hostname: String?
    /// A kept container's name (`--name`); made up when nil. Must be valid and not in use.
    public var name: String?
    /// Remove the container's files when it stops (`--rm`); otherwise they stay under the root's containers/.
    public var remove = false
    public var interactive = false
    public var tty = false
    /// `--platform`: the entry of a multi-platform image to run, or the platform to pull (else the host's).
    public var platform: Platform?

    public init(image: String) { self.image = image }
}

/// What a run is doing before the container starts: the pull of a missing image.
public enum RunEvent: Sendable {
    /// The image is not in the store and is pulled (docker's `Unable to find image … locally`).
    case pulling(ImageReference)
    case pull(PullEvent)
}

/// Why a container did not run, by stage, so each can be worded as docker words it.
public enum RunFailure: Error, KindedError, CustomStringConvertible {
    /// The image could not be found, pulled or read.
    case image(any Error)
    case noCommand
    /// The user (or group) is not in the image's passwd (or group) file.
    case user(any Error)
    /// The rootfs, the anonymous volumes or the container directory could not be prepared.
    case prepare(any Error)
    /// The sandbox did not start the command.
    case start(SandboxError)

    public var kind: ErrorKind {
        switch self {
        case .image(let error), .user(let error), .prepare(let error): ErrorKind.of(error)
        case .noCommand: .invalidArgument
        case .start(let error): error.kind
        }
    }

    public var description: String {
        switch self {
        case .image(let error), .user(let error), .prepare(let error): "\(error)"
        case .noCommand: "No command specified"
        case .start(let error): "\(error)"
        }
    }
}

extension ImageService {
    /// Runs the container to its end and returns its exit status. Killing this process (even with -9) kills the
    /// container; a kept container's writable layer and config stay under the root's containers/ directory.
    public func run(_ options: RunOptions, events: @escaping @Sendable (RunEvent) -> Void = { _ in }) async throws -> Int32 {
        // dockerd's checks of the values, before it looks at the image.
        do { try options.resources.validate() } catch { throw RunFailure.prepare(error) }
        let store: ImageStore
        let image: StoredImage
        let config: ContainerConfig
        do {
            store = try self.store()
            image = try await findOrPull(options.image, platform: options.platform, store: store, events: events)
            config = try JSONDecoder().decode(ImageConfig.self, from: try store.blobs.read(image.id)).config ?? ContainerConfig()
        } catch let error as RunFailure {
            throw error
        } catch {
            throw RunFailure.image(error)
        }
        var argv = (options.entrypoint.map { $0.isEmpty ? [] : [$0] } ?? config.entrypoint ?? [])
        argv += options.command.isEmpty ? (options.entrypoint != nil ? [] : config.cmd ?? []) : options.command
        guard !argv.isEmpty else { throw RunFailure.noCommand }

        let containerID = ContainerFiles.newContainerID()
        if !options.remove {
            // A kept container is recorded first: its name must be valid and free before anything is prepared.
            do {
                _ = try store.createContainer(id: containerID, name: options.name, imageID: image.id.description,
                                              imageName: options.image, command: argv, ownerPID: getpid())
            } catch {
                throw RunFailure.prepare(error)
            }
        }
        var started = false
        defer {
            if !options.remove && !started {
                // It never ran: nothing of it is kept.
                try? store.removeContainerRecord(id: containerID)
            }
        }
        let rootfs: PreparedRootfs
        // Owned through a lock while it runs: a strata killed with -9 leaves a mount and a tree that the next
        // `run` unmounts, and removes (--rm) or keeps as a stopped container's files.
        let session: ScratchSession
        do {
            session = try ScratchSession.begin(root: store.root.containersDirectory, name: containerID,
                                               whenAbandoned: options.remove ? .remove : .keepFiles)
            let lower = try LayerSnapshots(store: store).snapshot(of: image)
            rootfs = try RootfsSnapshot.prepare(lowerDirs: [lower], scratch: session.path)
            Self.addInitLayerFiles(rootfs.mountPoint)
        } catch {
            throw RunFailure.prepare(error)
        }
        let containerDirectory = session.path
        let status: Int32
        do {
            // The session removes the directory when it ends (kept alive to here), unless the container is kept.
            defer {
                withExtendedLifetime(session) {
                    rootfs.unmount()
                    if !options.remove && started { session.keepFiles() }
                }
            }
            let user: ContainerUser
            do { user = try UserResolver.resolve(options.user ?? config.user, rootfs: rootfs.mountPoint) } catch {
                throw RunFailure.user(error)
            }
            let host = options.hostname
                ?? (options.network == .host ? ProcessInfo.processInfo.hostName : String(containerID.prefix(12)))
            let environment = ContainerFiles.environment(imageEnv: config.env ?? [], userEnv: options.environment,
                                                         hostname: host, tty: options.tty, home: user.home)
            let workingDirectory = options.workingDirectory ?? (config.workingDir.isEmpty ? "/" : config.workingDir)
            let taken = Set(options.mounts.map { "/" + $0.destination.split(separator: "/").joined(separator: "/") })
            let volumes: [SandboxMount]
            do {
                volumes = try AnonymousVolumes.prepare(config.volumes ?? [], rootfs: rootfs.mountPoint,
                                                       in: containerDirectory, skipping: taken)
            } catch {
                throw RunFailure.prepare(error)
            }
            let hosts = options.network == .host
                ? (try? String(contentsOfFile: "/etc/hosts", encoding: .utf8)) ?? ContainerFiles.defaultHosts()
                : ContainerFiles.defaultHosts()
            let spec = SandboxSpec(
                arguments: argv, environment: environment, rootfs: rootfs.mountPoint,
                workingDirectory: workingDirectory.hasPrefix("/") ? workingDirectory : "/" + workingDirectory,
                user: user, hostname: host, network: options.network == .none ? .none : .host,
                hostsFile: hosts, resolvConf: ContainerFiles.resolvConf(), mounts: volumes + options.mounts,
                security: options.security, seccompCacheDirectory: store.root.seccompCacheDirectory,
                stdin: options.interactive ? STDIN_FILENO : -1, tty: options.tty, forwardSignals: true,
                resources: options.resources)
            do { status = try await SandboxProcess.run(spec) } catch let error as SandboxError {
                throw RunFailure.start(error)
            }
            started = true
        }
        if !options.remove {
            try? store.finishContainer(id: containerID, exitCode: status)
        }
        return status
    }

    /// The image, pulled first when it is not in the store.
    private func findOrPull(_ name: String, platform: Platform?, store: ImageStore,
                            events: @escaping @Sendable (RunEvent) -> Void) async throws -> StoredImage {
        do {
            let found = try store.resolve(name)
            guard let platform else { return found }
            if let chosen = try store.entry(named: name, for: platform) { return chosen }
            let config = try? JSONDecoder().decode(ImageConfig.self, from: try store.blobs.read(found.id))
            if let config, PlatformMatcher(for: platform).matches(config.platform) { return found }
            // Stored for another platform only: the one asked for is pulled, as docker run --platform does.
        } catch StoreError.noSuchImage {
            // pulled below
        }
        let reference = try ImageReference(name).withDefaultTag()
        events(.pulling(reference))
        _ = try await pull(PullOptions(reference: reference, platform: platform.map { PlatformMatcher(for: $0) } ?? PlatformMatcher(for: .host))) {
            events(.pull($0))
        }
        return try store.entry(named: reference.description, for: platform ?? .host) ?? store.resolve(reference.description)
    }

    /// What dockerd's init layer puts in every container: `/.dockerenv` and `/etc/mtab -> /proc/mounts`
    /// (created inside the rootfs without following anything out of it).
    static func addInitLayerFiles(_ root: String) {
        let marker = open(root + "/.dockerenv", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0o755)
        if marker >= 0 { close(marker) }
        var info = stat()
        if lstat(root + "/etc", &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, lstat(root + "/etc/mtab", &info) != 0 {
            _ = symlink("/proc/mounts", root + "/etc/mtab")
        }
    }
}
