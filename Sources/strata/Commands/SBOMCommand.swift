import Archive
import ArgumentParser
import DockerViews
import Foundation
import ImageService
import OCI
import Scan

/// `strata sbom`: the packages in an image, read from the store's layers as streams, as a table, Strata's JSON,
/// SPDX 2.3 or CycloneDX 1.5; `--attach` pushes the document to the image's registry as an OCI referrer.
struct SBOMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sbom",
        abstract: "List the packages in an image (a software bill of materials)",
        discussion: """
            Examples:
              strata sbom debian:12
              strata sbom --format spdx-json -o debian.spdx.json debian:12
              strata sbom --format cyclonedx-json --attach 127.0.0.1:5000/team/app:1.0
            Catalogers: dpkg (status and status.d), apk, rpm (rpmdb.sqlite), Python (dist-info, egg-info), npm (node_modules, package-lock.json), Go binaries (embedded build info), Java archives (nested too), and the OS from os-release. Each package names the files that prove it and the layer that added it.

            --attach pushes the image, then the SPDX (or, with --format cyclonedx-json, CycloneDX) document as a referrer of its manifest.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, spdxJSON = "spdx-json", cyclonedxJSON = "cyclonedx-json"
    }

    @Option(help: "Output format: table, json, spdx-json or cyclonedx-json") var format: Format = .table
    @Option(name: .shortAndLong, help: "Write to FILE instead of stdout") var output: String?
    @Flag(help: "Push the SPDX or CycloneDX document to the image's registry as a referrer of the image") var attach = false
    @Argument(help: "IMAGE") var image: String

    func run() async throws {
        let service = try GlobalOptions.service()
        let result: CatalogResult
        do {
            result = try await service.catalog(image)
        } catch {
            throw RuntimeErrorText.daemon(error, name: image)
        }
        for warning in result.inventory.warnings { Output.error("WARNING: \(warning)\n") }
        let stamp = DocumentStamp(toolVersion: HostFacts.strataVersion)
        let text: [UInt8]
        switch format {
        case .table: text = Array(SBOMView.table(result.inventory).utf8)
        case .json: text = Array(try SBOMView.json(result.inventory, image: result.subject).utf8)
        case .spdxJSON: text = SPDXDocumentWriter.write(inventory: result.inventory, image: result.subject, stamp: stamp)
        case .cyclonedxJSON: text = CycloneDXDocumentWriter.write(inventory: result.inventory, image: result.subject, stamp: stamp)
        }
        if let output {
            try await OutputFile.write(to: output, action: "failed to write the SBOM") { fd in
                try text.withUnsafeBytes { try FileDescriptorIO.writeAll(fd, $0) }
            }
        } else {
            Output.write(String(decoding: text, as: UTF8.self))
        }
        if attach {
            let reference: ImageReference
            do { reference = try ImageReference(image) } catch {
                throw CLIError(message: "Error: --attach needs the image's registry name, not \(image)", code: 1)
            }
            let cyclonedx = format == .cyclonedxJSON
            let document = cyclonedx || format == .spdxJSON ? text
                : SPDXDocumentWriter.write(inventory: result.inventory, image: result.subject, stamp: stamp)
            let mediaType = cyclonedx ? "application/vnd.cyclonedx+json" : "application/spdx+json"
            do {
                let attached = try await service.attachSBOM(Data(document), mediaType: mediaType, to: reference)
                Output.error("Attached \(mediaType) to \(attached.repository)@\(attached.subject) as \(attached.referrer)\n")
            } catch {
                throw CLIError(message: "Error: attaching the SBOM: \(RuntimeErrorText.describe(error))", code: 1)
            }
        }
    }
}
