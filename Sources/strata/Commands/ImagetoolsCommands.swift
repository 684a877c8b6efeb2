import ArgumentParser
import DockerViews
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
              strata buildx imagetools inspect --format '{{json .Provenance}}' 127.0.0.1:5000/app:1
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
        // Attestations are fetched only for a template that shows them, as buildx does.
        let wantsAttestations = (format ?? "").contains(".Provenance") || (format ?? "").contains(".SBOM")
        let inspection: RemoteImageInspection
        do { inspection = try await GlobalOptions.service().inspectRemote(reference, attestations: wantsAttestations) } catch {
            throw CLIError(message: "ERROR: \(RuntimeErrorText.describe(error))")
        }
        if raw {
            Output.write(String(decoding: inspection.manifest.data, as: UTF8.self))
            return
        }
        if let format, !format.isEmpty {
            let manifest = (try? TemplateValue(jsonBytes: Array(inspection.manifest.data))) ?? .null
            let attested = inspection.attestations.map { attestation in
                ImagetoolsView.Attested(platform: attestation.platform,
                                        statements: attestation.statements.map { ($0.predicateType, $0.data) })
            }
            let images = inspection.entries.isEmpty ? 1 : inspection.entries.filter { !$0.isAttestationManifest }.count
            let document = TemplateValue.structure(TemplateStruct(typeName: "imagetools.Result", fields: [
                .init("Name", .string(inspection.reference.description)), .init("Manifest", manifest),
                .init("Provenance", ImagetoolsView.provenance(attested, imageCount: images)),
                .init("SBOM", ImagetoolsView.sbom(attested, imageCount: images)),
            ]))
            Output.write(try HostFacts.renderFormat(format, document))
            return
        }
        Output.write(ImagetoolsView.text(reference: inspection.reference, mediaType: inspection.manifest.mediaType,
                                         digest: inspection.manifest.digest, entries: inspection.entries))
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
