import Archive
import ArgumentParser
import Foundation
import OCI
import ImageService
import Registry
import Store
import Synchronization

/// The `strata` command tree. Each command is a thin adapter over a library module.
struct Strata: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "A daemonless container-image toolkit with docker's commands and output.",
        discussion: """
            Global option, accepted anywhere on the command line:
              --root DIR   the store (default $STRATA_ROOT; /var/lib/strata for root;
                           else $XDG_DATA_HOME/strata)
              --insecure-registry HOST[:PORT]
                           allow plain HTTP or unverified TLS (repeatable); also
                           "insecure-registries" in $STRATA_CONFIG

            Examples:
              strata import -c 'CMD ["/bin/sh"]' rootfs.tar busybox:latest
              strata images --format '{{.Repository}}:{{.Tag}}\\t{{.Size}}'
              strata history --no-trunc busybox
              strata inspect --format '{{.RootFS.Layers}}' busybox
              strata image prune -a -f --filter until=24h
              strata system df -v
              strata system check
              strata save -o busybox.tar busybox && strata load -i busybox.tar
              echo "$PASSWORD" | strata login -u alice --password-stdin 127.0.0.1:5000
              strata pull --platform linux/arm64 127.0.0.1:5000/tools/busybox:1.36
              strata push 127.0.0.1:5000/tools/busybox:1.36
              strata copy docker://127.0.0.1:5000/tools/busybox:1.36 oci:./layout:1.36
              strata manifest inspect 127.0.0.1:5000/tools/busybox:multi
              strata copy --all docker://127.0.0.1:5000/tools/busybox:multi oci:./multi:1
              strata build -t hello:1 --build-arg WHO=you examples/hello
              strata run --rm hello:1
              strata builder prune -a -f
            """,
        version: HostFacts.strataVersion,
        subcommands: [
            ImportCommand.self, ImagesCommand.self, TagCommand.self, RmiCommand.self, InspectCommand.self,
            HistoryCommand.self, SaveCommand.self, LoadCommand.self, ExportCommand.self, EventsCommand.self,
            PullCommand.self, PushCommand.self, LoginCommand.self, LogoutCommand.self, CopyCommand.self, ManifestCommand.self,
            BuildCommand.self, BuildxCommand.self,
            ImageCommand.self, SystemCommand.self,
            BuilderCommand.self,
            RunCommand.self, PsCommand.self, RmCommand.self, ContainerCommand.self,
            ContextChecksumCommand.self,
            TrustCommand.self, VerifyCommand.self, VersionCommand.self, InfoCommand.self,
            SBOMCommand.self, ScanCommand.self,
        ])
}

extension Strata {
    /// The top-level command names (and aliases), plus what ArgumentParser handles itself.
    static var commandNames: Set<String> {
        var names: Set<String> = ["help"]
        for command in configuration.subcommands {
            let configuration = command.configuration
            names.insert(configuration.commandName ?? command._commandName)
            names.formUnion(configuration.aliases)
        }
        return names
    }
}

/// A failure the CLI reports as docker would: `message` on stderr, then exit `code`.
struct CLIError: Error {
    let message: String
    var code: Int32 = 1
}

/// Options docker accepts anywhere, pulled out before ArgumentParser sees the arguments.
enum GlobalOptions {
    /// What `extract` found, and the service built from it on first use.
    private struct State: Sendable {
        var root: String?
        var insecureRegistries: [String] = []
        var commandPath = ""
        /// Kept until the process exits: closing SQLite's last connection checkpoints the WAL with fsyncs, work a
        /// short-lived read-only command should not pay for (the next writer does it).
        var service: ImageService?
    }

    private static let state = Mutex(State())

    static var root: String? { state.withLock { $0.root } }
    /// `--insecure-registry HOST[:PORT]` (repeatable): plain HTTP or unverified TLS allowed, as dockerd's flag.
    static var insecureRegistries: [String] { state.withLock { $0.insecureRegistries } }
    /// The command as typed, e.g. `image inspect`, for docker-style usage messages.
    static var commandPath: String { state.withLock { $0.commandPath } }

    /// Allows one more registry plain HTTP or unverified TLS for the rest of the process (`manifest --insecure`).
    static func allowInsecure(_ registry: String) {
        state.withLock { state in
            state.insecureRegistries.append(registry)
        }
    }

    static func recordCommandPath(_ arguments: [String]) {
        let words = arguments.prefix { !$0.hasPrefix("-") }
        guard let first = words.first else { return }
        let path = ["image", "system", "builder", "manifest"].contains(first) && words.count > 1
            ? "\(first) \(words[words.index(after: words.startIndex)])" : first
        state.withLock { $0.commandPath = path }
    }

