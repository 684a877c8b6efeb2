import Foundation
import Format
import Store

/// `docker events`: the default one-line rendering, `events.Message` for templates, and filters.
public enum EventView {
    /// docker's line: `<time, 9 fraction digits> <type> <action> <actor> (k=v, …)`.
    public static func line(_ event: ImageEvent) -> String {
        var text = "\(fixedTime(event.timeNano)) \(event.type) \(event.action) \(event.actorID)"
        if !event.attributes.isEmpty {
            text += " (" + event.attributes.keys.sorted().map { "\($0)=\(event.attributes[$0]!)" }.joined(separator: ", ") + ")"
        }
        return text
    }

    static func fixedTime(_ timeNano: Int64) -> String {
        let seconds = timeNano >= 0 ? timeNano / 1_000_000_000 : (timeNano - 999_999_999) / 1_000_000_000
        let nanos = timeNano - seconds * 1_000_000_000
        let whole = GoTime.local(seconds: seconds).rfc3339Nano  // no fraction: "2006-01-02T15:04:05Z07:00"
        let split = whole.index(whole.startIndex, offsetBy: min(19, whole.count))
        return String(whole[..<split]) + String(format: ".%09lld", nanos) + String(whole[split...])
    }

    public static func templateValue(_ event: ImageEvent) -> TemplateValue {
        typealias F = TemplateStruct.Field
        let attributes = TemplateValue.map(TemplateMap(event.attributes.keys.sorted().map { ($0, .string(event.attributes[$0]!)) },
                                                       typeName: "map[string]string", jsonKeyOrder: .sorted))
        return .structure(TemplateStruct(typeName: "events.Message", fields: [
            F("Status", .string(event.action), typeName: "string", jsonName: "status", omitEmpty: true),
            F("ID", .string(event.actorID), typeName: "string", jsonName: "id", omitEmpty: true),
            F("From", .string(""), typeName: "string", jsonName: "from", omitEmpty: true),
            F("Type", .string(event.type), typeName: "string"),
            F("Action", .string(event.action), typeName: "string"),
            F("Actor", .structure(TemplateStruct(typeName: "events.Actor", fields: [
                F("ID", .string(event.actorID), typeName: "string"),
                F("Attributes", attributes, typeName: "map[string]string"),
            ])), typeName: "events.Actor"),
            F("Scope", .string("local"), typeName: "string", jsonName: "scope"),
            F("Time", .int(event.timeNano / 1_000_000_000), typeName: "int64", jsonName: "time", omitEmpty: true),
            F("TimeNano", .int(event.timeNano), typeName: "int64", jsonName: "timeNano", omitEmpty: true),
        ]))
    }

    /// dockerd's event filters; unknown keys are ignored, as dockerd does.
    public static func matches(_ event: ImageEvent, filters: FilterArguments) -> Bool {
        if filters.contains("type"), !filters["type"].contains(event.type) { return false }
        if filters.contains("event"), !filters["event"].contains(event.action) { return false }
        if filters.contains("image") {
            let name = event.attributes["name"] ?? ""
            let candidates = [event.actorID, name, stripTag(event.actorID), stripTag(name)]
            if !filters["image"].contains(where: candidates.contains) { return false }
        }
        if filters.contains("label"), !filters.matchesLabels(event.attributes) { return false }
        return true
    }

    static func stripTag(_ name: String) -> String {
        guard let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") else { return name }
        return String(name[..<colon])
    }
}
