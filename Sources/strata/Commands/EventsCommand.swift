import ArgumentParser
import DockerViews
import Foundation
import Format
import Store

struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Get real time events from the image store",
        discussion: """
            Without --until, events stream until interrupted. Filters: type=image, event=<action>,
            image=<name or id>, label=<key>[=<value>].

            Example: strata events --since 10m --until 0s --filter event=tag
            """)

    @Option(name: [.customShort("f"), .customLong("filter")], help: "Filter output based on conditions provided")
    var filter: [String] = []
    @Option(help: "Format the output using the given Go template") var format: String?
    @Option(help: "Show all events created since timestamp") var since: String?
    @Option(help: "Stream events until this timestamp") var until: String?

    /// Seconds since the epoch as nanoseconds; a time Int64 nanoseconds cannot hold (after April 2262) is an error,
    /// not a trap.
    static func nanoseconds(_ seconds: Double, flag: String, value: String) throws -> Int64 {
        let nanoseconds = seconds * 1e9
        guard nanoseconds.isFinite, nanoseconds > -9.2e18, nanoseconds < 9.2e18 else {
            throw CLIError(message: "Error response from daemon: invalid value for --\(flag): \(value): timestamp out of range")
        }
        return Int64(nanoseconds)
    }

    func run() async throws {
        let filters = try Rendering.filters(filter)
        let now = Date().timeIntervalSince1970
        let sinceNano: Int64?
        let untilNano: Int64?
        do {
            sinceNano = try since.map { try Self.nanoseconds(TimestampArgument.parse($0, now: now), flag: "since", value: $0) }
            untilNano = try until.map { try Self.nanoseconds(TimestampArgument.parse($0, now: now), flag: "until", value: $0) }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError(message: "\(error)")
        }
        var template: Template?
        if let format, !format.isEmpty {
            do { template = try Template(DockerFormat.prepare(format).template) } catch {
                throw CLIError(message: DockerFormat.errorMessage(error), code: 1)
            }
        }
        let store = try GlobalOptions.openStore()
        // Live streaming starts from "now" unless --since asks for history; --until alone replays what is kept, as
        // dockerd replays its buffer.
        var cursor: Int64 = 0
        if sinceNano == nil && untilNano == nil { cursor = try store.lastEventSequence() }
        while true {
            for event in try store.events(after: cursor, sinceNano: sinceNano, untilNano: untilNano) {
                cursor = event.sequence
                guard EventView.matches(event, filters: filters) else { continue }
                if let template {
                    do { Output.write(try template.execute(EventView.templateValue(event)) + "\n") } catch {
                        throw CLIError(message: DockerFormat.errorMessage(error), code: 1)
                    }
                } else {
                    Output.write(EventView.line(event) + "\n")
                }
            }
            if let untilNano, Int64(Date().timeIntervalSince1970 * 1e9) >= untilNano { return }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
    }
}
