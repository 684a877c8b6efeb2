import ArgumentParser
import DockerViews
import Format
import Store

struct ImagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "List images",
        usage: "strata images [OPTIONS] [REPOSITORY[:TAG]]",
        discussion: """
            Filters: dangling=true|false, label=<key> or label=<key>=<value>, reference=<pattern>,
            before=<image>, since=<image>, until=<timestamp or duration>.

            Examples:
              strata images --filter dangling=true -q
              strata images --format '{{.Repository}}:{{.Tag}}\\t{{.Size}}'
            """)

    @Flag(name: .shortAndLong, help: "Show all images (default hides intermediate images)") var all = false
    @Flag(help: "Show digests") var digests = false
    @Option(name: [.customShort("f"), .customLong("filter")], help: "Filter output based on conditions provided")
    var filter: [String] = []
    @Option(help: "Pretty-print images using a Go template") var format: String?
    @Flag(name: .customLong("no-trunc"), help: "Don't truncate output") var noTrunc = false
    @Flag(name: .shortAndLong, help: "Only show image IDs") var quiet = false
    @Argument(help: "REPOSITORY[:TAG]") var repository: String?

    func run() async throws {
        var options = ImageListView.Options()
        options.all = all
        options.showDigests = digests
        options.noTrunc = noTrunc
        options.filters = try Rendering.filters(filter)
        if let repository { options.filters.add("reference", repository) }
        let store = try GlobalOptions.openStore()
        store.measurePendingLayersForDisplay(ofImages: nil)
        let rows: [ImageListView.Row]
        do {
            rows = try ImageListView.rows(images: try store.images(), options: options) { name in
                try store.resolveForDaemon(name)
            }
        } catch let error as FilterError {
            throw RuntimeErrorText.daemon(error)
        }
        let now = Rendering.now
        let values = ImageListView.templateValues(rows, noTrunc: noTrunc, now: now)
        var chosen = format ?? ""
        if chosen.isEmpty || chosen == "table" {
            chosen = quiet ? "{{.ID}}" : digests ? ImageListView.defaultDigestsFormat : ImageListView.defaultFormat
        }
        Output.write(try Rendering.render(format: chosen, defaultFormat: ImageListView.defaultFormat,
                                          headers: ImageListView.headers, rows: values))
    }
}
