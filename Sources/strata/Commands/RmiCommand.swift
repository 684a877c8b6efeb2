import ArgumentParser
import ImageService
import OCI
import Store

struct RmiCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rmi",
        abstract: "Remove one or more images",
        discussion: "Example: strata rmi busybox:old 5128e16d1cd9")

    @Flag(name: .shortAndLong, help: "Force removal of the image") var force = false
    @Flag(name: .customLong("no-prune"), help: "Do not delete untagged parents") var noPrune = false
    @Argument(help: "IMAGE") var images: [String] = []

    func run() async throws {
        try UsageErrors.check(images.count, .atLeast(1))
        let service = try GlobalOptions.service()
        var failures: [String] = []
        for name in images {
            do {
                for record in try service.remove(name, force: force) { Output.write("\(record)\n") }
            } catch StoreError.noSuchImage {
                failures.append("Error: No such image: \(name)")
            } catch {
                failures.append(RuntimeErrorText.daemon(error).message)
            }
        }
        if !failures.isEmpty {
            let onlyMissing = failures.allSatisfy { $0.hasPrefix("Error: No such image") }
            throw CLIError(message: failures.joined(separator: "\n"), code: force && onlyMissing ? 0 : 1)
        }
    }
}
