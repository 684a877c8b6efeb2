import ArgumentParser
import Foundation
import ImageBuilder

/// Hidden diagnostic: the content digest a COPY of SOURCES from a context would use in its cache key
/// (what bench/copy-context.sh times). The stat cache lives under the store's build-cache directory.
struct ContextChecksumCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "context-checksum",
        abstract: "Print the content digest of COPY sources from a build context",
        shouldDisplay: false)

    @Option(name: .customLong("cache-dir"), help: "Directory for the stat cache (default: none)") var cacheDirectory: String?
    @Flag(name: .customLong("stats"), help: "Print how many files were hashed to stderr") var stats = false
    @Argument(help: "CONTEXT [SOURCE...] (default source: .)") var arguments: [String] = []

    func run() throws {
        guard let directory = arguments.first else { throw CLIError(message: "context-checksum requires a context directory", code: 125) }
        let sources = arguments.count > 1 ? Array(arguments.dropFirst()) : ["."]
        let context = try BuildContext.open(directory: directory, dockerfilePath: "/dev/null", cacheDirectory: cacheDirectory)
        print(try context.checksum(sources: sources))
        if stats { Output.error("hashed \(context.hashedFileCount) files\n") }
    }
}
