import ArgumentParser
import Foundation
import ImageService
import OCI
import Store
import Transport

struct SaveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "save",
        abstract: "Save one or more images to a tar archive (streamed to STDOUT by default)",
        usage: "strata save [OPTIONS] IMAGE [IMAGE...]",
        discussion: """
            Formats: docker-archive (default; loads into docker 20.10 and 25+), oci (an OCI image-layout tar),
            oci-dir (an OCI image-layout directory, needs -o DIR).

            Example: strata save -o busybox.tar busybox:latest
            """)

    @Option(name: [.customShort("o"), .customLong("output")], help: "Write to a file, instead of STDOUT")
    var output: String?
    @Option(help: "Archive format: docker-archive, oci or oci-dir") var format: String = "docker-archive"
    @Argument(help: "IMAGE [IMAGE...]") var images: [String] = []

    func run() async throws {
        try UsageErrors.check(images.count, .atLeast(1))
        guard ["docker-archive", "oci", "oci-dir"].contains(format) else {
            throw CLIError(message: "unknown format \"\(format)\": use docker-archive, oci or oci-dir")
        }
        if format == "oci-dir" && output == nil {
            throw CLIError(message: "--format oci-dir needs -o DIRECTORY")
        }
        if output == nil && isatty(STDOUT_FILENO) == 1 {
            throw CLIError(message: "cowardly refusing to save to a terminal. Use the -o flag or redirect")
        }
        let chosen = ImageService.SaveFormat(rawValue: format) ?? .dockerArchive
        let service = try GlobalOptions.service()
        do {
            if chosen == .ociDirectory {
                try await service.save(images, format: chosen, to: nil, directory: output)
            } else {
                try await writeArchive { sink in try await service.save(images, format: chosen, to: sink, directory: nil) }
            }
        } catch let error as CLIError {
            throw error
        } catch let error as UnresolvedNames {
            throw RuntimeErrorText.daemon(error.cause)
        } catch {
            throw CLIError(message: "Error: \(RuntimeErrorText.describe(error))")
        }
    }

    /// A tar to stdout, or to `-o FILE` through ``OutputFile`` (a temporary renamed into place, as the docker CLI does).
    private func writeArchive(_ write: (TarSink) async throws -> Void) async throws {
        guard let output else { return try await write(TarSink(fileDescriptor: STDOUT_FILENO)) }
        try await OutputFile.write(to: output, action: "failed to save image") { fd in try await write(TarSink(fileDescriptor: fd)) }
    }
}
