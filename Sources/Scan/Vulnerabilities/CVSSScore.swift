// Hand-written for Strata from the CVSS specifications (FIRST: CVSS v2 Complete Guide §3.2.1, CVSS v3.0 and v3.1
// Specification §7 and Appendix A): base scores of v2, v3.0 and v3.1 vectors. Arithmetic is decimal, as the
// specifications' worked figures are, so that scores agree to the digit with other implementations.
// CVSS v4.0 scores are computed in CVSSv4Score.swift.
import Foundation

/// The base score of one CVSS vector.
public struct CVSSScore: Sendable, Hashable {
    public enum Version: String, Sendable, Hashable, Comparable {
        case v2 = "2.0", v30 = "3.0", v31 = "3.1", v40 = "4.0"

        private var rank: Int {
            switch self {
            case .v2: 0
            case .v30: 1
            case .v31: 2
            case .v40: 3
            }
        }
        public static func < (lhs: Version, rhs: Version) -> Bool { lhs.rank < rhs.rank }
    }

    public var version: Version
    public var baseScore: Double
    public var vector: String

    /// The base score of `vector` (`CVSS:3.1/AV:N/…`, `CVSS:3.0/…`, or a v2 `AV:N/AC:L/Au:N/C:P/I:P/A:P`); nil when
    /// the vector is malformed or lacks a base metric. `CVSS:4.0/…` vectors get the specification's v4.0 score.
    public init?(vector: String) {
        let trimmed = vector.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("CVSS:3.1/") || trimmed.hasPrefix("CVSS:3.0/") {
            let version: Version = trimmed.hasPrefix("CVSS:3.1/") ? .v31 : .v30
            guard let metrics = Self.metrics(trimmed.dropFirst("CVSS:3.x/".count)),
                  let score = Self.version3BaseScore(metrics, version: version) else { return nil }
            self.init(version: version, baseScore: score, vector: trimmed)
        } else if trimmed.hasPrefix("CVSS:4.0/") {
            guard let score = CVSSv4Score.score(trimmed.dropFirst("CVSS:4.0/".count)) else { return nil }
            self.init(version: .v40, baseScore: score, vector: trimmed)
        } else if trimmed.hasPrefix("CVSS:") {
            return nil
        } else {
            var body = Substring(trimmed)
            if body.hasPrefix("("), body.hasSuffix(")") { body = body.dropFirst().dropLast() }
            guard let metrics = Self.metrics(body), let score = Self.version2BaseScore(metrics) else { return nil }
            self.init(version: .v2, baseScore: score, vector: trimmed)
        }
    }

    init(version: Version, baseScore: Double, vector: String) {
        self.version = version
        self.baseScore = baseScore
        self.vector = vector
    }

    /// `KEY:VALUE` pairs separated by `/`; nil when a pair is malformed or a key repeats.
    private static func metrics(_ text: Substring) -> [Substring: Substring]? {
        var result: [Substring: Substring] = [:]
        for pair in text.split(separator: "/", omittingEmptySubsequences: false) {
            let parts = pair.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, result[parts[0]] == nil else { return nil }
            result[parts[0]] = parts[1]
        }
        return result
    }

    /// `units × 10^-scale`, exactly.
    private static func decimal(_ units: Int, _ scale: Int) -> Decimal {
        Decimal(sign: units < 0 ? .minus : .plus, exponent: -scale, significand: Decimal(abs(units)))
    }

    private static func rounded(_ value: Decimal, scale: Int, _ mode: NSDecimalNumber.RoundingMode) -> Decimal {
        var input = value
        var result = Decimal()
        NSDecimalRound(&result, &input, scale, mode)
        return result
    }

    private static func double(_ value: Decimal) -> Double { NSDecimalNumber(decimal: value).doubleValue }

    // MARK: CVSS v3.0 / v3.1

