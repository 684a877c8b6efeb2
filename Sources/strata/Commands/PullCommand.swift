import ArgumentParser
import DockerViews
import ImageService
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
    @OptionGroup var contentTrust: ContentTrustFlags
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
        let progress = TransferProgress(kind: .pull, quiet: quiet)
        if !allTags && reference.tag == nil && reference.digest == nil {
            progress.line(PullProgressLines.usingDefaultTag())
            reference = reference.withDefaultTag()
        }
        let options = PullOptions(reference: reference, platform: wanted, allPlatforms: allPlatforms, allTags: allTags,
                                  maxConcurrentDownloads: maxConcurrentDownloads)
        do {
            try await GlobalOptions.service(verbose: verbose, contentTrust: contentTrust).pull(options) { event in progress.render(event) }
        } catch let error as CLIError {
            throw error
        } catch {
            throw RuntimeErrorText.daemon(error)
        }
        if quiet || allTags {
            Output.write((allTags ? reference.repository : reference).description + "\n")
        } else {
            Output.write(PullProgressLines.pulledReference(reference) + "\n")
        }
    }

    static func platform(_ text: String?) throws -> PlatformMatcher {
        guard let text, !text.isEmpty else { return .host }
        do { return PlatformMatcher(for: try Platform.parse(text)) } catch {
            throw CLIError(message: "Error response from daemon: \(error)")
        }
    }
}
