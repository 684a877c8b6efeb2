import ArgumentParser
import Foundation
import ImageService
import OCI
import Sandbox
import Store

/// `strata run`: runs an image's command in the sandbox on an overlay snapshot, as `docker run` does.
/// Without --rm the stopped container is kept (`ps -a`, `rm`, `container prune`), its writable layer under
/// <root>/containers/<id>/.
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

            Without --rm the stopped container is kept, as docker keeps it: `strata ps -a` lists it, `strata rm` \
            removes it, `rmi` refuses its image unless forced, and --name gives it a name (else one is made up). \
            Each VOLUME of the image gets an anonymous volume in the container, a copy of the image's content at \
            that path, as docker run does; --rm removes it with the container. -t gives the command a terminal of \
            the container's own /dev/pts.

            Examples:
              strata run --rm busybox echo hello
              strata run --rm -e A=1 -w /tmp -u nobody busybox sh -c 'id; pwd; echo $A'
              strata run --rm -v "$PWD:/src:ro" --network none busybox ls /src
              strata run --rm -it busybox sh
              strata run --name job busybox sh -c 'date > /out'; strata ps -a; strata rm job
              strata run --rm --cap-drop ALL --security-opt no-new-privileges busybox id
              strata run --rm --security-opt seccomp=profile.json busybox true
              strata run --rm --privileged busybox ls /dev
              strata run --rm --shm-size 128m busybox df -k /dev/shm
              strata run --rm --ulimit nofile=1024:2048 busybox sh -c 'ulimit -n; ulimit -Hn'
              strata run --rm -m 64m busybox cat /sys/fs/cgroup/memory.max

            -m/--memory puts the container in a cgroup of its own (cgroup v2 at /sys/fs/cgroup, or cgroup v1's \
            memory hierarchy) with that limit and as much swap again, as docker does; a container that exceeds it is \
            killed by the kernel and the run exits 137. Without a usable cgroup hierarchy the run fails.
            """)

    @Flag(name: .customLong("rm"), help: "Automatically remove the container when it exits") var remove = false
    @OptionGroup var contentTrust: ContentTrustFlags
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
    @Option(help: "Set platform if server is multi-platform capable") var platform: String?
    @Flag(help: "Give extended privileges to this container") var privileged = false
    @Option(name: .customLong("cap-add"), help: "Add Linux capabilities") var capAdd: [String] = []
    @Option(name: .customLong("cap-drop"), help: "Drop Linux capabilities") var capDrop: [String] = []
    @Option(name: .customLong("security-opt"), help: "Security Options (seccomp=PROFILE.json|unconfined, no-new-privileges, systempaths=unconfined)")
    var securityOptions: [String] = []
    @Option(name: [.customShort("m"), .customLong("memory")], parsing: .unconditional, help: "Memory limit") var memory: String?
    @Option(name: .customLong("shm-size"), parsing: .unconditional, help: "Size of /dev/shm") var shmSize: String?
    @Option(name: .customLong("ulimit"), parsing: .unconditionalSingleValue, help: "Ulimit options (default [])") var ulimits: [String] = []
    @Argument(parsing: .captureForPassthrough, help: "IMAGE [COMMAND] [ARG...]") var arguments: [String] = []

    func run() async throws {
        // Options end at the image name, so `--help` arrives here when it comes first.
        if let first = arguments.first, first == "--help" || first == "-h" {
            Output.write(Self.helpMessage() + "\n")
            return
        }
        // Options end at the image name: a flag still here is one this command does not know (docker's pflag words).
        if let first = arguments.first, first.hasPrefix("-"), first != "-" {
            let name = String(first.split(separator: "=", maxSplits: 1).first ?? Substring(first))
            let message = name.hasPrefix("--") ? "unknown flag: \(name)"
                : "unknown shorthand flag: '\(name.dropFirst().prefix(1))' in \(first)"
            throw CLIError(message: "\(message)\nSee 'strata run --help'.", code: 125)
        }
        guard let imageName = arguments.first else {
            throw CLIError(message: """
                "strata run" requires at least 1 argument.
                See 'strata run --help'.

                Usage:  strata run [OPTIONS] IMAGE [COMMAND] [ARG...]

                Run a command in a new container
                """, code: 1)
        }
        let options = try validatedOptions()
        var run = RunOptions(image: imageName)
        run.command = Array(arguments.dropFirst())
        run.entrypoint = entrypoint
        run.environment = options.environment
        run.mounts = options.mounts
        run.network = switch options.network {
        case .defaultNetwork: .defaultNetwork
        case .hostNetwork: .host
        case .none: .none
        }
        run.security = options.security
        run.resources = options.resources
        run.user = user
        run.workingDirectory = workdir
        run.hostname = hostname
        if let platform {
            do { run.platform = try Platform.parse(platform) } catch {
                throw CLIError(message: "strata: \(error).\nSee 'strata run --help'.", code: 125)
            }
        }
        run.name = name
        run.remove = remove
        run.interactive = interactive
        run.tty = tty
        // docker's pull progress goes to stderr: stdout is the container's.
        let progress = TransferProgress(kind: .pull, quiet: false, output: STDERR_FILENO)
        let status: Int32
        do {
            status = try await GlobalOptions.service(contentTrust: contentTrust).run(run) { event in
                switch event {
                case .pulling(let reference):
                    Output.error("Unable to find image '\(reference.familiarString)' locally\n")
                case .pull(let pullEvent):
                    progress.render(pullEvent)
                }
            }
        } catch let failure as RunFailure {
            switch failure {
            case .image(let error), .prepare(let error): throw Self.daemonError(RuntimeErrorText.describe(error))
            case .noCommand: throw Self.daemonError("No command specified")
            case .user(let error): throw Self.daemonError("\(error)", see: false)
            case .start(let error): throw Self.startError(error)
            }
        } catch {
            throw Self.daemonError(RuntimeErrorText.describe(error))
        }
        throw ExitCode(status)
    }

    enum NetworkChoice { case defaultNetwork, hostNetwork, none }

    struct Options {
        var environment: [String] = []
        var mounts: [SandboxMount] = []
        var network: NetworkChoice = .defaultNetwork
        var security = SandboxSecurity.docker
        var resources = ResourceLimits()
    }

    private func validatedOptions() throws -> Options {
        var options = Options()
        options.resources = try ResourceFlags.parse(memory: memory, shmSize: shmSize, ulimits: ulimits, command: "run")
        if let workdir, !workdir.isEmpty, !workdir.hasPrefix("/") {
            throw Self.daemonError("the working directory '\(workdir)' is invalid, it needs to be an absolute path", see: true)
        }
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
