import Foundation
import GoText

// dive's CI gate (`dive --ci`): three rules, each a threshold or "disabled", read from a `.dive-ci` file and
// overridden by flags, then checked against an analysis with dive's wording. The file is YAML, but dive reads only
// three scalar keys under `rules:`, so a small hand parser reads exactly that (block style, comments, quoted or plain
// scalars) instead of taking a YAML dependency; anything it cannot read is an error, never a guess.

/// The configured text of dive's three CI rules ("0.9", "20MB", "disabled"); dive's defaults unless set.
public struct CIRuleSettings: Codable, Sendable, Equatable {
    /// Fail when the efficiency is below this ratio (0–1).
    public var lowestEfficiency: String
    /// Fail when more bytes than this are wasted ("20MB", "1.5 GiB", a plain number of bytes).
    public var highestWastedBytes: String
    /// Fail when wasted bytes ÷ user bytes exceeds this ratio (0–1).
    public var highestUserWastedPercent: String

    public init(lowestEfficiency: String = "0.9", highestWastedBytes: String = "disabled",
                highestUserWastedPercent: String = "0.1") {
        self.lowestEfficiency = lowestEfficiency
        self.highestWastedBytes = highestWastedBytes
        self.highestUserWastedPercent = highestUserWastedPercent
    }

