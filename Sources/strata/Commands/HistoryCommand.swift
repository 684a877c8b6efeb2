import ArgumentParser
import DockerViews
import Foundation
import OCI
import Store

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show the history of an image",
        discussion: "Example: strata history --no-trunc --format '{{.Size}}\\t{{.CreatedBy}}' busybox")

    @Option(help: "Pretty-print images using a Go template") var format: String?
    @Flag(name: [.customShort("H"), .customLong("human")], help: "Print sizes and dates in human readable format (default true)")
    var human = false
    @Flag(name: .customLong("no-human"), help: .hidden) var noHuman = false
    @Flag(name: .customLong("no-trunc"), help: "Don't truncate output") var noTrunc = false
    @Flag(name: .shortAndLong, help: "Only show image IDs") var quiet = false
    @Argument(help: "IMAGE") var images: [String] = []

    func run() async throws {
        try UsageErrors.check(images.count, .exactly(1))
        let image = images[0]
        let store = try GlobalOptions.openStore()
        let stored = try store.resolveForDaemon(image)
        store.measurePendingLayersForDisplay(ofImages: [stored.id])
        let rows: [HistoryView.Row]
        do {
            let config = try JSONDecoder().decode(ImageConfig.self, from: try store.blobs.read(stored.id))
            rows = try HistoryView.rows(image: stored, config: config, layers: try store.layers(of: stored.id))
        } catch {
            throw RuntimeErrorText.daemon(error)
        }
        let isHuman = !noHuman
        let now = Rendering.now
        var chosen = format ?? ""
        if quiet && (chosen.isEmpty || chosen == "table") { chosen = "{{.ID}}" }
        Output.write(try Rendering.render(
            format: chosen, defaultFormat: HistoryView.defaultFormat, headers: HistoryView.headers(human: isHuman),
            rows: rows.map { HistoryView.templateValue($0, human: isHuman, noTrunc: noTrunc, now: now) }))
    }
}
