import Foundation
import Format
import GoText
import OCI
import Store

/// What `docker history` shows: one row per config history entry, newest first; only the top row
/// carries the image ID, the rest are `<missing>` as for any image that was not built locally.
public struct HistoryView: Sendable {
    public static let defaultFormat = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"

    public static func headers(human: Bool) -> [String: String] {
        ["ID": "IMAGE", "CreatedSince": human ? "CREATED" : "CREATED AT", "CreatedAt": "CREATED AT",
         "CreatedBy": "CREATED BY", "Size": "SIZE", "Comment": "COMMENT"]
    }

    public struct Row: Sendable, Equatable {
        public var id: String
        public var created: Int64
        public var createdBy: String
        public var size: Int64
        public var comment: String
    }

    /// Pairs each non-empty history entry with the next layer, as dockerd does.
    public static func rows(image: StoredImage, config: ImageConfig, layers: [StoredLayer]) throws -> [Row] {
        var rows: [Row] = []
        var layerIndex = 0
        for entry in config.history ?? [] {
            var size: Int64 = 0
            if !entry.isEmptyLayer {
                guard layerIndex < layers.count else {
                    throw HistoryError(message: "too many non-empty layers in History section")
                }
                size = layers[layerIndex].contentSize ?? 0
                layerIndex += 1
            }
            rows.insert(Row(id: "<missing>", created: entry.created?.seconds ?? Timestamp.goZero.seconds,
                            createdBy: entry.createdBy ?? "", size: size, comment: entry.comment ?? ""), at: 0)
        }
        if !rows.isEmpty { rows[0].id = image.id.description }
        return rows
    }

    public static func templateValue(_ row: Row, human: Bool, noTrunc: Bool, now: Int64) -> TemplateValue {
        let createdAt = GoTime.local(seconds: row.created).rfc3339Nano
        let createdBy = row.createdBy.replacingOccurrences(of: "\t", with: " ")
        let id = row.id == "<missing>" || noTrunc ? row.id : String(row.id.dropFirst("sha256:".count).prefix(12))
        return .structure(.formatterContext(typeName: "*image.historyContext", fields: [
            ("ID", id),
            ("CreatedSince", human ? HumanUnits.createdSince(created: row.created, now: now) : createdAt),
            ("CreatedAt", createdAt),
            ("CreatedBy", noTrunc ? createdBy : ellipsis(createdBy, 45)),
            ("Size", human ? HumanUnits.humanSize(bytes: row.size, precision: 3) : String(row.size)),
            ("Comment", row.comment),
        ]))
    }

    /// docker CLI's `Ellipsis`: cut to `width` display columns, ending in "…".
    static func ellipsis(_ text: String, _ width: Int) -> String {
        let characters = Array(text)
        guard characters.count > width else { return text }
        return String(characters.prefix(width - 1)) + "…"
    }
}

public struct HistoryError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}
