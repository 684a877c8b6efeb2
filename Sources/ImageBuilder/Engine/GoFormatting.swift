// Go's fmt verbs (%q on strings, slices, runes; %v on slices and maps) and time.Duration.String, re-implemented
// because BuildKit writes history `created_by` strings with them and they must match byte for byte.

import GoText
import OCI

/// The pieces of Go's `fmt` that BuildKit's history strings use.
public enum GoFormatting {
    /// `strconv.Quote`: the OCI module's Go quoting (docker echoes references with the same function).
    public static func quote(_ text: String) -> String { GoQuote.quote(text) }

    /// `%q` of an int: `strconv.QuoteRune` (`'\x00'`, `'\x03'`, `'A'`); an invalid rune is U+FFFD, as in Go.
    public static func quoteRune(_ value: Int) -> String {
        GoQuote.quoteRune(Unicode.Scalar(UInt32(clamping: max(0, value))) ?? "\u{FFFD}")
    }

    /// `%q` of a `[]string`: `["a" "b"]`.
    public static func quoteList(_ items: [String]) -> String {
        "[" + items.map(quote).joined(separator: " ") + "]"
    }

    /// `%v` of a `[]string`: `[a b]`.
    public static func list(_ items: [String]) -> String {
        "[" + items.joined(separator: " ") + "]"
    }

    /// `%v` of a `map[string]struct{}`: keys sorted, `map[a:{} b:{}]`.
    public static func setMap(_ keys: Set<String>) -> String {
        "map[" + keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }.map { $0 + ":{}" }
            .joined(separator: " ") + "]"
    }

    /// `time.Duration(nanoseconds).String()`: `0s`, `1.5s`, `1m30s`, `500ms`, `2h0m0s`.
    public static func duration(_ nanoseconds: Int64) -> String {
        if nanoseconds == 0 { return "0s" }
        let negative = nanoseconds < 0
        let value = nanoseconds.magnitude
        var text: String
        if value < 1_000_000_000 {
            // Sub-second: the largest unit that keeps an integer part.
            let (unit, scale): (String, UInt64) = value < 1_000 ? ("ns", 1) : value < 1_000_000 ? ("µs", 1_000) : ("ms", 1_000_000)
            text = fraction(value, scale: scale) + unit
        } else {
            let seconds = value / 1_000_000_000
            let remainder = value % 1_000_000_000
            var secondsText = String(seconds % 60)
            if remainder != 0 {
                var digits = String(remainder)
                digits = String(repeating: "0", count: 9 - digits.count) + digits
                while digits.hasSuffix("0") { digits.removeLast() }
                secondsText += "." + digits
            }
            text = secondsText + "s"
            let minutes = seconds / 60
            if minutes > 0 {
                text = String(minutes % 60) + "m" + text
                let hours = minutes / 60
                if hours > 0 { text = String(hours) + "h" + text }
            }
        }
        return negative ? "-" + text : text
    }

    private static func fraction(_ value: UInt64, scale: UInt64) -> String {
        let whole = value / scale
        let remainder = value % scale
        guard remainder != 0 else { return String(whole) }
        var digits = String(remainder)
        let width = String(scale).count - 1
        digits = String(repeating: "0", count: width - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return String(whole) + "." + digits
    }
}
