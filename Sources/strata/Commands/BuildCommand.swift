import ArgumentParser
import BuildProgressViews
import Dockerfile
import Foundation
import Synchronization
import ImageService
import ImageBuilder
import OCI
import Registry
import Sandbox
import Store
import Transport

/// `strata build`: docker build (BuildKit 20.10) without a daemon.
struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build an image from a Dockerfile",
        usage: "strata build [OPTIONS] PATH | URL | -",
        discussion: """
            The context is a directory, `-` (a tar or a Dockerfile on stdin), an http(s) URL of a tar (plain, gzip, \
            bzip2, xz or zstd; any other file is taken as the Dockerfile), or a git repository: git://…, git@host:path, \
            github.com/org/repo or an http(s) URL ending in .git, with an optional #ref[:subdir] (branch, tag or commit; \
            the context directory inside the repository), e.g. `strata build https://example.com/app.git#v1.2:docker`.
            """)

    @Option(name: [.customShort("t"), .customLong("tag")], help: "Name and optionally a tag in the 'name:tag' format")
    var tags: [String] = []
    @Option(name: [.customShort("f"), .customLong("file")], help: "Name of the Dockerfile (Default is 'PATH/Dockerfile')")
    var file: String?
    @Option(name: .customLong("build-arg"), help: "Set build-time variables") var buildArgs: [String] = []
    @OptionGroup var contentTrust: ContentTrustFlags
    @Option(name: .customLong("add-host"), help: "Add a custom host-to-IP mapping (host:ip)") var addHosts: [String] = []
    @Option(name: .customLong("label"), help: "Set metadata for an image") var labels: [String] = []
    @Option(name: .customLong("target"), help: "Set the target build stage to build.") var target: String?
    @Option(name: .customLong("platform"), help: "Set platform if server is multi-platform capable") var platform: String?
    @Option(name: .customLong("iidfile"), help: "Write the image ID to the file") var iidfile: String?
    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Suppress the build output and print image ID on success")
    var quiet = false
    @Flag(name: .customLong("no-cache"), help: "Do not use cache when building the image") var noCache = false
    @Option(name: .customLong("cache-from"),
            help: "External cache sources (e.g., \"user/app:cache\", \"type=registry,ref=user/app:cache\", \"type=local,src=path/to/dir\")")
    var cacheFrom: [String] = []
    @Flag(name: .customLong("pull"), help: "Always attempt to pull a newer version of the image") var pull = false
    @Option(name: .customLong("network"), help: "Set the networking mode for the RUN instructions during build (default \"default\")")
    var network: String?
    @Flag(name: .customLong("squash"), help: "Squash newly built layers into a single new layer") var squash = false
    @Option(name: .customLong("secret"), help: "Secret file to expose to the build: id=mysecret,src=/local/secret")
    var secrets: [String] = []
    @Option(name: .customLong("progress"), help: "Set type of progress output (auto, plain, tty). Use plain to show container output")
    var progress: String = "auto"
    @Option(name: [.customShort("o"), .customLong("output")], help: "Output destination (format: type=local,dest=path)")
    var outputs: [String] = []
    @Flag(name: .customLong("push"), help: "Push the image after the build") var push = false
    // Accepted as BuildKit accepts them: they change nothing there either.
    @Flag(name: .customLong("rm"), help: "Remove intermediate containers after a successful build (default true)") var removeIntermediate = false
    @Flag(name: .customLong("force-rm"), help: "Always remove intermediate containers") var forceRemove = false
    @Flag(name: .customLong("compress"), help: "Compress the build context using gzip") var compress = false
    @Option(name: .customLong("isolation"), help: "Container isolation technology") var isolation: String?
    @Option(name: .customLong("allow"), help: "Allow extra privileged entitlement (network.host, security.insecure)")
    var allow: [String] = []
    @Option(name: .customLong("ssh"), help: "SSH agent socket or keys to expose to the build (format: default|<id>[=<socket>|<key>[,<key>]])")
    var ssh: [String] = []
    @Option(name: .customLong("shm-size"), parsing: .unconditional, help: "Size of /dev/shm") var shmSize: String?
    @Option(name: .customLong("ulimit"), parsing: .unconditionalSingleValue, help: "Ulimit options (default [])") var ulimits: [String] = []
    @Option(name: [.customShort("m"), .customLong("memory")], parsing: .unconditional, help: "Memory limit") var memory: String?
    @Argument(help: "PATH | URL | -") var arguments: [String] = []

    func run() async throws { _ = try await execute() }

    /// Builds and reports as `docker build` does; returns the result for `buildx build`'s extras (and takes their
    /// cache exports and attestations).
    func execute(cacheTo: [String] = [], attestations: BuildAttestations = BuildAttestations()) async throws -> BuildResult {
        let resources = try ResourceFlags.parse(memory: memory, shmSize: shmSize, ulimits: ulimits, command: "build")
        try UsageErrors.check(arguments.count, .exactly(1))
        let store = try GlobalOptions.openStore()
        let contextArgument = arguments[0]
        let context: BuildContext
        do {
            if contextArgument == "-" {
                context = try BuildContext.open(tarStream: STDIN_FILENO, scratchDirectory: store.root.buildScratchDirectory,
                                                dockerfilePath: file)
            } else if access(contextArgument, F_OK) != 0, let location = RemoteContextLocation(contextArgument) {
                // As docker: an existing path is a local context, whatever it looks like; a URL is fetched first.
                let text = file == "-" ? [UInt8](FileHandle.standardInput.readDataToEndOfFile()) : nil
                context = try await RemoteContext.open(location, scratchDirectory: store.root.buildScratchDirectory,
                                                       dockerfilePath: file == "-" ? nil : file, dockerfileText: text,
                                                       fetcher: HTTPFetcher(options: try RegistryAccess.options()))
            } else if file == "-" {
                let temporary = store.root.buildScratchDirectory + "/Dockerfile-" + UUID().uuidString
                try FileManager.default.createDirectory(atPath: store.root.buildScratchDirectory, withIntermediateDirectories: true)
                try FileHandle.standardInput.readDataToEndOfFile().write(to: URL(fileURLWithPath: temporary))
                defer { unlink(temporary) }
                context = try BuildContext.open(directory: contextArgument, dockerfilePath: temporary,
                                                cacheDirectory: store.root.buildContextStatCacheDirectory)
            } else {
                context = try BuildContext.open(directory: contextArgument, dockerfilePath: file,
                                                cacheDirectory: store.root.buildContextStatCacheDirectory)
            }
        } catch {
            throw CLIError(message: "\(error)")
        }
        // A downloaded, checked out or stdin context is removed when the command ends, however it ends.
        defer { context.discard() }
        let text = String(decoding: context.dockerfile, as: UTF8.self)
        let document: DockerfileDocument
        do {
            // Heredocs as the dockerfile 1.4+ frontend reads them (docker 20.10's built-in frontend predates them).
            document = try DockerfileParser.parse(text, options: .init(heredocs: true))
        } catch {
            throw CLIError(message: "failed to solve with frontend dockerfile.v0: failed to create LLB definition: dockerfile parse error line \(error.line ?? 1): \(error.message)")
        }
        var platforms: [Platform] = []
        let allPlatforms = platform?.trimmingCharacters(in: .whitespaces) == "all"
        for specifier in (platform ?? "").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) })
        where !specifier.isEmpty && !allPlatforms {
            do {
                let parsed = try Platform.parse(specifier).buildTarget
                if !platforms.contains(parsed) { platforms.append(parsed) }
            } catch { throw CLIError(message: "\(error)") }
        }
        var request = BuildRequest(context: context, document: document, platform: platforms.first ?? Platform.host.buildTarget)
        request.dockerfileName = file.map { ($0 as NSString).lastPathComponent } ?? "Dockerfile"
        if file == "-" { request.dockerfileName = "Dockerfile" }
        var ignoreInfo = stat()
        if contextArgument != "-", context.origin == .local, stat(contextArgument + "/.dockerignore", &ignoreInfo) == 0 { request.dockerignoreSize = Int(ignoreInfo.st_size) }
        do {
            request.tags = try tags.map { try ImageReference($0).withDefaultTag() }
        } catch {
            throw CLIError(message: "invalid argument \"\(tags.first ?? "")\" for \"-t, --tag\" flag: \(error)\nSee 'strata build --help'.", code: 125)
        }
        // buildx passes SOURCE_DATE_EPOCH from the environment as a build argument.
        if let epoch = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"], !epoch.isEmpty {
            request.buildArgs["SOURCE_DATE_EPOCH"] = epoch
        }
        for argument in buildArgs {
            if let equals = argument.firstIndex(of: "=") {
                request.buildArgs[String(argument[..<equals])] = String(argument[argument.index(after: equals)...])
            } else if let value = ProcessInfo.processInfo.environment[argument] {
                request.buildArgs[argument] = value
            }
        }
        for label in labels {
            let parts = label.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            request.labels.append((parts[0], parts.count > 1 ? parts[1] : ""))
        }
        request.target = target
        request.noCache = noCache
        request.resources = resources
        for entry in addHosts {
            // docker's opts.ValidateExtraHost: host:ip, the ip a valid IPv4 or IPv6 address (IPv6 may keep its colons).
            guard let colon = entry.firstIndex(of: ":"), colon != entry.startIndex else {
                throw CLIError(message: "invalid argument \"\(entry)\" for \"--add-host\" flag: bad format for add-host: \"\(entry)\"\n"
                                        + "See 'strata build --help'.", code: 125)
            }
            let host = String(entry[..<colon]), address = String(entry[entry.index(after: colon)...])
            var v4 = in_addr(), v6 = in6_addr()
            guard inet_pton(AF_INET, address, &v4) == 1 || inet_pton(AF_INET6, address, &v6) == 1 else {
                throw CLIError(message: "invalid argument \"\(entry)\" for \"--add-host\" flag: invalid IP address in add-host: \"\(address)\"\n"
                                        + "See 'strata build --help'.", code: 125)
            }
            request.extraHosts.append((host, address))
        }
        request.pull = pull
        request.squash = squash
        switch network ?? "default" {
        case "default", "host": request.network = .host
        case "none": request.network = .none
        case let other: throw CLIError(message: "network mode \"\(other)\" not supported by buildkit. You can define a custom network for your builder using the network driver-opt in buildx create.")
        }
        for entitlement in allow.flatMap({ $0.split(separator: ",").map(String.init) }) {
            switch entitlement {
            case "security.insecure": request.allowInsecure = true
            case "network.host": break   // RUN's default network is already the host's
            default: throw CLIError(message: "unknown entitlement \(entitlement)")
            }
        }
        for secret in secrets {
            var id: String?, source: String?, variable: String?
            for field in secret.split(separator: ",") {
                let pair = field.split(separator: "=", maxSplits: 1).map(String.init)
                guard pair.count == 2 else { continue }
                switch pair[0] {
                case "id": id = pair[1]
                case "src", "source": source = pair[1]
                case "env": variable = pair[1]
                case "type": if pair[1] == "env" { variable = variable ?? "" }
                default: break
                }
            }
            guard let id else { throw CLIError(message: "could not parse secrets: [\(secret)]: secret ID missing") }
            // buildx's rules: src= is a file, env= a variable; with neither, the variable named like the id if it is
            // set, else a file of that name.
            if let source {
                request.secrets[id] = .file(BuildContextPath.absolute(source))
            } else if let variable {
                request.secrets[id] = .environment(variable.isEmpty ? id : variable)
            } else if ProcessInfo.processInfo.environment[id] != nil {
                request.secrets[id] = .environment(id)
            } else {
                request.secrets[id] = .file(BuildContextPath.absolute(id))
            }
        }

        guard let mode = ProgressMode(rawValue: progress) else {
            throw CLIError(message: "invalid progress mode \"\(progress)\" (auto, plain, tty, quiet)")
        }
        let parsedOutputs: [BuildOutput]
        do {
            parsedOutputs = try BuildOutput.parse(outputs)
        } catch {
            throw CLIError(message: "\(error)")
        }
        if !ssh.isEmpty {
            // docker's client sets the agents up (and reads the keys) before it sends the build.
            do {
                request.ssh = try await SSHForwarding.start(ssh.map(SSHForwardSpec.parse), scratchRoot: store.root.buildScratchDirectory)
            } catch {
                throw CLIError(message: "could not parse ssh: [\(ssh.joined(separator: " "))]: \(error)")
            }
        }
        let cacheSources: [BuildCacheSpec], cacheDestinations: [BuildCacheSpec]
        do {
            cacheSources = try cacheFrom.map { try BuildCacheSpec.parse($0, export: false) }
            cacheDestinations = try cacheTo.map { try BuildCacheSpec.parse($0, export: true) }
        } catch {
            throw CLIError(message: "\(error)")
        }
        let display = BuildProgress(mode: quiet ? .quiet : mode)
        let outcome: Result<BuildResult, any Error>
        do {
            var options = BuildOptions(request: request, outputs: parsedOutputs, push: push)
            if platforms.count > 1 { options.platforms = platforms }
            options.allPlatforms = allPlatforms
            options.cacheFrom = cacheSources
            options.cacheTo = cacheDestinations
            options.attestations = attestations
            let service = try GlobalOptions.service(contentTrust: contentTrust)
            let build = Task { try await service.build(options, events: display.sink) }
            // Ctrl-C or SIGTERM cancels the build: the running step's process tree is killed, its overlay unmounted,
            // and the step shows CANCELED, as BuildKit does.
            let interruption = Interruption { build.cancel() }
            defer { interruption.stop() }
            outcome = .success(try await build.value)
        } catch {
            outcome = .failure(error)
        }
        // The agents Strata started for --ssh keys end with the build.
        await request.ssh?.stop()
        let result: BuildResult
        switch outcome {
        case .success(let built):
            result = built
        case .failure(let failure as BuildFailure):
            await display.finish(failed: true)
            throw CLIError(message: failure.description)
        case .failure(let error):
            await display.finish(failed: true)
            throw CLIError(message: RuntimeErrorText.describe(error))
        }
        await display.finish(failed: false)
        // A multi-platform build is named by its index, as buildx names it.
        let built = result.index?.digest.description ?? result.image.id.description
        if let iidfile { try Data(built.utf8).write(to: URL(fileURLWithPath: iidfile)) }
        // With `-o -` stdout carries the export alone.
        if quiet && !parsedOutputs.contains(where: \.writesToStandardOutput) { Output.write(built + "\n") }
        return result
    }
}

enum BuildContextPath {
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}

/// SIGINT and SIGTERM while a long operation runs: the first calls `cancel`, a second ends the process at once.
/// `@unchecked Sendable` because `DispatchSourceSignal` is not Sendable: the sources are made in init and only
/// cancelled in `stop`; the count is behind a Mutex.
final class Interruption: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let count = SignalCount()

    private final class SignalCount: Sendable {
        let value = Mutex(0)
        func next() -> Int { value.withLock { $0 += 1; return $0 } }
    }

    init(cancel: @escaping @Sendable () -> Void) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [count] in
                if count.next() > 1 { exit(130) }
                cancel()
            }
            source.resume()
            sources.append(source)
        }
    }

    func stop() {
        sources.forEach { $0.cancel() }
        for sig in [SIGINT, SIGTERM] { signal(sig, SIG_DFL) }
    }
}
