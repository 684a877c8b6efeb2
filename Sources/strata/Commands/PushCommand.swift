import ArgumentParser
import DockerViews
import Foundation
import ImageService
import OCI
import Registry
import Store
import Transport

struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Push an image or a repository to a registry",
        usage: "strata push [OPTIONS] NAME[:TAG]",
        discussion: """
            Blobs the registry already has are skipped after a HEAD; the stored manifest is sent byte for byte,
            so the digest printed at the end equals the local RepoDigest.

            Examples:
              strata tag busybox 127.0.0.1:5000/tools/busybox:1.36
              strata push 127.0.0.1:5000/tools/busybox:1.36
              strata push -a 127.0.0.1:5000/tools/busybox
            """)

    @Flag(name: [.customShort("a"), .customLong("all-tags")], help: "Push all tagged images in the repository")
    var allTags = false
    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Suppress verbose output") var quiet = false
    @Flag(name: .customLong("disable-content-trust"), help: "Skip image signing (default true)") var disableContentTrust = false
    @Option(name: .customLong("max-concurrent-uploads"), help: "Layers uploaded at once (default 5)")
    var maxConcurrentUploads: Int?
    @Flag(name: .customLong("verbose"), help: "Log every HTTP exchange to stderr (credentials redacted)") var verbose = false
    @Argument(help: "NAME[:TAG]") var names: [String] = []

    func run() async throws {
        try UsageErrors.check(names.count, .exactly(1))
        let name = names[0]
        if let failure = DockerReferenceCommand.push.failure(for: name) {
            throw CLIError(message: failure.message, code: failure.exitCode)
        }
        var reference = try ImageReference(name)
        if allTags && reference.tag != nil { throw CLIError(message: "tag can't be used with --all-tags/-a") }
        if reference.digest != nil { throw CLIError(message: "cannot push a digest reference") }
        let progress = TransferProgress(kind: .push, quiet: quiet)
        if !allTags && reference.tag == nil {
            progress.line(PullProgressLines.usingDefaultTag())
            reference = reference.withDefaultTag()
        }
        progress.line(PullProgressLines.pushRefersTo(reference))
        let options = PushOptions(reference: reference, allTags: allTags, maxConcurrentUploads: maxConcurrentUploads)
        do {
            try await GlobalOptions.service(verbose: verbose).push(options) { event in
                switch event {
                case .preparing(let layer): progress.status(layer, .preparing)
                case .mounted(let layer, let from): progress.markMounted(layer, from: from)
                case .transfer(let copyEvent): progress.handler(copyEvent)
                case .pushed(let pushed, let digest, let size):
                    progress.line(PullProgressLines.pushed(tag: pushed.tag ?? ImageReference.defaultTag, digest: digest, size: size))
                }
            }
        } catch let error as ServiceError where error.kind == .notFound {
            throw CLIError(message: error.description)
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError(message: RuntimeErrorText.describe(Self.unwrapped(error)))
        }
        if quiet { Output.write((allTags ? reference.repository : reference).description + "\n") }
    }

    /// docker's push reports an error raised inside a request's round trip (url.Error) by its cause alone,
    /// e.g. `no basic auth credentials` rather than `Head "…": no basic auth credentials`.
    static func unwrapped(_ error: any Error) -> any Error {
        if case RegistryError.authorization(_, _, let cause) = error { return PushFailure(text: cause) }
        return error
    }

    private struct PushFailure: Error, CustomStringConvertible {
        var text: String
        var description: String { text }
    }
}
