import ArgumentParser
import DockerViews
import Foundation
import Format
import OCI
import Store

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Return low-level information on images",
        discussion: "Example: strata inspect --format '{{.RootFS.Layers}}' busybox")

    @Option(name: .shortAndLong, help: "Format the output using the given Go template") var format: String?
    @Option(help: "Return JSON for specified type (only \"image\" is known here)") var type: String?
    @Flag(name: .shortAndLong, help: "Display total file sizes (ignored for images)") var size = false
    @Argument(help: "NAME|ID") var names: [String] = []

    /// `docker image inspect` words its misses differently from `docker inspect`.
    var imageOnly = false

    /// docker inspect's `--type` values; Strata holds only images, so the others find nothing.
    static let objectTypes = ["config", "container", "image", "network", "node", "plugin", "secret", "service", "task", "volume"]

    func run() async throws {
        try UsageErrors.check(names.count, .atLeast(1))
        if let type, !type.isEmpty, type != "image" {
            guard Self.objectTypes.contains(type) else { throw CLIError(message: "\"\(type)\" is not a valid value for --type") }
            // docker prints an empty array, one line per missing object, and exits 1.
            Output.write("[]\n")
            throw CLIError(message: names.map { "Error: No such \(type): \($0)" }.joined(separator: "\n"))
        }
        let store = try GlobalOptions.openStore()
        let byImage = imageOnly || type == "image"
        var documents: [TemplateStruct] = []
        var failures: [String] = []
        for name in names {
            do {
                var image = try store.resolve(name)
                if try !store.pendingLayers(ofImages: [image.id]).isEmpty {
                    store.measurePendingLayersForDisplay(ofImages: [image.id])
                    image = try store.image(id: image.id) ?? image
                }
                let config = try JSONDecoder().decode(ImageConfig.self, from: try store.blobs.read(image.id))
                documents.append(InspectView.document(image: image, config: config))
            } catch StoreError.noSuchImage {
                failures.append(byImage ? "Error: No such image: \(name)" : "Error: No such object: \(name)")
            } catch let error as ReferenceError {
                failures.append(byImage ? "Error response from daemon: no such image: \(name): \(error)" : "Error: No such object: \(name)")
            } catch {
                failures.append("Error response from daemon: \(RuntimeErrorText.describe(error))")
            }
        }
        if let format, !format.isEmpty {
            try renderTemplate(format, documents)
        } else if documents.isEmpty {
            Output.write("[]\n")
        } else {
            let items = documents.map { JSONIndent.indent(TemplateValue.structure($0).jsonString(escapeHTML: true), prefix: "    ") }
            Output.write("[\n    " + items.joined(separator: ",\n    ") + "\n]\n")
        }
        if !failures.isEmpty { throw CLIError(message: failures.joined(separator: "\n")) }
    }

    /// docker tries the typed struct first and, when a field is unknown there, the raw JSON map with
    /// `missingkey=error`, which is where its `map has no entry for key` message comes from.
    private func renderTemplate(_ format: String, _ documents: [TemplateStruct]) throws {
        let template: Template
        do {
            template = try Template(DockerFormat.prepare(format).template)
        } catch {
            throw CLIError(message: DockerFormat.errorMessage(error), code: DockerFormat.exitCode(error, isInspect: true))
        }
        var output = ""
        for document in documents {
            do {
                output += try template.execute(.structure(document)) + "\n"
            } catch {
                var failure = error
                if let raw = try? TemplateValue(json: TemplateValue.structure(document).jsonString()) {
                    do {
                        output += try template.execute(raw, missingKey: .error) + "\n"
                        continue
                    } catch {
                        failure = error
                    }
                }
                Output.write(output + "\n")
                throw CLIError(message: DockerFormat.errorMessage(failure), code: DockerFormat.exitCode(failure, isInspect: true))
            }
        }
        // docker writes a bare newline when nothing was rendered.
        Output.write(output.isEmpty ? "\n" : output)
    }
}