    static func extract(_ arguments: [String]) throws -> [String] {
        var root: String?
        var insecureRegistries: [String] = []
        defer {
            state.withLock { state in
                if let root { state.root = root }
                state.insecureRegistries += insecureRegistries
            }
        }
        var rest: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" { rest += arguments[index...]; break }
            if argument == "--root" {
                guard index + 1 < arguments.count else { throw CLIError(message: "flag needs an argument: --root", code: 125) }
                root = try nonEmptyRoot(arguments[index + 1])
                index += 2
                continue
            }
            if argument == "--insecure-registry" {
                guard index + 1 < arguments.count else {
                    throw CLIError(message: "flag needs an argument: --insecure-registry", code: 125)
                }
                insecureRegistries.append(arguments[index + 1])
                index += 2
                continue
            }
            if argument.hasPrefix("--insecure-registry=") {
                insecureRegistries.append(String(argument.dropFirst("--insecure-registry=".count)))
            } else if argument.hasPrefix("--root=") {
                root = try nonEmptyRoot(String(argument.dropFirst("--root=".count)))
            } else {
                if let normalized = normalizedBooleanFlag(argument) { rest.append(normalized) }
            }
            index += 1
        }
        return rest
    }

    /// An empty `--root` (say, `--root "$UNSET"`) must not fall back to the system store.
    private static func nonEmptyRoot(_ value: String) throws -> String {
        guard !value.isEmpty else {
            throw CLIError(message: "invalid argument \"\" for \"--root\" flag: the store root must not be empty", code: 125)
        }
        return value
    }

    /// Go's flag package accepts `-H=false` and `--no-trunc=true`; ArgumentParser wants bare flags.
    /// `=false` on a flag that defaults to false is dropped; on `-H` (default true) it becomes `--no-human`.
    private static func normalizedBooleanFlag(_ argument: String) -> String? {
        guard argument.hasPrefix("-"), let equals = argument.firstIndex(of: "=") else { return argument }
        let name = String(argument[..<equals])
        let value = argument[argument.index(after: equals)...].lowercased()
        let enabled: Bool
        switch value {
        case "true", "1", "t": enabled = true
        case "false", "0", "f": enabled = false
        default: return argument
        }
        if let negative = defaultTrueFlags[name] { return enabled ? name : negative }
        if defaultFalseFlags.contains(name) { return enabled ? name : nil }
        return argument
    }

    private static let defaultTrueFlags = ["-H": "--no-human", "--human": "--no-human"]
    private static let defaultFalseFlags: Set<String> = [
        "--no-trunc", "-a", "--all", "-q", "--quiet", "-f", "--force", "--digests", "-v", "--verbose",
    ]

    /// The image operations for this command line: the root, registry settings, `--insecure-registry` and docker's
    /// logins; `verbose` logs every HTTP exchange to stderr (credentials redacted).
    static func service(verbose: Bool = false, contentTrust: ContentTrustFlags? = nil) throws -> ImageService {
        let registryOptions = try RegistryAccess.options(verbose: verbose)
        let settings = try RegistrySettings.load()
        let environment = ServiceEnvironment(
            root: StoreRoot.resolve(explicit: root), registryOptions: registryOptions,
            credentials: LenientCredentials(DockerCredentialStore()),
            maxConcurrentDownloads: settings.maxConcurrentDownloads, maxConcurrentUploads: settings.maxConcurrentUploads,
            signaturePolicy: try contentTrust?.policy())
        return state.withLock { state in
            // One store per process, whatever the registry settings of each service.
            let service = ImageService(environment: environment, sharing: state.service)
            if state.service == nil { state.service = service }
            return service
        }
    }

    /// The store's WAL folded into metadata.db when this process wrote to it (read-only commands pay nothing).
    static func checkpointStore() {
        state.withLock { $0.service }?.openedStore?.checkpoint()
    }

    static func openStore() throws -> ImageStore {
        do {
            return try (state.withLock { $0.service } ?? service()).store()
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError(message: "Error: cannot open the image store: \(error)")
        }
    }
}

@main
enum Main {
    static func main() async {
        signal(SIGPIPE, SIG_IGN)
        var command: ParsableCommand
        do {
            let arguments = try GlobalOptions.extract(Array(CommandLine.arguments.dropFirst()))
            if let first = arguments.first, !first.hasPrefix("-"), !Strata.commandNames.contains(first),
               !arguments.contains("--help"), !arguments.contains("-h") {
                throw CLIError(message: "strata: '\(first)' is not a strata command.\nSee 'strata --help'", code: 1)
            }
            GlobalOptions.recordCommandPath(arguments)
            command = try Strata.parseAsRoot(arguments)
        } catch {
            fail(error, parsing: true)
        }
        do {
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            GlobalOptions.checkpointStore()
            fail(error, parsing: false)
        }
        GlobalOptions.checkpointStore()
        exit(0)
    }

    /// One line on stderr and docker's exit status: 125 for flag and parse errors, else the command's.
    static func fail(_ error: Error, parsing: Bool) -> Never {
        if let error = error as? CLIError {
            if !error.message.isEmpty { Output.error(ErrorText.bounded(error.message, limit: 8192) + "\n") }
            exit(error.code)
        }
        if error is CleanExit || Strata.exitCode(for: error) == .success || (!parsing && error is ExitCode) {
            Strata.exit(withError: error)
        }
        if parsing {
            Output.error(UsageErrors.cobraMessage(for: error) + "\n")
            exit(125)
        }
        Output.error("Error: \(ErrorText.bounded(RuntimeErrorText.describe(error), limit: 8192))\n")
        exit(1)
    }
}

/// Writes to stdout (or stderr) with plain write(2). A reader that went away (`| head`, `2>&1 | grep -q`) ends the
/// process the way it ends docker: by SIGPIPE, silently, never by a trap.
enum Output {
    /// A line for stderr (warnings, errors, progress the command prints itself).
    static func error(_ text: String) { write(text, to: STDERR_FILENO) }

    static func write(_ text: String, to fd: Int32 = STDOUT_FILENO) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = FileDescriptorIO.retryingInterrupts { Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset) }
                if written < 0 {
                    if errno == EPIPE {
                        signal(SIGPIPE, SIG_DFL)
                        raise(SIGPIPE)
                    }
                    exit(1)
                }
                offset += written
            }
        }
    }
}
