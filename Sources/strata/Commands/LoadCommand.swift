import Archive
import ArgumentParser
import Foundation
import ImageService
import OCI
import Store
import Transport

struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Load an image from a tar archive or STDIN",
        usage: "strata load [OPTIONS]",
        discussion: """
            Accepts docker-archive (docker save, skopeo docker-archive:) and OCI image layouts (a tar, or a
            directory given to -i), plain or gzip, bzip2, xz or zstd compressed.

            Example: strata load -i busybox.tar
            """)

    @Option(name: [.customShort("i"), .customLong("input")], help: "Read from tar archive file, instead of STDIN")
    var input: String?
    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Suppress the load output") var quiet = false

    func run() async throws {
        let source: ArchiveLoader.Input
        var opened: Int32 = -1
        if let input {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory) else {
                throw CLIError(message: "open \(input): no such file or directory")
            }
            if isDirectory.boolValue {
                source = .directory(input)
            } else {
                opened = open(input, O_RDONLY | O_CLOEXEC)
                guard opened >= 0 else { throw CLIError(message: "open \(input): \(String(cString: strerror(errno)))") }
                source = .stream(fileDescriptor: opened)
            }
        } else {
            if isatty(STDIN_FILENO) == 1 {
                throw CLIError(message: "requested load from stdin, but stdin is empty")
            }
            source = .stream(fileDescriptor: STDIN_FILENO)
        }
        defer { if opened >= 0 { close(opened) } }
        let service = try GlobalOptions.service()
        do {
            // -q only hides progress, which strata does not draw; the result lines are printed either way, as docker does.
            try await service.load(source) { committed in
                var text = ""
                for (name, previous) in committed.renamed {
                    text += "The image \(name.familiarString) already exists, renaming the old one with ID \(previous) to empty string\n"
                }
                if committed.names.isEmpty {
                    text += "Loaded image ID: \(committed.image.id)\n"
                } else {
                    for name in committed.names { text += "Loaded image: \(name.familiarString)\n" }
                }
                Output.write(text)
            }
        } catch let error as ArchiveError {
            throw CLIError(message: "Error processing tar file(exit status 1): \(error)")
        } catch {
            throw CLIError(message: RuntimeErrorText.describe(error))
        }
    }
}
