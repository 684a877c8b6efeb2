import ArgumentParser
import DockerViews
import Format
import Foundation
import ImageService
import OCI
import Store

struct DiskUsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "df",
        abstract: "Show disk usage",
        discussion: "Example: strata system df --format '{{.Type}}\\t{{.TotalCount}}\\t{{.Size}}'")

    @Option(help: "Pretty-print images using a Go template") var format: String?
    @Flag(name: .shortAndLong, help: "Show detailed information on space usage") var verbose = false

    func run() async throws {
        let store = try GlobalOptions.openStore()
        store.measurePendingLayersForDisplay(ofImages: nil)
        let images = try store.images()
        var layers: [Digest: [StoredLayer]] = [:]
        for image in images { layers[image.id] = try store.layers(of: image.id) }
        var usage = DiskUsageView.usage(images: images, layers: layers)
        usage.containers = try ContainerRows.all(try GlobalOptions.service())
        usage.addBuildCache(try store.buildCacheEntries(),
                            imageLayers: Set(layers.values.flatMap { $0.map(\.blobDigest) }))
        let now = Rendering.now
        guard verbose else {
            Output.write(try Rendering.render(format: format, defaultFormat: DiskUsageView.defaultFormat,
                                              headers: DiskUsageView.headers, rows: DiskUsageView.summaryRows(usage)))
            return
        }
        if let format, !format.isEmpty, format != "table" {
            // docker runs a -v template once over the whole report; a template written for the summary
            // rows (`{{.Type}}`) fails there, so those rows are what the user meant.
            if let whole = try? FormatRenderer(format: format).template.execute(DiskUsageView.verboseDocument(usage, now: now)) {
                Output.write(whole)
            } else {
                Output.write(try Rendering.render(format: format, defaultFormat: DiskUsageView.defaultFormat,
                                                  headers: DiskUsageView.headers, rows: DiskUsageView.summaryRows(usage)))
            }
            return
        }
        var text = "Images space usage:\n\n"
        text += try Rendering.render(format: DiskUsageView.verboseImageFormat, defaultFormat: DiskUsageView.verboseImageFormat,
                                     headers: DiskUsageView.verboseImageHeaders,
                                     rows: DiskUsageView.verboseImageRows(usage, noTrunc: false, now: now))
        text += DiskUsageView.verboseContainersHeading
        text += try Rendering.render(format: DiskUsageView.verboseContainerFormat, defaultFormat: DiskUsageView.verboseContainerFormat,
                                     headers: ContainerListView.headers,
                                     rows: DiskUsageView.verboseContainerRows(usage, noTrunc: false, now: Double(now)))
        text += DiskUsageView.verboseTrailer(buildCacheSize: usage.buildCacheSize)
        text += try Rendering.render(format: DiskUsageView.verboseBuildCacheFormat,
                                     defaultFormat: DiskUsageView.verboseBuildCacheFormat,
                                     headers: DiskUsageView.buildCacheHeaders,
                                     rows: DiskUsageView.buildCacheRows(usage, truncate: true, now: now))
        Output.write(text)
    }
}

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Verify every blob digest and every reference in the store",
        discussion: "Exits 1 when anything is damaged. Example: strata system check")

    @Flag(name: .shortAndLong, help: "Only report damage") var quiet = false

    func run() async throws {
        let store = try GlobalOptions.openStore()
        let report = try store.check()
        for line in report.damage { Output.error("damaged: \(line)\n") }
        if !quiet {
            for note in report.notes { Output.write("note: \(note)\n") }
            Output.write("checked \(report.imagesChecked) image(s) and \(report.blobsVerified) blob(s): "
                         + (report.isHealthy ? "ok" : "\(report.damage.count) problem(s)") + "\n")
        }
        if !report.isHealthy { throw CLIError(message: "", code: 1) }
    }
}
