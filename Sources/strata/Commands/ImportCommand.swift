import Archive
import ArgumentParser
import Dockerfile
import Foundation
import ImageService
import OCI
import Store

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import the contents from a tarball to create a filesystem image",
        usage: "strata import [OPTIONS] file|-|DIRECTORY [REPOSITORY[:TAG]]",
        discussion: """
            The tarball may be plain, gzip, bzip2, xz or zstd compressed. A directory is archived as it is
            (owners, modes, xattrs; symlinks are never followed).

            Example: strata import -c 'CMD ["/bin/sh"]' -m "busybox base" rootfs.tar busybox:latest
            """)

    @Option(name: [.customShort("c"), .customLong("change")], help: "Apply Dockerfile instruction to the created image")
    var changes: [String] = []
    @Option(name: [.customShort("m"), .customLong("message")], help: "Set commit message for imported image")
    var message: String?
    @Option(help: "Set platform if server is multi-platform capable") var platform: String?
    @Argument(help: "file|-|DIRECTORY [REPOSITORY[:TAG]]") var arguments: [String] = []

    func run() async throws {
        try UsageErrors.check(arguments.count, .atLeast(1))
        if arguments.count > 2 {
            throw CLIError(message: "\"strata \(GlobalOptions.commandPath)\" requires at most 2 arguments.")
        }
        let source = arguments[0]
        let repository = arguments.count > 1 ? arguments[1] : nil
        var reference: ImageReference?
        if let repository {
            do { reference = try ImageReference(repository) } catch { throw CLIError(message: "\(error)") }
            if reference?.digest != nil { throw CLIError(message: "refusing to create a tag with a digest reference") }
        }
        var config = ContainerConfig()
        do {
            ConfigChange.apply(try changes.map(ConfigChange.parse), to: &config)
        } catch {
            throw RuntimeErrorText.daemon(error)
        }
        var targetPlatform = Platform.current
        if let platform {
            do { targetPlatform = try Platform(parsing: platform) } catch { throw RuntimeErrorText.daemon(error) }
        }
        let input: ImageImporter.Source
        if source == "-" {
            input = .standardInput
        } else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else {
                throw CLIError(message: "open \(source): no such file or directory")
            }
            input = isDirectory.boolValue ? .directory(source) : .file(source)
        }
        let service = try GlobalOptions.service()
        do {
            let image = try service.importImage(from: input, config: config, message: message, reference: reference,
                                                platform: targetPlatform)
            Output.write("\(image.id)\n")
        } catch let error as ArchiveError {
            throw CLIError(message: "Error response from daemon: Error processing tar file(exit status 1): \(error)")
        } catch {
            throw RuntimeErrorText.daemon(error)
        }
    }
}
