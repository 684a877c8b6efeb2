import ArgumentParser
import Format
import Foundation
import ImageService
import OCI

/// `strata buildx imagetools …`: registry-side manifests, read and joined without pulling layers.
struct ImagetoolsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imagetools",
        abstract: "Commands to work on images in registry",
        discussion: """
            Examples:
              strata buildx imagetools inspect 127.0.0.1:5000/app:1
              strata buildx imagetools inspect --format '{{json .Manifest}}' 127.0.0.1:5000/app:1
              strata buildx imagetools create -t 127.0.0.1:5000/app:multi 127.0.0.1:5000/app:amd64 127.0.0.1:5000/app:arm64
            """,
        subcommands: [ImagetoolsInspectCommand.self, ImagetoolsCreateCommand.self])
}

struct ImagetoolsInspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show details of an image in the registry")
    @Flag(name: .customLong("raw"), help: "Show original, unformatted JSON manifest") var raw = false
    @Option(name: .customLong("format"), help: "Format the output using the given Go template") var format: String?
    @Option(name: .customLong("builder"), help: "Override the configured builder instance") var builder: String?
    @Argument(help: "NAME") var name: String

    func run() async throws {
        try BuiltinBuilder.check(builder)
        let reference: ImageReference
        do { reference = try ImageReference(name).withDefaultTag() } catch { throw CLIError(message: "ERROR: \(error)") }
        let inspection: RemoteImageInspection
        do { inspection = try await GlobalOptions.service().inspectRemote(reference) } catch {
            throw CLIError(message: "ERROR: \(RuntimeErrorText.describe(error))")
        }
        if raw {
            Output.write(String(decoding: inspection.manifest.data, as: UTF8.self))
            return
        }
        if let format, !format.isEmpty {
            let manifest = (try? TemplateValue(jsonBytes: Array(inspection.manifest.data))) ?? .null
            // Attestations are not made yet, so an image has no provenance or SBOM to show.
            let document = TemplateValue.structure(TemplateStruct(typeName: "imagetools.Result", fields: [
                .init("Name", .string(inspection.reference.description)), .init("Manifest", manifest),
                .init("Provenance", .null), .init("SBOM", .null),
            ]))
            Output.write(try HostFacts.renderFormat(format, document))
            return
        }
        var text = "Name:      \(inspection.reference.description)\n"
        text += "MediaType: \(inspection.manifest.mediaType)\n"
        text += "Digest:    \(inspection.manifest.digest)\n"
        if !inspection.entries.isEmpty {
            text += "           \nManifests: \n"
            text += inspection.entries.map { entry in
                "  Name:      \(inspection.reference.repository.withDigest(entry.digest).description)\n"
                    + "  MediaType: \(entry.mediaType)\n"
                    + "  Platform:  \(entry.platform?.description ?? "unknown/unknown")\n"
            }.joined(separator: "             \n")
        }
        Output.write(text)
    }
}

struct ImagetoolsCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a new image based on source images",
        usage: "strata buildx imagetools create -t TARGET SOURCE [SOURCE...]")
    @Option(name: [.customShort("t"), .customLong("tag")], help: "Set reference for new image") var tags: [String] = []
    @Flag(name: .customLong("dry-run"), help: "Show final image instead of pushing") var dryRun = false
    @Option(name: .customLong("builder"), help: "Override the configured builder instance") var builder: String?
    @Argument(help: "SOURCE") var sources: [String] = []

    func run() async throws {
        try BuiltinBuilder.check(builder)
        try UsageErrors.check(sources.count, .atLeast(1))
        let targets: [ImageReference], inputs: [ImageReference]
        do {
            targets = try tags.map { try ImageReference($0).withDefaultTag() }
            inputs = try sources.map { try ImageReference($0).withDefaultTag() }
        } catch { throw CLIError(message: "ERROR: \(error)") }
        guard dryRun || !targets.isEmpty else { throw CLIError(message: "ERROR: no repositories specified, please set a reference in tag or source") }
        do {
            let made = try await GlobalOptions.service().createRemoteIndex(targets: targets, sources: inputs, dryRun: dryRun)
            if dryRun { Output.write(String(decoding: made.document, as: UTF8.self) + "\n") }
        } catch {
            throw CLIError(message: "ERROR: \(RuntimeErrorText.describe(error))")
        }
    }
}
