import Archive
import ArgumentParser
import Foundation
import Store

/// `strata export IMAGE`: the image's flattened filesystem as one tar. docker's `export` takes a
/// container; strata has none, so it takes an image and writes what a fresh container of it holds.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export an image's flattened filesystem as a tar archive",
        usage: "strata export [OPTIONS] IMAGE",
        discussion: """
            Unlike docker export, which takes a container, this takes an image: its layers are applied in
            order (whiteouts honoured) and the resulting root filesystem is written as one tar, as a new
            container of the image would see it.

            Example: strata export -o rootfs.tar debian:bookworm
            """)

    @Option(name: [.customShort("o"), .customLong("output")], help: "Write to a file, instead of STDOUT")
    var output: String?
    @Argument(help: "IMAGE") var images: [String] = []

    func run() async throws {
        try UsageErrors.check(images.count, .exactly(1))
        if output == nil && isatty(STDOUT_FILENO) == 1 {
            throw CLIError(message: "cowardly refusing to save to a terminal. Use the -o flag or redirect")
        }
        let store = try GlobalOptions.openStore()
        let image = try store.resolveForDaemon(images[0])
        let unpacker = ImageUnpacker(store: store)
        guard let output else {
            try describeFailures { try unpacker.export(image, to: STDOUT_FILENO) }
            return
        }
        try await OutputFile.write(to: output, action: "failed to export image") { fd in
            try describeFailures { try unpacker.export(image, to: fd) }
        }
    }

    private func describeFailures(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError(message: "Error: failed to export image: \(RuntimeErrorText.describe(error))")
        }
    }
}
