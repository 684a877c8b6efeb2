import ArgumentParser
import Foundation
import GoText
import Archive
import ImageBuilder
import ImageService
import OCI
import Sandbox

/// `strata buildx …`: docker buildx's spellings over Strata's one built-in builder, which builds in this process
/// into the store (no builder container, no `--load` step).
struct BuildxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "buildx",
        abstract: "Docker Buildx's commands, served by Strata's built-in builder",
        discussion: """
            Examples:
              strata buildx build --platform linux/amd64,linux/arm64 -t app:1 .
              strata buildx build --platform linux/arm64 --metadata-file meta.json --push -t 127.0.0.1:5000/app:1 .
              strata buildx build --cache-to type=registry,ref=127.0.0.1:5000/app:cache,mode=max --push -t 127.0.0.1:5000/app:1 .
              strata buildx build --cache-from type=registry,ref=127.0.0.1:5000/app:cache -t 127.0.0.1:5000/app:1 .
              strata buildx build --provenance=mode=max --sbom=true --push -t 127.0.0.1:5000/app:1 .
              strata buildx install-emulators        # what docker/setup-qemu-action does (needs qemu-user-static)
              strata buildx ls
            """,
        subcommands: [BuildxBuildCommand.self, ImagetoolsCommand.self, BuildxInstallEmulatorsCommand.self, BuildxListCommand.self,
                      BuildxInspectCommand.self, BuildxCreateCommand.self, BuildxUseCommand.self, BuildxVersionCommand.self])
}

/// The one builder's names: buildx calls the built-in one `default`.
enum BuiltinBuilder {
    static let names: Set<String> = ["default", "strata"]

    static func check(_ name: String?) throws {
        guard let name, !names.contains(name) else { return }
        throw CLIError(message: "ERROR: no builder \(GoQuote.quote(name)) found (Strata has one built-in builder: default)")
    }

    /// This host's platform, then every platform a registered emulator runs.
    static func platforms() -> [String] {
        var platforms = [Platform.host.buildTarget.description]
        for platform in EmulatorRegistry.registeredPlatforms() where !platforms.contains(platform.description) {
            platforms.append(platform.description)
        }
        return platforms
    }
}

struct BuildxBuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build", abstract: "Start a build", usage: "strata buildx build [OPTIONS] PATH | URL | -",
        discussion: """
            Examples:
              strata buildx build --platform linux/amd64,linux/arm64 --push -t 127.0.0.1:5000/app:1 .
              strata buildx build --cache-to type=local,dest=/tmp/cache,mode=max -t app:1 .
              strata buildx build --cache-from type=local,src=/tmp/cache -t app:1 .
              strata buildx build --cache-to type=inline --push -t 127.0.0.1:5000/app:1 .
            """,
        aliases: ["b"])

    @OptionGroup var build: BuildCommand
    @Flag(name: .customLong("load"), help: "Shorthand for --output=type=docker (the store already holds the result)")
    var load = false
    @Option(name: .customLong("builder"), help: "Override the configured builder instance") var builder: String?
    @Option(name: .customLong("metadata-file"), help: "Write build result metadata to the file") var metadataFile: String?
    @Option(name: .customLong("cache-to"),
            help: "Cache export destinations (e.g., \"type=registry,ref=user/app:cache,mode=max\", \"type=local,dest=path/to/dir\", \"type=inline\")")
    var cacheTo: [String] = []
    @Option(name: .customLong("provenance"),
            help: "Shorthand for --attest=type=provenance: true (= mode=min), false, mode=min|max[,builder-id=URL]")
    var provenance: String?
    @Option(name: .customLong("sbom"), help: "Shorthand for --attest=type=sbom: true or false (an SPDX 2.3 SBOM of each image)")
    var sbom: String?
    @Option(name: .customLong("attest"), help: "Attestation parameters (format: \"type=provenance,mode=max\", \"type=sbom\")")
    var attest: [String] = []

    func run() async throws {
        try BuiltinBuilder.check(builder)
        let result = try await build.execute(cacheTo: cacheTo, attestations: try attestations())
        if let metadataFile { try await writeMetadata(result, to: metadataFile) }
    }

    /// The attestations asked for, with Strata's version and, as buildx sets it in GitHub Actions, the run's URL as
    /// the builder id.
    private func attestations() throws -> BuildAttestations {
        var parsed: BuildAttestations
        do { parsed = try BuildAttestations.parse(attest: attest, sbom: sbom, provenance: provenance) } catch {
            throw CLIError(message: "ERROR: \(error)")
        }
        parsed.builderVersion = HostFacts.strataVersion
        let environment = ProcessInfo.processInfo.environment
        if parsed.builderID == nil, let server = environment["GITHUB_SERVER_URL"], let repository = environment["GITHUB_REPOSITORY"],
           let run = environment["GITHUB_RUN_ID"] {
            parsed.builderID = "\(server)/\(repository)/actions/runs/\(run)"
        }
        return parsed
    }

    /// buildx's metadata file: the pushed or stored descriptor, the config digest and the names.
    private func writeMetadata(_ result: BuildResult, to path: String) async throws {
        let store = try GlobalOptions.openStore()
        var object: [String: Any] = [:]
        if let index = result.index {
            object["containerimage.digest"] = index.digest.description
            object["containerimage.descriptor"] = ["mediaType": index.mediaType, "digest": index.digest.description,
                                                   "size": index.size]
        } else {
            let image = result.image
            object["containerimage.digest"] = image.manifestDigest.description
            object["containerimage.config.digest"] = image.id.description
            object["containerimage.descriptor"] = ["mediaType": image.manifestMediaType, "digest": image.manifestDigest.description,
                                                   "size": store.blobs.size(of: image.manifestDigest) ?? 0]
        }
        let names = build.tags.compactMap { try? ImageReference($0).withDefaultTag().description }
        if !names.isEmpty { object["image.name"] = names.joined(separator: ",") }
        object["buildx.build.ref"] = "default/default/\(result.image.id.shortID)"
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try await OutputFile.write(to: path, action: "write the metadata file") { fd in
            try data.withUnsafeBytes { try FileDescriptorIO.writeAll(fd, $0) }
        }
    }
}

