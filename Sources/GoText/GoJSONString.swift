/// A string as Go's encoding/json writes it: `"`, `\` and the control characters escaped (`\n`, `\r`, `\t`, else
/// `\u00XX`), U+2028 and U+2029 always escaped, and `<`, `>`, `&` as `\u003c`, `\u003e`, `\u0026` when HTML
/// escaping is on (json.Marshal's default; an Encoder with SetEscapeHTML(false) turns it off). The one copy for
/// OCI's documents, the template engine's `json` and docker's config.json.
public enum GoJSONString {
    /// Appends the quoted form of `s` to `out` as UTF-8.
    public static func append(_ s: String, escapeHTML: Bool, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case "\\": out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case "\n": out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case "\r": out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case "\t": out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case "<", ">", "&":
                if escapeHTML { unicodeEscape(scalar.value, to: &out) } else { out += Array(String(scalar).utf8) }
            case "\u{2028}", "\u{2029}": unicodeEscape(scalar.value, to: &out)
            default:
                if scalar.value < 0x20 { unicodeEscape(scalar.value, to: &out) } else { out += Array(String(scalar).utf8) }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// The quoted form of `s`.
    public static func quoted(_ s: String, escapeHTML: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 2)
        append(s, escapeHTML: escapeHTML, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static func unicodeEscape(_ value: UInt32, to out: inout [UInt8]) {
        out += Array(("\\u" + GoQuote.hex(value, width: 4)).utf8)
    }
}
