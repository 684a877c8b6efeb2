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
            Output.write("\(warning)\nAre you sure you want to continue? [y/N] ")
            guard let answer = readLine(), ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased()) else {
                Output.write("Total reclaimed space: 0B\n")
                return
            }
        }
        let cutoff = until
        let result = try GlobalOptions.service().prune(all: all) { image in
            image.createdUnix < cutoff && filters.matchesLabels(image.labels)
        }
        var text = ""
        if !result.records.isEmpty {
            text += "Deleted Images:\n"
            for record in result.records {
                switch record {
                case .untagged(let name): text += "untagged: \(name)\n"
                case .deleted(let id): text += "deleted: \(id)\n"
                }
            }
            text += "\n"
        }
        text += "Total reclaimed space: \(HumanUnits.humanSize(bytes: result.reclaimedBytes))\n"
        Output.write(text)
    }
}
