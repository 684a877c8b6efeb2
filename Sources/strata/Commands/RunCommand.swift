import ArgumentParser
import Foundation
import ImageService
import OCI
import Sandbox
import Store

/// `strata run`: runs an image's command in the sandbox on an overlay snapshot, as `docker run` does.
/// Without --rm the stopped container's writable layer stays under <root>/containers/<id>/ (there is
/// no `strata ps`/`rm`; delete that directory to reclaim it).
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command in a new container",
        usage: "strata run [OPTIONS] IMAGE [COMMAND] [ARG...]",
        discussion: """
            Every container is confined as docker confines it: docker's 14 default capabilities, docker's default \
            seccomp profile, masked /proc paths and a read-only /sys; --privileged, --cap-add, --cap-drop and \
            --security-opt relax or tighten that as in docker. The container shares the host's network (which it \
            cannot reconfigure without --cap-add NET_ADMIN) unless --network none.

            Without --rm its writable layer is kept in <root>/containers/<id>/ (there is no `strata ps` or \
            `strata rm`: remove that directory). Each VOLUME of the image gets an anonymous volume there, a copy \
            of the image's content at that path, as docker run does; --rm removes it with the container.

            Examples:
              strata run --rm busybox echo hello
              strata run --rm -e A=1 -w /tmp -u nobody busybox sh -c 'id; pwd; echo $A'
              strata run --rm -v "$PWD:/src:ro" --network none busybox ls /src
              strata run --rm -it busybox sh
              strata run --rm --cap-drop ALL --security-opt no-new-privileges busybox id
              strata run --rm --security-opt seccomp=profile.json busybox true
              strata run --rm --privileged busybox ls /dev
            """)

    @Flag(name: .customLong("rm"), help: "Automatically remove the container when it exits") var remove = false
    @Option(name: [.customShort("e"), .customLong("env")], help: "Set environment variables") var env: [String] = []
    @Option(name: .customLong("env-file"), help: "Read in a file of environment variables") var envFiles: [String] = []
    @Option(name: [.customShort("w"), .customLong("workdir")], help: "Working directory inside the container") var workdir: String?
    @Option(name: [.customShort("u"), .customLong("user")], help: "Username or UID (format: <name|uid>[:<group|gid>])") var user: String?
    @Option(name: [.customShort("v"), .customLong("volume")], help: "Bind mount a volume") var volumes: [String] = []
    @Option(name: [.customLong("network"), .customLong("net")], help: "Connect a container to a network (host, none; default: host's)") var network: String?
    @Option(help: "Overwrite the default ENTRYPOINT of the image") var entrypoint: String?
    @Flag(name: [.customShort("i"), .customLong("interactive")], help: "Keep STDIN open even if not attached") var interactive = false
    @Flag(name: [.customShort("t"), .customLong("tty")], help: "Allocate a pseudo-TTY") var tty = false
    @Option(help: "Assign a name to the container") var name: String?
    @Option(help: "Container host name") var hostname: String?
    @Flag(help: "Give extended privileges to this container") var privileged = false
    @Option(name: .customLong("cap-add"), help: "Add Linux capabilities") var capAdd: [String] = []
    @Option(name: .customLong("cap-drop"), help: "Drop Linux capabilities") var capDrop: [String] = []
    @Option(name: .customLong("security-opt"), help: "Security Options (seccomp=PROFILE.json|unconfined, no-new-privileges, systempaths=unconfined)")
    var securityOptions: [String] = []
    @Argument(parsing: .captureForPassthrough, help: "IMAGE [COMMAND] [ARG...]") var arguments: [String] = []

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

    func run() async throws {
        // Options end at the image name, so `--help` arrives here when it comes first.
        if let first = arguments.first, first == "--help" || first == "-h" {
            Output.write(Self.helpMessage() + "\n")
            return
        }
        guard let imageName = arguments.first else {
            throw CLIError(message: """
                "strata run" requires at least 1 argument.
                See 'strata run --help'.

                Usage:  strata run [OPTIONS] IMAGE [COMMAND] [ARG...]

                Run a command in a new container
                """, code: 1)
        }
        let command = Array(arguments.dropFirst())
        let options = try validatedOptions()
        let store = try GlobalOptions.openStore()
        let image = try await findOrPull(imageName, store: store)
        let config: ContainerConfig
        do {
            config = try JSONDecoder().decode(ImageConfig.self, from: try store.blobs.read(image.id)).config ?? ContainerConfig()
        } catch {
            throw Self.daemonError(RuntimeErrorText.describe(error))
        }
        var argv = (entrypoint.map { $0.isEmpty ? [] : [$0] } ?? config.entrypoint ?? [])
        argv += command.isEmpty ? (entrypoint != nil ? [] : config.cmd ?? []) : command
        guard !argv.isEmpty else { throw Self.daemonError("No command specified") }

        let containerID = ContainerFiles.newContainerID()
        let snapshots = LayerSnapshots(store: store)
        let rootfs: PreparedRootfs
        // Owned through a lock while it runs: a strata killed with -9 leaves a mount and a tree that the next
        // `run` unmounts, and removes (--rm) or keeps as a stopped container's files.
        let session: ScratchSession
        do {
            session = try ScratchSession.begin(root: store.root.containersDirectory, name: containerID,
                                               whenAbandoned: remove ? .remove : .keepFiles)
            let lower = try snapshots.snapshot(of: image)
            rootfs = try RootfsSnapshot.prepare(lowerDirs: [lower], scratch: session.path)
            Self.addInitLayerFiles(rootfs.mountPoint)
        } catch {
            throw Self.daemonError(RuntimeErrorText.describe(error))
        }
        let containerDirectory = session.path
        let status: Int32
        do {
            // The session removes the directory when it ends (kept alive to here), unless the container is kept.
            defer {
                withExtendedLifetime(session) {
                    rootfs.unmount()
                    if !remove { session.keepFiles() }
                }
            }
            let containerUser: ContainerUser
            do { containerUser = try UserResolver.resolve(user ?? config.user, rootfs: rootfs.mountPoint) } catch {
                throw Self.daemonError("\(error)", see: false)
            }
            let host = hostname ?? (options.network == .hostNetwork ? ProcessInfo.processInfo.hostName : String(containerID.prefix(12)))
            let environment = ContainerFiles.environment(imageEnv: config.env ?? [], userEnv: options.environment,
                                                         hostname: host, tty: tty, home: containerUser.home)
            let workingDirectory = workdir ?? (config.workingDir.isEmpty ? "/" : config.workingDir)
            let taken = Set(options.mounts.map { "/" + $0.destination.split(separator: "/").joined(separator: "/") })
            let volumes: [SandboxMount]
            do {
                volumes = try AnonymousVolumes.prepare(config.volumes ?? [], rootfs: rootfs.mountPoint,
                                                       in: containerDirectory, skipping: taken)
            } catch {
                throw Self.daemonError(RuntimeErrorText.describe(error))
            }
            let hosts = options.network == .hostNetwork
                ? (try? String(contentsOfFile: "/etc/hosts", encoding: .utf8)) ?? ContainerFiles.defaultHosts()
                : ContainerFiles.defaultHosts()
            let spec = SandboxSpec(
                arguments: argv, environment: environment, rootfs: rootfs.mountPoint,
                workingDirectory: workingDirectory.hasPrefix("/") ? workingDirectory : "/" + workingDirectory,
                user: containerUser, hostname: host, network: options.network == .none ? .none : .host,
                hostsFile: hosts, resolvConf: ContainerFiles.resolvConf(), mounts: volumes + options.mounts,
                security: options.security, seccompCacheDirectory: store.root.seccompCacheDirectory,
                stdin: interactive ? STDIN_FILENO : -1, tty: tty, forwardSignals: true)
            do { status = try await SandboxProcess.run(spec) } catch let error as SandboxError {
                throw Self.startError(error)
            }
        }
        if !remove {
            // What docker keeps of a stopped container that matters here: its config, for inspection by hand.
            let record: [String: Any] = ["Id": containerID, "Name": name ?? "", "Image": image.id.description,
                                         "Path": argv[0], "Args": Array(argv.dropFirst()), "ExitCode": status]
            if let data = try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]) {
                try? data.write(to: URL(fileURLWithPath: containerDirectory + "/config.json"))
            }
        }
        throw ExitCode(status)
    }

    enum NetworkChoice { case defaultNetwork, hostNetwork, none }

    struct Options {
        var environment: [String] = []
        var mounts: [SandboxMount] = []
        var network: NetworkChoice = .defaultNetwork
        var security = SandboxSecurity.docker
    }

    private func validatedOptions() throws -> Options {
        var options = Options()
        switch network ?? "default" {
        case "default", "bridge": options.network = .defaultNetwork
        case "host": options.network = .hostNetwork
        case "none": options.network = .none
        case let other: throw Self.daemonError("network \(other) not found", see: false)
        }
        for file in envFiles {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw CLIError(message: "strata: open \(file): no such file or directory.\nSee 'strata run --help'.", code: 125)
            }
            for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                options.environment += Self.expand(String(line.drop(while: { $0 == " " || $0 == "\t" })))
            }
        }
        for entry in env { options.environment += Self.expand(entry) }
        for volume in volumes { options.mounts.append(try Self.bindMount(volume)) }
        do {
            options.security = try SandboxSecurity.dockerRun(privileged: privileged, capAdd: capAdd, capDrop: capDrop,
                                                             securityOptions: securityOptions)
        } catch {
            // docker's client checks the option's form and reads the profile; the daemon checks the rest.
            if case .invalidSecurityOption(let text) = error, !text.hasPrefix("invalid --security-opt 2") {
                throw CLIError(message: "strata: \(text).\nSee 'strata run --help'.", code: 125)
            }
            throw Self.daemonError("\(error)")
        }
        return options
    }

    /// `-e NAME` takes NAME's value from this environment, or is dropped when unset (docker's rule).
    static func expand(_ entry: String) -> [String] {
        if entry.contains("=") { return [entry] }
        guard let value = ProcessInfo.processInfo.environment[entry] else { return [] }
        return ["\(entry)=\(value)"]
    }

    /// `HOST:CONTAINER[:ro|rw]`; named volumes are not supported.
    static func bindMount(_ spec: String) throws -> SandboxMount {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 || parts.count == 3 else { throw daemonError("invalid volume specification: '\(spec)'") }
        var readOnly = false
        if parts.count == 3 {
            let modes = parts[2].split(separator: ",")
            for mode in modes {
                switch mode {
                case "ro": readOnly = true
                case "rw", "z", "Z", "private", "rprivate", "shared", "rshared", "slave", "rslave": break
                default: throw daemonError("invalid mode: \(parts[2])")
                }
            }
        }
        let source = parts[0], destination = parts[1]
        guard destination.hasPrefix("/") else {
            throw daemonError("invalid volume specification: '\(spec)': invalid mount config for type \"bind\": invalid mount path: '\(destination)' mount path must be absolute")
        }
        guard source.hasPrefix("/") else {
            throw CLIError(message: "strata: named volumes are not supported (\(source)); use an absolute host path.\nSee 'strata run --help'.", code: 125)
        }
        if !FileManager.default.fileExists(atPath: source) {
            // docker creates a missing bind source as a directory.
            try? FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        }
        return SandboxMount(kind: .bind(source: source), destination: destination, readOnly: readOnly)
    }

    /// The image, pulled first when it is not in the store (docker prints its note on stderr and the
    /// pull progress there too).
    private func findOrPull(_ name: String, store: ImageStore) async throws -> StoredImage {
        do {
            return try store.resolve(name)
        } catch StoreError.noSuchImage {
            // fall through to the pull
        } catch {
            throw Self.daemonError(RuntimeErrorText.describe(error))
        }
        let reference: ImageReference
        do { reference = try ImageReference(name).withDefaultTag() } catch {
            throw Self.daemonError(RuntimeErrorText.describe(error))
        }
        FileHandle.standardError.write(Data("Unable to find image '\(reference.familiarString)' locally\n".utf8))
        // docker's pull progress, on stderr: stdout is the container's.
        let progress = TransferProgress(kind: .pull, quiet: false, output: STDERR_FILENO)
        do {
            try await GlobalOptions.service().pull(PullOptions(reference: reference)) { event in progress.render(event) }
            return try store.resolve(reference.description)
        } catch {
            throw Self.daemonError(RuntimeErrorText.describe(error))
        }
    }

    /// docker adds the "See" line to errors from creating the container, not from starting it.
    static func daemonError(_ text: String, see: Bool = true) -> CLIError {
        CLIError(message: "strata: Error response from daemon: \(text)." + (see ? "\nSee 'strata run --help'." : ""), code: 125)
    }

    /// dockerd's wording for a command that could not start; exit 127 (not found), 126 (not executable) or 125.
    static func startError(_ error: SandboxError) -> CLIError {
        switch error {
        case .startFailed(let text):
            return CLIError(message: "strata: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: \(text): unknown.", code: error.exitStatus)
        case .userNotFound, .groupNotFound:
            return daemonError("\(error)", see: false)
        default:
            return CLIError(message: "strata: Error response from daemon: \(error).", code: 125)
        }
    }
}