    private static func version3BaseScore(_ m: [Substring: Substring], version: Version) -> Double? {
        guard let scopeText = m["S"], scopeText == "U" || scopeText == "C" else { return nil }
        let changed = scopeText == "C"
        let attackVector: [Substring: Decimal] = ["N": decimal(85, 2), "A": decimal(62, 2), "L": decimal(55, 2), "P": decimal(2, 1)]
        let complexity: [Substring: Decimal] = ["L": decimal(77, 2), "H": decimal(44, 2)]
        let privileges: [Substring: Decimal] = changed
            ? ["N": decimal(85, 2), "L": decimal(68, 2), "H": decimal(5, 1)]
            : ["N": decimal(85, 2), "L": decimal(62, 2), "H": decimal(27, 2)]
        let interaction: [Substring: Decimal] = ["N": decimal(85, 2), "R": decimal(62, 2)]
        let impactWeight: [Substring: Decimal] = ["H": decimal(56, 2), "L": decimal(22, 2), "N": 0]
        guard let av = m["AV"].flatMap({ attackVector[$0] }), let ac = m["AC"].flatMap({ complexity[$0] }),
              let pr = m["PR"].flatMap({ privileges[$0] }), let ui = m["UI"].flatMap({ interaction[$0] }),
              let c = m["C"].flatMap({ impactWeight[$0] }), let i = m["I"].flatMap({ impactWeight[$0] }),
              let a = m["A"].flatMap({ impactWeight[$0] }) else { return nil }
        let one = Decimal(1)
        let iss = one - (one - c) * (one - i) * (one - a)
        let impact: Decimal = changed
            ? decimal(752, 2) * (iss - decimal(29, 3)) - decimal(325, 2) * pow(iss - decimal(2, 2), 15)
            : decimal(642, 2) * iss
        let exploitability = decimal(822, 2) * av * ac * pr * ui
        guard impact > 0 else { return 0 }
        let sum = changed ? decimal(108, 2) * (impact + exploitability) : impact + exploitability
        let capped = min(sum, Decimal(10))
        return double(version == .v31 ? roundUp31(capped) : rounded(capped, scale: 1, .up))
    }

    /// v3.1's Roundup (Appendix A): the smallest one-decimal number at or above the input, computed on an integer
    /// of hundred-thousandths so that representation error cannot push a score up a tenth.
    private static func roundUp31(_ value: Decimal) -> Decimal {
        let hundredThousandths = rounded(value * 100_000, scale: 0, .plain)
        let tenths = hundredThousandths / 10_000
        let whole = rounded(tenths, scale: 0, .down)
        if whole == tenths { return tenths / 10 }
        return (whole + 1) / 10
    }

    // MARK: CVSS v2

    private static func version2BaseScore(_ m: [Substring: Substring]) -> Double? {
        let accessVector: [Substring: Decimal] = ["L": decimal(395, 3), "A": decimal(646, 3), "N": 1]
        let accessComplexity: [Substring: Decimal] = ["H": decimal(35, 2), "M": decimal(61, 2), "L": decimal(71, 2)]
        let authentication: [Substring: Decimal] = ["M": decimal(45, 2), "S": decimal(56, 2), "N": decimal(704, 3)]
        let impactWeight: [Substring: Decimal] = ["N": 0, "P": decimal(275, 3), "C": decimal(660, 3)]
        guard let av = m["AV"].flatMap({ accessVector[$0] }), let ac = m["AC"].flatMap({ accessComplexity[$0] }),
              let au = m["Au"].flatMap({ authentication[$0] }), let c = m["C"].flatMap({ impactWeight[$0] }),
              let i = m["I"].flatMap({ impactWeight[$0] }), let a = m["A"].flatMap({ impactWeight[$0] }) else { return nil }
        let one = Decimal(1)
        let impact = decimal(1041, 2) * (one - (one - c) * (one - i) * (one - a))
        let exploitability = 20 * av * ac * au
        let f: Decimal = impact == 0 ? 0 : decimal(1176, 3)
        let base = (decimal(6, 1) * impact + decimal(4, 1) * exploitability - decimal(15, 1)) * f
        return double(rounded(base, scale: 1, .plain))
    }
}