struct BuildxInstallEmulatorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install-emulators",
        abstract: "Register QEMU user emulators with binfmt_misc (what docker/setup-qemu-action does)",
        discussion: """
            Registers every emulator Debian's qemu-user-static installs, with the fix-binary flag so that RUN steps \
            and containers of other architectures find it inside their root filesystem. Needs root.

            Example: apt-get install -y qemu-user-static && strata buildx install-emulators
            """)

    func run() async throws {
        let registered: [Platform]
        do { registered = try EmulatorRegistry.installAll() } catch { throw CLIError(message: "\(error)") }
        for platform in registered { Output.write("\(platform.description)\n") }
    }
}

struct BuildxListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List builder instances")

    func run() async throws {
        Output.write("NAME/NODE    DRIVER/ENDPOINT   STATUS    PLATFORMS\n")
        Output.write("default *    strata            running   \(BuiltinBuilder.platforms().joined(separator: ", "))\n")
    }
}

struct BuildxInspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Inspect current builder instance")
    @Argument(help: "NAME") var name: String?
    @Flag(name: .customLong("bootstrap"), help: "Ensure builder has booted before inspecting") var bootstrap = false

    func run() async throws {
        try BuiltinBuilder.check(name)
        Output.write("""
            Name:   default
            Driver: strata

            Nodes:
            Name:      default
            Endpoint:  strata (in process)
            Status:    running
            Platforms: \(BuiltinBuilder.platforms().joined(separator: ", "))

            """)
    }
}

struct BuildxCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a new builder instance")
    @Option(name: .customLong("name"), help: "Builder instance name") var name: String?
    @Option(name: .customLong("driver"), help: "Driver to use") var driver: String?
    @Option(name: .customLong("platform"), help: "Fixed platforms for current node") var platform: [String] = []
    @Option(name: .customLong("driver-opt"), help: "Options for the driver") var driverOptions: [String] = []
    @Flag(name: .customLong("use"), help: "Set the current builder instance") var use = false
    @Flag(name: .customLong("bootstrap"), help: "Boot builder after creation") var bootstrap = false
    @Argument(help: "CONTEXT") var context: String?

    func run() async throws {
        // Nothing to create: every build runs in this process. Scripts that create and use a builder go on.
        Output.error("strata has one built-in builder (default); nothing to create\n")
        Output.write("default\n")
    }
}

struct BuildxUseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "use", abstract: "Set the current builder instance")
    @Flag(name: .customLong("default"), help: "Set builder as default for current context") var makeDefault = false
    @Flag(name: .customLong("global"), help: "Builder persists context changes") var global = false
    @Argument(help: "NAME") var name: String

    func run() async throws { try BuiltinBuilder.check(name) }
}

struct BuildxVersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Show buildx version information")
    func run() async throws { Output.write("strata buildx (built-in) \(HostFacts.strataVersion)\n") }
}
