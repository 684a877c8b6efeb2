import Archive
import ArgumentParser
import Foundation
import Store

/// `strata image unpack IMAGE DIR`: the image's root filesystem, layer by layer, into DIR — what
/// `umoci unpack` puts under `bundle/rootfs`, without the runtime bundle around it.
struct UnpackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unpack",
        abstract: "Unpack an image's root filesystem into a directory",
        usage: "strata image unpack IMAGE DIR",
        discussion: """
            DIR is created if missing and must otherwise be empty. Layers are applied in order with
            whiteouts honoured; run as root to keep owners, device nodes and privileged xattrs.
            No path in a layer can write outside DIR.

            Example: strata image unpack debian:bookworm /tmp/rootfs
            """)

    @Argument(help: "IMAGE DIR") var arguments: [String] = []

    func run() async throws {
        try UsageErrors.check(arguments.count, .exactly(2))
        let store = try GlobalOptions.openStore()
        let image = try store.resolveForDaemon(arguments[0])
        do {
            try ImageUnpacker(store: store).unpack(image, into: arguments[1])
        } catch {
            throw CLIError(message: "Error: failed to unpack \(arguments[0]): \(RuntimeErrorText.describe(error))")
        }
    }
}
