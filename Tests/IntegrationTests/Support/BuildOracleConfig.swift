import Foundation

/// Compares two image config blobs the way the build oracle needs: docker's fields one by one,
/// the platform, the history (created_by, empty_layer, comment) and the layer count. Pure.
enum BuildOracleConfig {
    /// The `config` fields a Dockerfile can set.
    static let fields = ["Env", "Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts", "Volumes", "Labels",
                         "StopSignal", "Healthcheck", "Shell", "OnBuild", "ArgsEscaped"]
    static let platformFields = ["architecture", "os", "variant"]

    /// Lines "field: strata X != docker Y". `compareHistory` false skips history (cases built from
    /// a docker-equivalent Dockerfile, whose instructions are spelled differently).
    static func differences(expected: Data, actual: Data, expectedLayers: Int, actualLayers: Int,
                            compareHistory: Bool = true) throws -> [String] {
        guard let e = try JSONSerialization.jsonObject(with: expected) as? [String: Any],
              let a = try JSONSerialization.jsonObject(with: actual) as? [String: Any] else {
            throw FixtureError("an image config is not a JSON object")
        }
        var lines: [String] = []
        for field in platformFields {
            let x = render(a[field]), y = render(e[field])
            if x != y { lines.append("config \(field): strata \(x) != docker \(y)") }
        }
        let ec = e["config"] as? [String: Any] ?? [:], ac = a["config"] as? [String: Any] ?? [:]
        for field in fields {
            let x = render(ac[field], field: field), y = render(ec[field], field: field)
            if x != y { lines.append("config.\(field): strata \(x) != docker \(y)") }
        }
        if actualLayers != expectedLayers {
            lines.append("layers: strata has \(actualLayers), docker \(expectedLayers)")
        }
        if compareHistory {
            lines += historyDifferences(expected: e["history"] as? [[String: Any]] ?? [],
                                        actual: a["history"] as? [[String: Any]] ?? [])
        }
        return lines
    }

    /// History entries compared pairwise on created_by, empty_layer and comment.
    static func historyDifferences(expected: [[String: Any]], actual: [[String: Any]]) -> [String] {
        var lines: [String] = []
        if expected.count != actual.count {
            lines.append("history: strata has \(actual.count) entries, docker \(expected.count): "
                         + "strata \(actual.map(historyLine)) != docker \(expected.map(historyLine))")
        }
        for index in 0 ..< min(expected.count, actual.count) {
            let x = historyLine(actual[index]), y = historyLine(expected[index])
            if x != y { lines.append("history[\(index)]: strata \(x) != docker \(y)") }
        }
        return lines
    }

    /// `created_by | empty_layer | comment`, with absent fields spelled as docker omits them.
    static func historyLine(_ entry: [String: Any]) -> String {
        let createdBy = entry["created_by"] as? String ?? ""
        let empty = (entry["empty_layer"] as? Bool ?? false) ? " (empty_layer)" : ""
        let comment = entry["comment"] as? String ?? ""
        return "\"\(createdBy)\"\(empty) comment=\"\(comment)\""
    }

    /// Canonical JSON of a value: keys sorted, absent and null the same, `ArgsEscaped` false the same as absent.
    static func render(_ value: Any?, field: String = "") -> String {
        guard let value, !(value is NSNull) else { return field == "ArgsEscaped" ? "false" : "null" }
        if let data = try? JSONSerialization.data(withJSONObject: value,
                                                  options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes]),
           let text = String(data: data, encoding: .utf8) {
            return text
        }
        return "\(value)"
    }
}
