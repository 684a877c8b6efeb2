import ArgumentParser
import DockerViews
import Foundation
import ImageService
import Format
import Store

struct ImagePruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove unused images",
        discussion: """
            Also collects blobs that no image references. Filters: until=<timestamp or duration>,
            label=<key>[=<value>], label!=<key>[=<value>].

            Example: strata image prune -a -f --filter until=24h
            """)

    @Flag(name: .shortAndLong, help: "Remove all unused images, not just dangling ones") var all = false
    @Option(name: .customLong("filter"), help: "Provide filter values (e.g. 'until=<timestamp>')") var filter: [String] = []
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation") var force = false

    func run() async throws {
        let filters = try Rendering.filters(filter, flag: "--filter")
        do { try filters.validate(allowed: ["until", "label", "label!", "dangling"]) } catch {
            throw RuntimeErrorText.daemon(error)
        }
        var until = Double.infinity
        do { for value in filters["until"] { until = min(until, try TimestampArgument.parse(value)) } } catch {
            throw RuntimeErrorText.daemon(error)
        }
        if !force {
            let warning = all ? "WARNING! This will remove all images without at least one container associated to them."
                              : "WARNING! This will remove all dangling images."
            guard PruneDialog.confirmed(warning + "\nAre you sure you want to continue?") else { return }
        }
        let cutoff = until
        let result = try GlobalOptions.service().prune(all: all) { image in
            image.createdUnix < cutoff && filters.matchesLabels(image.labels)
        }
        var text = PruneDialog.deletedImages(result.records)
        text += "Total reclaimed space: \(HumanUnits.humanSize(bytes: result.reclaimedBytes))\n"
        Output.write(text)
    }
}

struct SystemPruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove unused data",
        discussion: """
            Stopped containers (kept by `run` without --rm), dangling images and dangling build cache; with -a every
            image no name or container needs and all build cache. Strata has no networks, and a container's volumes
            go with it, so --volumes has nothing more to remove.

            Example: strata system prune -a -f
            """)

    @Flag(name: .shortAndLong, help: "Remove all unused images not just dangling ones") var all = false
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation") var force = false
    @Flag(name: .customLong("volumes"), help: "Prune volumes") var volumes = false
    @Option(name: .customLong("filter"), help: "Provide filter values (e.g. 'label=<key>=<value>')") var filter: [String] = []

    func run() async throws {
        if !filter.isEmpty { _ = try Rendering.filters(filter, flag: "--filter") }
        if !force {
            var items = ["all stopped containers", "all networks not used by at least one container"]
            if volumes { items.append("all volumes not used by at least one container") }
            items.append(all ? "all images without at least one container associated to them" : "all dangling images")
            items.append(all ? "all build cache" : "all dangling build cache")
            guard PruneDialog.confirmed("WARNING! This will remove:\n" + items.map { "  - \($0)\n" }.joined()
                                              + "\nAre you sure you want to continue?") else { return }
        }
        let result = try GlobalOptions.service().systemPrune(all: all)
        var text = ""
        if !result.containers.isEmpty {
            text += "Deleted Containers:\n" + result.containers.map { $0 + "\n" }.joined() + "\n"
        }
        text += PruneDialog.deletedImages(result.images.records)
        if !result.buildCache.removedKeys.isEmpty {
            text += "Deleted build cache objects:\n" + result.buildCache.removedKeys.map { $0 + "\n" }.joined() + "\n"
        }
        text += "Total reclaimed space: \(HumanUnits.humanSize(bytes: result.reclaimedBytes))\n"
        Output.write(text)
    }
}

/// docker's prune prompt and report sections.
enum PruneDialog {
    /// The warning, ` [y/N] `, and unless the answer is yes, "Total reclaimed space: 0B".
    static func confirmed(_ prompt: String) -> Bool {
        Output.write(prompt + " [y/N] ")
        guard let answer = readLine(), ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased()) else {
            Output.write("Total reclaimed space: 0B\n")
            return false
        }
        return true
    }

    /// The "Deleted Images:" section (empty when nothing went).
    static func deletedImages(_ records: [RemovalRecord]) -> String {
        guard !records.isEmpty else { return "" }
        return "Deleted Images:\n" + records.map { record in
            switch record {
            case .untagged(let name): "untagged: \(name)\n"
            case .deleted(let id): "deleted: \(id)\n"
            }
        }.joined() + "\n"
    }
}
