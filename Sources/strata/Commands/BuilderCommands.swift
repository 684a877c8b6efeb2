import ArgumentParser
import DockerViews
import Format
import Foundation
import Sandbox
import ImageBuilder
import GoText
import OCI
import Store

/// `strata builder …`: the build cache.
struct BuilderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "builder",
        abstract: "Manage builds",
        subcommands: [BuilderPruneCommand.self])
}

struct BuilderPruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove build cache",
        discussion: """
            Without -a, cache entries whose layer an image still uses are kept. Filters: until=<duration>
            (unused-for=<duration>), cache entries last used longer ago than that. Without a filter the snapshot
            dirs builds keep go too: all with -a, else those of layers no image uses.

            Example: strata builder prune -a -f --filter until=24h
            """)

    @Flag(name: .shortAndLong, help: "Remove all unused build cache, not just dangling ones") var all = false
    @Option(name: .customLong("filter"), help: "Provide filter values (e.g. 'until=24h')") var filter: [String] = []
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation") var force = false
    @Option(name: .customLong("keep-storage"), help: "Amount of disk space to keep for cache") var keepStorage: String?

    func run() async throws {
        let filters = try Rendering.filters(filter, flag: "--filter")
        var keepBytes: Int64?
        if let keepStorage {
            do { keepBytes = try RAMSize.parse(keepStorage) } catch {
                throw CLIError(message: "invalid argument \"\(keepStorage)\" for \"--keep-storage\" flag: \(error)\n"
                                        + "See 'strata builder prune --help'.", code: 125)
            }
        }
        let unusedFor = try Self.unusedFor(filters)
        if !force {
            let warning = all ? "WARNING! This will remove all build cache. Are you sure you want to continue?"
                              : "WARNING! This will remove all dangling build cache. Are you sure you want to continue?"
            guard PruneDialog.confirmed(warning) else { return }
        }
        let store = try GlobalOptions.openStore()
        var cutoff: Date?
        if let unusedFor { cutoff = Date(timeIntervalSinceNow: -unusedFor) }
        if let keepBytes {
            // BuildKit frees space only until the cache fits in --keep-storage, oldest entries first.
            guard let keepCutoff = Self.keepStorageCutoff(try store.buildCacheEntries(), keep: keepBytes) else {
                Output.write("Total reclaimed space: 0B\n")
                return
            }
            cutoff = min(cutoff ?? keepCutoff, keepCutoff)
        }
        var result = try store.pruneBuildCache(all: all, unusedSince: cutoff)
        // Snapshot dirs are not dated: a filtered prune (until, --keep-storage) leaves them.
        if cutoff == nil { result.reclaimedBytes += try SnapshotPrune.prune(store: store, all: all) }
        var text = ""
        if !result.removedKeys.isEmpty {
            text += "Deleted build cache objects:\n" + result.removedKeys.map { $0 + "\n" }.joined() + "\n"
        }
        text += "Total reclaimed space: \(HumanUnits.humanSize(bytes: result.reclaimedBytes))\n"
        Output.write(text)
    }

    /// The `until` (or `unused-for`) filter in seconds; dockerd 20.10 takes durations only, one value.
    static func unusedFor(_ filters: FilterArguments) throws -> Double? {
        let allowed: Set<String> = ["until", "unused-for"]
        if let bad = filters.values.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw CLIError(message: "Error response from daemon: failed to prune build cache: Invalid filter '\(bad)'")
        }
        let values = filters["until"] + filters["unused-for"]
        guard let value = values.first else { return nil }
        if values.count > 1 {
            throw CLIError(message: "Error response from daemon: failed to prune build cache: filters expect only one value")
        }
        do {
            return Double(try GoDuration.parse(value)) / 1e9
        } catch {
            throw CLIError(message: "Error response from daemon: failed to prune build cache: \"until\" filter expects a duration "
                                    + "(e.g., '24h'): \(error)")
        }
    }

    /// Entries are kept newest first while they fit in `keep` bytes; returns the last-used time below which the
    /// rest goes, or nil when everything fits.
    static func keepStorageCutoff(_ entries: [BuildCacheEntry], keep: Int64) -> Date? {
        var total: Int64 = 0
        for entry in entries.sorted(by: { $0.lastUsed > $1.lastUsed }) {
            total += entry.size
            if total > keep { return entry.lastUsed.addingTimeInterval(0.000_001) }
        }
        return nil
    }
}
