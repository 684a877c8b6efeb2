import Foundation
import Format
import GoText
import Store

/// What `docker ps` shows of a container: its columns, `--format` fields and `-q`.
public enum ContainerListView {
    public static let defaultFormat = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
    public static let quietFormat = "{{.ID}}"
    public static let sizeColumn = "\t{{.Size}}"
    public static let headers = [
        "ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "CreatedAt": "CREATED AT", "RunningFor": "CREATED",
        "Ports": "PORTS", "State": "STATE", "Status": "STATUS", "Size": "SIZE", "Names": "NAMES", "Labels": "LABELS",
        "Mounts": "MOUNTS", "Networks": "NETWORKS", "LocalVolumes": "LOCAL VOLUMES",
    ]

    /// One container.
    public struct Row: Sendable {
        public var container: StoredContainer
        /// The image as `ps` names it: the name it was run by while that still names its image, else its ID.
        public var image: String
        public var writableBytes: Int64
        /// The image's size (docker's "virtual" adds the writable layer to it); nil shows the writable layer alone.
        public var imageBytes: Int64?
        public init(container: StoredContainer, image: String, writableBytes: Int64, imageBytes: Int64?) {
            self.container = container
            self.image = image
            self.writableBytes = writableBytes
            self.imageBytes = imageBytes
        }
    }

    /// The `ps --filter` keys Strata's containers can answer.
    public static let allowedFilters: Set<String> = ["id", "name", "status", "exited", "ancestor"]

    /// dockerd's `ps` filters: `name` and `id` match parts of the name or the ID's start, `status` the state
    /// (`running`, `exited`), `exited` the exit code, `ancestor` the image as named or by ID; values of one key
    /// are alternatives, keys must all match.
    public static func matches(_ row: Row, _ filters: FilterArguments) -> Bool {
        let container = row.container
        let checks: [(String, (String) -> Bool)] = [
            ("name", { (try? Regex($0)).map { container.name.contains($0) } ?? container.name.contains($0) }),
            ("id", { container.id.hasPrefix($0) }),
            ("status", { $0 == container.state.rawValue }),
            ("exited", { container.state == .exited && Int32($0) == container.exitCode }),
            ("ancestor", { $0 == container.imageName || $0 == row.image || container.imageID.dropFirst(7).hasPrefix($0)
                           || $0 == container.imageID }),
        ]
        return checks.allSatisfy { key, check in
            let values = filters[key]
            return values.isEmpty || values.contains(where: check)
        }
    }

    /// docker's Status column: `Up 5 seconds`, `Exited (0) 2 minutes ago`.
    public static func status(_ container: StoredContainer, now: Double) -> String {
        switch container.state {
        case .running:
            return "Up " + HumanUnits.humanDuration(seconds: now - container.created.timeIntervalSince1970)
        case .exited:
            let finished = container.finished?.timeIntervalSince1970 ?? container.created.timeIntervalSince1970
            return "Exited (\(container.exitCode ?? 0)) " + HumanUnits.humanDuration(seconds: now - finished) + " ago"
        }
    }

    public static func value(_ row: Row, noTrunc: Bool, now: Double) -> TemplateValue {
        typealias F = TemplateStruct.Field
        let container = row.container
        // dockerd's Command: the path, then the arguments with any that hold a space in single quotes.
        var command = ([container.command.first ?? ""] + container.command.dropFirst().map { $0.contains(" ") ? "'\($0)'" : $0 })
            .joined(separator: " ")
        var id = container.id
        var image = row.image
        if !noTrunc {
            id = String(id.prefix(12))
            command = HistoryView.ellipsis(command, 20)
            if image.hasPrefix("sha256:") { image = String(image.dropFirst(7).prefix(12)) }
        }
        let created = Int64(container.created.timeIntervalSince1970)
        let fields: [(String, String)] = [
            ("Command", GoQuote.quote(command)),
            ("CreatedAt", GoTime.local(seconds: created).goString),
            ("ID", id),
            ("Image", image),
            ("Labels", ""),
            ("LocalVolumes", "0"),
            ("Mounts", ""),
            ("Names", container.name),
            ("Networks", "host"),
            ("Ports", ""),
            ("RunningFor", HumanUnits.createdSince(created: created, now: Int64(now))),
            ("Size", row.imageBytes.map { imageBytes in
                HumanUnits.humanSize(bytes: row.writableBytes, precision: 3)
                    + " (virtual \(HumanUnits.humanSize(bytes: row.writableBytes + imageBytes, precision: 3)))"
            } ?? HumanUnits.humanSize(bytes: row.writableBytes)),
            ("State", container.state.rawValue),
            ("Status", status(container, now: now)),
        ]
        return .structure(TemplateStruct(typeName: "*formatter.ContainerContext",
                                         fields: fields.map { F($0.0, .string($0.1), typeName: "string") },
                                         sortJSONKeys: true, escapeHTMLInJSON: true))
    }
}
