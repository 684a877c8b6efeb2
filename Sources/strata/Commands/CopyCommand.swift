import ArgumentParser
import Foundation
import ImageService
import OCI
import Registry
import Transport

struct CopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy an image between registries, OCI layouts, archives and the local store",
        usage: "strata copy [OPTIONS] SOURCE-IMAGE DESTINATION-IMAGE",
        discussion: """
            Transports (skopeo's syntax): docker://NAME[:TAG|@DIGEST], oci:DIR[:REF], oci-archive:FILE[:REF],
            docker-archive:FILE[:NAME:TAG], strata:NAME or a bare NAME (the local store). Blobs and manifests are
            copied byte for byte, so digests are preserved.

            Examples:
              strata copy docker://127.0.0.1:5000/tools/busybox:1.36 oci:./busybox-layout:1.36
              strata copy oci-archive:busybox.tar docker://127.0.0.1:5000/tools/busybox:1.36
              strata copy busybox:latest docker-archive:busybox.tar:busybox:latest
              strata copy --all docker://127.0.0.1:5000/tools/multi:1 oci:./multi-layout:1
              strata copy --dest-compress-format zstd busybox:latest oci:./busybox-zstd:latest
              strata copy --referrers docker://127.0.0.1:5000/tools/signed:1 strata:tools/signed:1

            --referrers also copies the artifacts that refer to what was copied (signatures, SBOMs, attestations,
            found through the registry's referrers API or its sha256-<hex> tag), between registries and the store.
            """)

    @Option(help: "Platform to pick from a multi-platform source (default: this host)") var platform: String?
    @OptionGroup var contentTrust: ContentTrustFlags
    @Flag(name: [.customShort("a"), .customLong("all")], help: "Copy every platform of a multi-platform image and its index") var all = false
    @Flag(name: .customLong("referrers"), help: "Also copy the artifacts that refer to the image (signatures, SBOMs, attestations)")
    var referrers = false
    @Option(name: .customLong("dest-compress-format"), help: "Re-encode layers as gzip or zstd (changes their digests)") var destCompressFormat: String?
    @Option(name: .customLong("max-concurrent-layers"), help: "Layers copied at once (default 3)") var maxConcurrentLayers: Int?
    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Print nothing but errors") var quiet = false
    @Flag(name: .customLong("verbose"), help: "Log every HTTP exchange to stderr (credentials redacted)") var verbose = false
    @Argument(help: "SOURCE-IMAGE DESTINATION-IMAGE") var names: [String] = []

    func run() async throws {
        try UsageErrors.check(names.count, .exactly(2))
        let source: TransportName, destination: TransportName
        do { source = try TransportName(names[0]) } catch {
            throw CLIError(message: "Invalid source name \(names[0]): \(error)")
        }
        do { destination = try TransportName(names[1]) } catch {
            throw CLIError(message: "Invalid destination name \(names[1]): \(error)")
        }
        let matcher = try PullCommand.platform(platform)
        let recompress = try destCompressFormat.map { text in
            guard let format = RecompressingSource.Format(rawValue: text) else {
                throw CLIError(message: "invalid value \"\(text)\" for --dest-compress-format: must be gzip or zstd")
            }
            return format
        }
        if all && recompress != nil {
            throw CLIError(message: "--all cannot be combined with --dest-compress-format: the index would name the old manifests")
        }
        do {
            let options = CopyOptions(source: source, destination: destination, platform: matcher, allPlatforms: all,
                                      recompress: recompress, referrers: referrers, maxConcurrentLayers: maxConcurrentLayers)
            let report = try await GlobalOptions.service(verbose: verbose, contentTrust: contentTrust).copy(options, opened: {
                if !quiet { Output.error("Copying \(source) to \(destination)\n") }
            })
            if !quiet { Output.error(Self.summary(report)) }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError(message: "copying image: \(RuntimeErrorText.describe(error))")
        }
    }

    /// What was written (the index, or the image's manifest) and what moved.
    static func summary(_ report: CopyReport) -> String {
        var text = ""
        if let index = report.indexes.last {
            text += "Wrote index \(index) (\(report.images.count) images)\n"
        } else if let image = report.images.last {
            if let digest = report.manifests.last ?? nil {
                text += "Wrote manifest \(digest) (image \(image.id))\n"
            } else {
                text += "Wrote image \(image.id)\n"
            }
        }
        text += "Copied \(report.layersSent.count) layer(s), \(report.bytesSent) bytes; \(report.layersSkipped.count) already there\n"
        for referrer in report.referrers {
            text += "Copied referrer \(referrer.digest) (\(referrer.artifactType ?? referrer.mediaType))\n"
        }
        return text
    }
}
