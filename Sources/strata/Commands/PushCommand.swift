import ArgumentParser
import DockerViews
import Foundation
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
        let store = try GlobalOptions.openStore()
        let progress = TransferProgress(kind: .push, quiet: quiet)
        if !allTags && reference.tag == nil {
            progress.line(PullProgressLines.usingDefaultTag())
            reference = reference.withDefaultTag()
        }
        progress.line(PullProgressLines.pushRefersTo(reference))
        var targets: [(reference: ImageReference, image: StoredImage)] = []
        if allTags {
            for entry in try store.tags(inRepository: reference.name) {
                if let image = try store.image(id: entry.imageID) { targets.append((entry.reference, image)) }
            }
            if targets.isEmpty { throw CLIError(message: "An image does not exist locally with the tag: \(reference.name)") }
        } else {
            guard let id = try store.imageID(named: reference), let image = try store.image(id: id) else {
                throw CLIError(message: "An image does not exist locally with the tag: \(reference.name)")
            }
            targets = [(reference, image)]
        }
        let settings = try RegistrySettings.load()
        let copier = ImageCopier(maxConcurrentLayers: maxConcurrentUploads ?? settings.maxConcurrentUploads)
        do {
            try await RegistryAccess.with(verbose: verbose) { client in
                for target in targets {
                    try await push(target.image, as: target.reference, client: client, store: store, copier: copier,
                                   progress: progress)
                }
            }
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

    private func push(_ image: StoredImage, as reference: ImageReference, client: RegistryClient, store: ImageStore,
                      copier: ImageCopier, progress: TransferProgress) async throws {
        // A name that stands for a multi-platform index pushes the index whole, every platform first.
        let index = try store.target(named: reference)?.indexDigest
        let source = try index.map { try StoreSource(store: store, index: $0, names: [reference]) }
            ?? StoreSource(store: store, images: [(image, [reference])], measureUncompressedSize: false)
        let layers = try store.layers(of: image.id)
        for layer in layers.reversed() {
            progress.status(TransportLayer(blob: Descriptor(mediaType: layer.mediaType, digest: layer.blobDigest, size: layer.blobSize),
                                           diffID: layer.diffID), .preparing)
        }
        let destination = RegistryDestination(client: client, reference: reference)
        destination.onLayer = { layer, outcome in
            if case .mounted(let from) = outcome { progress.markMounted(layer, from: from) }
        }
        try await copier.copy(from: source, to: destination, progress: progress.handler)
        // For an index, the platforms went by digest; the line and the RepoDigest are the index's.
        for pushed in index == nil ? destination.pushed : destination.pushed.suffix(1) {
            progress.line(PullProgressLines.pushed(tag: reference.tag ?? pushed.reference, digest: pushed.digest, size: pushed.size))
            try? store.tag(image, as: reference.repository.withDigest(pushed.digest), index: index)
        }
        try? store.log(action: "push", actorID: reference.description, attributes: ["name": reference.description])
    }
}