    /// The rules a `.dive-ci` file sets, over dive's defaults. Its keys are dive's (`lowestEfficiency`,
    /// `highestWastedBytes`, `highestUserWastedPercent`; the kebab-case spellings of dive's config file are accepted
    /// too); other keys and sections are ignored, as dive does.
    public static func parse(diveCI text: String) throws(AnalyzeError) -> CIRuleSettings {
        var settings = CIRuleSettings()
        var inRules = false
        for (number, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = stripComment(rawLine)
            if line.allSatisfy(\.isWhitespace) { continue }
            let indented = line.first == " " || line.first == "\t"
            if !indented {
                guard let colon = line.firstIndex(of: ":") else {
                    if line.trimmingCharacters(in: .whitespaces) == "---" { continue }
                    throw .invalidRules(".dive-ci line \(number + 1): expected \"key: value\"")
                }
                inRules = line[..<colon].trimmingCharacters(in: .whitespaces) == "rules"
                let rest = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                if inRules && !rest.isEmpty {
                    throw .invalidRules(".dive-ci line \(number + 1): rules must be a block of \"key: value\" lines")
                }
                continue
            }
            guard inRules else { continue }
            let content = line.trimmingCharacters(in: .whitespaces)
            if content.hasPrefix("- ") || content == "-" { continue }  // a list under an unknown key
            guard let colon = content.firstIndex(of: ":") else {
                throw .invalidRules(".dive-ci line \(number + 1): expected \"key: value\" under rules")
            }
            let key = unquoted(content[..<colon].trimmingCharacters(in: .whitespaces))
            let value = unquoted(content[content.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            switch key {
            case "lowestEfficiency", "lowest-efficiency": settings.lowestEfficiency = value
            case "highestWastedBytes", "highest-wasted-bytes": settings.highestWastedBytes = value
            case "highestUserWastedPercent", "highest-user-wasted-percent": settings.highestUserWastedPercent = value
            default: continue
            }
        }
        return settings
    }

    /// These settings with the thresholds given as flags in their place.
    public func overriding(lowestEfficiency: String? = nil, highestWastedBytes: String? = nil,
                           highestUserWastedPercent: String? = nil) -> CIRuleSettings {
        CIRuleSettings(lowestEfficiency: lowestEfficiency ?? self.lowestEfficiency,
                       highestWastedBytes: highestWastedBytes ?? self.highestWastedBytes,
                       highestUserWastedPercent: highestUserWastedPercent ?? self.highestUserWastedPercent)
    }

    /// The line up to a `#` that starts a comment (at the start or after a blank, outside quotes).
    private static func stripComment(_ line: Substring) -> Substring {
        var quote: Character?
        var previous: Character = " "
        for index in line.indices {
            let character = line[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                if previous == " " || previous == "\t" || previous == ":" { quote = character }
            } else if character == "#" && (previous == " " || previous == "\t") {
                return line[..<index]
            }
            previous = character
        }
        return line
    }

    /// A YAML scalar's text: quotes removed ('' inside single quotes is one quote); `~` and `null` are empty.
    private static func unquoted(_ text: String) -> String {
        if text == "~" || text == "null" || text == "Null" || text == "NULL" { return "" }
        guard text.count >= 2, let first = text.first, first == text.last, first == "'" || first == "\"" else { return text }
        let inner = String(text.dropFirst().dropLast())
        return first == "'" ? inner.replacingOccurrences(of: "''", with: "'") : inner.replacingOccurrences(of: "\\\"", with: "\"")
    }
}

/// A rule's outcome, as dive prints it.
public enum CIRuleStatus: String, Codable, Sendable, Equatable {
    case pass = "PASS"
    case fail = "FAIL"
    case skip = "SKIP"
}

/// One rule checked.
public struct CIRuleResult: Codable, Sendable, Equatable {
    /// dive's key ("lowestEfficiency").
    public var rule: String
    public var status: CIRuleStatus
    /// Why it failed, or its configured value when it passed, or "disabled".
    public var message: String

    /// dive's line: "  FAIL  lowestEfficiency (image efficiency is too low (…))".
    public var line: String { "  \(status.rawValue)  \(rule) (\(message))" }
}

/// All rules checked, in dive's order (by key).
public struct CIEvaluation: Codable, Sendable, Equatable {
    public var results: [CIRuleResult]
    /// Whether no rule failed.
    public var passed: Bool

    /// dive's last line: "PASS [pass:2 skip:1]" or "FAIL [pass:1 fail:1 skip:1]".
    public var summary: String {
        let tally: [(String, Int)] = [("pass", results.filter { $0.status == .pass }.count),
                                      ("fail", results.filter { $0.status == .fail }.count),
                                      ("skip", results.filter { $0.status == .skip }.count)]
        let parts = tally.filter { $0.1 > 0 }.map { "\($0.0):\($0.1)" }
        return (passed ? "PASS" : "FAIL") + " [" + parts.joined(separator: " ") + "]"
    }
}

/// dive's CI gate: the thresholds checked (at construction, with dive's messages) and applied to an analysis.
public struct CIGate: Sendable, Equatable {
    public let settings: CIRuleSettings
    /// nil for a disabled rule.
    public let lowestEfficiency: Double?
    public let highestWastedBytes: UInt64?
    public let highestUserWastedPercent: Double?

    /// Throws `AnalyzeError.invalidRules` naming every threshold that is not a number (or size) or out of range.
    public init(_ settings: CIRuleSettings) throws(AnalyzeError) {
        self.settings = settings
        var problems: [String] = []
        lowestEfficiency = Self.ratio("lowestEfficiency", settings.lowestEfficiency, problems: &problems)
        if Self.isDisabled(settings.highestWastedBytes) {
            highestWastedBytes = nil
        } else {
            switch GoByteSize.parse(settings.highestWastedBytes) {
            case .success(let bytes): highestWastedBytes = bytes
            case .failure(let reason):
                problems.append("invalid highestWastedBytes config value, given \(GoQuote.quote(settings.highestWastedBytes)): \(reason.message)")
                highestWastedBytes = nil
            }
        }
        highestUserWastedPercent = Self.ratio("highestUserWastedPercent", settings.highestUserWastedPercent, problems: &problems)
        if !problems.isEmpty { throw .invalidRules(problems.joined(separator: "; ")) }
    }

    /// Checks the analysis; results sorted by rule key, as dive prints them.
    public func evaluate(_ analysis: ImageAnalysis) -> CIEvaluation {
        var results: [CIRuleResult] = []
        if let threshold = highestUserWastedPercent {
            // dive divides by the user bytes even when there are none: NaN passes, +Inf fails.
            let percent = analysis.userWastedPercent ?? (analysis.wastedBytes > 0 ? .infinity : .nan)
            results.append(percent > threshold
                ? CIRuleResult(rule: "highestUserWastedPercent", status: .fail, message:
                    "too many bytes wasted, relative to the user bytes added (%-user-wasted-bytes=\(Self.fixed(percent)) > threshold=\(Self.goValue(threshold)))")
                : CIRuleResult(rule: "highestUserWastedPercent", status: .pass, message: settings.highestUserWastedPercent))
        } else {
            results.append(CIRuleResult(rule: "highestUserWastedPercent", status: .skip, message: "disabled"))
        }
        if let threshold = highestWastedBytes {
            let wasted = UInt64(max(analysis.wastedBytes, 0))
            results.append(wasted > threshold
                ? CIRuleResult(rule: "highestWastedBytes", status: .fail,
                               message: "too many bytes wasted (wasted-bytes=\(wasted) > threshold=\(threshold))")
                : CIRuleResult(rule: "highestWastedBytes", status: .pass, message: settings.highestWastedBytes))
        } else {
            results.append(CIRuleResult(rule: "highestWastedBytes", status: .skip, message: "disabled"))
        }
        if let threshold = lowestEfficiency {
            results.append(threshold > analysis.efficiency
                ? CIRuleResult(rule: "lowestEfficiency", status: .fail, message:
                    "image efficiency is too low (efficiency=\(Self.fixed(analysis.efficiency)) < threshold=\(Self.goValue(threshold)))")
                : CIRuleResult(rule: "lowestEfficiency", status: .pass, message: settings.lowestEfficiency))
        } else {
            results.append(CIRuleResult(rule: "lowestEfficiency", status: .skip, message: "disabled"))
        }
        return CIEvaluation(results: results, passed: !results.contains { $0.status == .fail })
    }

    /// dive's "disabled" spellings: empty, disabled, off, false (any case, blanks around).
    static func isDisabled(_ value: String) -> Bool {
        ["", "disabled", "off", "false"].contains(value.trimmingCharacters(in: .whitespaces).lowercased())
    }

    private static func ratio(_ key: String, _ value: String, problems: inout [String]) -> Double? {
        if isDisabled(value) { return nil }
        switch GoByteSize.parseFloat(value) {
        case .failure(let reason):
            problems.append("invalid \(key) config value, given \(GoQuote.quote(value)): \(reason.message)")
            return nil
        case .success(let threshold):
            if threshold < 0 || threshold > 1 {
                problems.append("\(key) config value is outside allowed range (0-1), given '\(String(format: "%f", threshold))'")
                return nil
            }
            return threshold
        }
    }

    /// Go's %2.2f.
    static func fixed(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        return String(format: "%2.2f", value)
    }

    /// Go's %v of a float64 (shortest representation; exponent below 1e-4 and from 1e21).
    static func goValue(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e21 { return String(Int64(value)) }
        return "\(value)"
    }
}
