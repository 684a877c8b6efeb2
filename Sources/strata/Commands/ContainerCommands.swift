import ArgumentParser
import DockerViews
import Format
import Foundation
import ImageService
import Store

/// `strata ps` / `container ls`: the containers `run` kept (started without --rm), in docker's columns.
struct PsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ps",
        abstract: "List containers",
        discussion: """
            Containers exist while `strata run` runs them and, without --rm, after they stop.

            Example: strata ps -a --format '{{.Names}}\\t{{.Status}}'
            """)

    @Flag(name: .shortAndLong, help: "Show all containers (default shows just running)") var all = false
    @Flag(name: .shortAndLong, help: "Only display container IDs") var quiet = false
    @Flag(name: .customLong("no-trunc"), help: "Don't truncate output") var noTrunc = false
    @Flag(name: .shortAndLong, help: "Display total file sizes") var size = false
    @Flag(name: .shortAndLong, help: "Show the latest created container (includes all states)") var latest = false
    @Option(name: [.customShort("n"), .long], help: "Show n last created containers (includes all states)") var last: Int = -1
    @Option(name: .shortAndLong, help: "Filter output based on conditions provided") var filter: [String] = []
    @Option(help: "Pretty-print containers using a Go template") var format: String?

    func run() async throws {
        let filters = try Rendering.filters(filter)
        do { try filters.validate(allowed: ContainerListView.allowedFilters) } catch { throw RuntimeErrorText.daemon(error) }
        let service = try GlobalOptions.service()
        // docker asks for sizes only for -s or a template that shows them.
        let template = format ?? ""
        var summaries = try service.containers(measuringSizes: size || template.contains(".Size") || template.contains("json"))
        let limit = latest ? 1 : last
        if limit >= 0 {
            summaries = Array(summaries.prefix(limit))
        } else if !all && !filters.contains("status") && !filters.contains("exited") {
            summaries = summaries.filter(\.isRunning)
        }
        let now = Date().timeIntervalSince1970
        let rows = ContainerRows.rows(summaries, service: service).filter { ContainerListView.matches($0, filters) }
            .map { ContainerListView.value($0, noTrunc: noTrunc, now: now) }
        var chosen = format
        if quiet && (format ?? "").isEmpty { chosen = ContainerListView.quietFormat }
        let defaultFormat = ContainerListView.defaultFormat + (size ? ContainerListView.sizeColumn : "")
        Output.write(try Rendering.render(format: chosen, defaultFormat: defaultFormat, headers: ContainerListView.headers,
                                          rows: rows))
    }
}

/// The service's containers as the views take them.
enum ContainerRows {
    static func all(_ service: ImageService) throws -> [ContainerListView.Row] {
        rows(try service.containers(), service: service)
    }

    /// `ps` names the image by the name it was run with while that still names the same image, else by its ID.
    static func rows(_ summaries: [ContainerSummary], service: ImageService) -> [ContainerListView.Row] {
        summaries.map { summary in
            let container = summary.container
            let image = try? service.image(container.imageName)
            let shown = image?.id.description == container.imageID ? container.imageName : container.imageID
            return ContainerListView.Row(container: container, image: shown, writableBytes: summary.writableBytes,
                                         imageBytes: image?.size ?? 0)
        }
    }
}

/// `strata rm` / `container rm`: forget kept containers and delete their files.
struct RmCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Remove one or more containers",
        discussion: "Example: strata rm -f my-container")

    @Flag(name: .shortAndLong, help: "Force the removal of a running container (uses SIGKILL)") var force = false
    @Flag(name: .shortAndLong, help: "Remove anonymous volumes associated with the container") var volumes = false
    @Argument(help: "CONTAINER") var containers: [String] = []

    func run() async throws {
        try UsageErrors.check(containers.count, .atLeast(1))
        let service = try GlobalOptions.service()
        var failures: [String] = []
        for name in containers {
            do {
                try service.removeContainer(name, force: force)
                Output.write(name + "\n")
            } catch StoreError.noSuchContainer {
                failures.append("Error: No such container: \(name)")
            } catch {
                failures.append(RuntimeErrorText.daemon(error).message)
            }
        }
        if !failures.isEmpty { throw CLIError(message: failures.joined(separator: "\n"), code: 1) }
    }
}

/// `strata container prune`: every stopped container.
struct ContainerPruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove all stopped containers",
        discussion: "Example: strata container prune -f")

    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation") var force = false
    @Option(name: .customLong("filter"), help: "Provide filter values (e.g. 'until=<timestamp>')") var filter: [String] = []

    func run() async throws {
        if !filter.isEmpty { _ = try Rendering.filters(filter, flag: "--filter") }
        if !force {
            guard PruneDialog.confirmed("WARNING! This will remove all stopped containers.\nAre you sure you want to continue?")
            else { return }
        }
        let result = try GlobalOptions.service().pruneContainers()
        var text = ""
        if !result.removed.isEmpty { text += "Deleted Containers:\n" + result.removed.map { $0 + "\n" }.joined() + "\n" }
        text += "Total reclaimed space: \(HumanUnits.humanSize(bytes: result.reclaimedBytes))\n"
        Output.write(text)
    }
}

/// `strata container …`: docker's management-command spellings of the container commands Strata has.
struct ContainerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "container",
        abstract: "Manage containers",
        subcommands: [ContainerListCommand.self, ContainerRemoveCommand.self, ContainerPruneCommand.self, RunCommand.self])
}

struct ContainerListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List containers", aliases: ["list", "ps"])
    @OptionGroup var options: PsCommand
    func run() async throws { try await options.run() }
}

struct ContainerRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one or more containers",
                                                    aliases: ["remove"])
    @OptionGroup var options: RmCommand
    func run() async throws { try await options.run() }
}
