import ArgumentParser
import Foundation
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
        let store = try GlobalOptions.openStore()
        let source: StoreSource
        do {
            // An OCI layout can hold a multi-platform index: a single name standing for one is saved whole.
            if format != "docker-archive", images.count == 1, let reference = try? ImageReference(images[0]),
               let index = try store.target(named: reference)?.indexDigest {
                source = try StoreSource(store: store, index: index, names: [reference.withDefaultTag()])
            } else {
                source = try StoreSource(store: store, names: images)
            }
        } catch StoreError.noSuchImage(let name) {
            throw CLIError(message: "Error response from daemon: No such image: \(name)")
        } catch {
            throw CLIError(message: "Error response from daemon: \(RuntimeErrorText.describe(error))")
        }
        do {
            if format == "oci-dir", let output {
                try await ImageCopier().copy(from: source, to: try OCILayoutDestination(directory: output))
            } else {
                try await writeArchive(source: source)
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError(message: "Error: \(RuntimeErrorText.describe(error))")
        }
        for entry in source.selection {
            try? store.log(action: "save", actorID: entry.image.id.description,
                           attributes: entry.image.labels.merging(["name": entry.image.id.description]) { _, new in new })
        }
    }

    /// A tar to stdout, or to a temp file beside `-o FILE` renamed into place at the end (as the docker CLI does).
    private func writeArchive(source: StoreSource) async throws {
        var fd = STDOUT_FILENO
        var temporary: String?
        if let output {
            let directory = (output as NSString).deletingLastPathComponent
            let path = (directory.isEmpty ? "." : directory) + "/.strata_temp_\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
            fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw CLIError(message: "failed to save image: open \(output): \(String(cString: strerror(errno)))")
            }
            temporary = path
        }
        do {
            let sink = TarSink(fileDescriptor: fd)
            let destination: any ImageDestination = format == "oci"
                ? OCILayoutDestination(sink: sink) : DockerArchiveDestination(sink: sink)
            try await ImageCopier().copy(from: source, to: destination)
            if let temporary, let output {
                guard fsync(fd) == 0, close(fd) == 0 else { throw CLIError(message: "failed to save image: \(String(cString: strerror(errno)))") }
                fd = -1
                guard rename(temporary, output) == 0 else {
                    throw CLIError(message: "failed to save image: rename \(output): \(String(cString: strerror(errno)))")
                }
            }
        } catch {
            if let temporary {
                if fd >= 0 { close(fd) }
                unlink(temporary)
            }
            throw error
        }
    }
}
