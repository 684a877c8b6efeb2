import ArgumentParser
import DockerViews
import Foundation
import OCI
import Registry
import Store
import Transport

struct PullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Pull an image or a repository from a registry",
        usage: "strata pull [OPTIONS] NAME[:TAG|@DIGEST]",
        discussion: """
            Logins come from docker's config.json ($DOCKER_CONFIG) and its credential helpers. Plain HTTP is
            used only for localhost/127.0.0.1 and registries given with --insecure-registry or listed in
            Strata's config file ("insecure-registries"). CAs and client certificates: /etc/docker/certs.d.
            Every blob is checked against its digest as it arrives; layer tars are decoded (diffID proven,
            sizes measured) on first use: run, build, unpack, save, or a command that shows sizes.

            Examples:
              strata pull busybox
              strata pull --platform linux/arm64/v8 127.0.0.1:5000/tools/busybox:1.36
              strata pull -a 127.0.0.1:5000/tools/busybox
              strata pull --all-platforms 127.0.0.1:5000/tools/busybox:multi
              strata pull 127.0.0.1:5000/tools/busybox@sha256:<digest>
            """)

    @Flag(name: [.customShort("a"), .customLong("all-tags")], help: "Download all tagged images in the repository")
    var allTags = false
    @Option(help: "Set platform if server is multi-platform capable") var platform: String?
    @Flag(name: .customLong("all-platforms"), help: "Pull every platform of a multi-platform image (the index's names go to --platform's)")
    var allPlatforms = false
    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Suppress verbose output") var quiet = false
    @Flag(name: .customLong("disable-content-trust"), help: "Skip image verification (default true)") var disableContentTrust = false
    @Option(name: .customLong("max-concurrent-downloads"), help: "Layers downloaded at once (default 3)")
    var maxConcurrentDownloads: Int?
    @Flag(name: .customLong("verbose"), help: "Log every HTTP exchange to stderr (credentials redacted)") var verbose = false
    @Argument(help: "NAME[:TAG|@DIGEST]") var names: [String] = []

    func run() async throws {
        try UsageErrors.check(names.count, .exactly(1))
        let name = names[0]
        if let failure = DockerReferenceCommand.pull.failure(for: name) {
            throw CLIError(message: failure.message, code: failure.exitCode)
        }
        var reference = try ImageReference(name)
        if allTags && (reference.tag != nil || reference.digest != nil) {
            throw CLIError(message: "tag can't be used with --all-tags/-a")
        }
        let wanted = try Self.platform(platform)
        let store = try GlobalOptions.openStore()
        let settings = try RegistrySettings.load()
        let copier = ImageCopier(maxConcurrentLayers: maxConcurrentDownloads ?? settings.maxConcurrentDownloads)
        let progress = TransferProgress(kind: .pull, quiet: quiet)
        if !allTags && reference.tag == nil && reference.digest == nil {
            progress.line(PullProgressLines.usingDefaultTag())
            reference = reference.withDefaultTag()
        }
        do {
            try await RegistryAccess.with(verbose: verbose) { client in
                var targets = [reference]
                if allTags {
                    targets = try await Self.allTags(of: reference, client: client).map { reference.withTag($0) }
                }
                for target in targets {
                    try await pull(target, client: client, store: store, platform: wanted, copier: copier, progress: progress)
                }
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError(message: "Error response from daemon: \(RuntimeErrorText.describe(error))")
        }
        if quiet || allTags {
            Output.write((allTags ? reference.repository : reference).description + "\n")
        } else {
            Output.write(PullProgressLines.pulledReference(reference) + "\n")
        }
    }

    private func pull(_ reference: ImageReference, client: RegistryClient, store: ImageStore, platform: PlatformMatcher,
                      copier: ImageCopier, progress: TransferProgress) async throws {
        let header = PullProgressLines.pullingFrom(reference)
        if allPlatforms {
            return try await pullAllPlatforms(reference, client: client, store: store, platform: platform, copier: copier,
                                              progress: progress)
        }
        let source = RegistrySource(client: client, reference: reference, platform: platform)
        // docker HEADs the manifest first (its failures, e.g. missing credentials, are the ones reported) and
        // prints the header only once the manifest is resolved: a missing tag prints no header.
        let head = try await source.headDescriptor()
        // Already here under this digest (and, for an index, for this platform): nothing to fetch beyond one HEAD.
        if let head,
           let known = try store.imageID(named: reference.repository.withDigest(head.digest)),
           let image = try store.image(id: known),
           try Self.storedImage(known, in: store, suits: platform, forIndex: RegistrySource.isIndexMediaType(head.mediaType)) {
            progress.line(id: header.id, header.text)
            let current = try store.imageID(named: reference)
            if reference.digest == nil && current != known { try store.tag(image, as: reference) }
            progress.line(PullProgressLines.digest(head.digest))
            progress.line(PullProgressLines.status(reference, downloaded: reference.digest == nil && current != known))
            return
        }
        _ = try await source.images()
        progress.line(id: header.id, header.text)
        let previous = reference.digest == nil ? try store.imageID(named: reference) : nil
        let destination = StoreDestination(store: store, action: "pull")
        let images = try await copier.copy(from: source, to: destination, progress: progress.handler).images
        let digest = source.resolvedDigest ?? Digest.sha256(images.first?.manifest ?? Data())
        progress.line(PullProgressLines.digest(digest))
        progress.line(PullProgressLines.status(reference, downloaded: previous != images.first?.id))
    }

    /// Every entry of an index is stored; the tag and the index's RepoDigest go to the entry for `platform`.
    private func pullAllPlatforms(_ reference: ImageReference, client: RegistryClient, store: ImageStore,
                                  platform: PlatformMatcher, copier: ImageCopier, progress: TransferProgress) async throws {
        let source = RegistryIndexSource(client: client, reference: reference)
        _ = try await source.images()
        let header = PullProgressLines.pullingFrom(reference)
        progress.line(id: header.id, header.text)
        let previous = reference.digest == nil ? try store.imageID(named: reference) : nil
        let destination = StoreDestination(store: store, action: "pull")
        destination.indexPlatform = platform
        _ = try await copier.copy(from: source, to: destination, progress: progress.handler)
        let digest = source.resolvedDigest ?? Digest.sha256(Data())
        progress.line(PullProgressLines.digest(digest))
        progress.line(PullProgressLines.status(reference, downloaded: previous != (try store.imageID(named: reference))))
    }

    /// The repository's tags; an unknown repository is worded as docker words it for `pull -a`.
    static func allTags(of reference: ImageReference, client: RegistryClient) async throws -> [String] {
        let repository = RegistryRepository(reference)
        do { return try await client.tags(repository) } catch let error as RegistryError {
            if case .api(_, let errors) = error, let first = errors.first, first.code == "NAME_UNKNOWN" {
                throw RegistryError.repositoryNotFound(name: reference.repository.familiarName, cause: first)
            }
            throw error
        }
    }

    /// Whether the image stored under a manifest digest may stand for it: an index digest names images of
    /// several platforms, and the one kept may be another platform's (pulled earlier with --platform).
    static func storedImage(_ id: Digest, in store: ImageStore, suits platform: PlatformMatcher, forIndex: Bool) throws -> Bool {
        guard forIndex else { return true }
        guard let config = try? JSONDecoder().decode(ImageConfig.self, from: store.blobs.read(id)) else { return false }
        return platform.matches(config.platform)
    }

    static func platform(_ text: String?) throws -> PlatformMatcher {
        guard let text, !text.isEmpty else { return .host }
        do { return PlatformMatcher(for: try Platform.parse(text)) } catch {
            throw CLIError(message: "Error response from daemon: \(error)")
        }
    }
}
