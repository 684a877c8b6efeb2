/// A string as Go's encoding/json writes it: `"`, `\` and the control characters escaped (`\n`, `\r`, `\t`, else
/// `\u00XX`), U+2028 and U+2029 always escaped, and `<`, `>`, `&` as `\u003c`, `\u003e`, `\u0026` when HTML
/// escaping is on (json.Marshal's default; an Encoder with SetEscapeHTML(false) turns it off). The one copy for
/// OCI's documents, the template engine's `json` and docker's config.json.
public enum GoJSONString {
    /// Appends the quoted form of `s` to `out` as UTF-8.
    public static func append(_ s: String, escapeHTML: Bool, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            out.reserveCapacity(out.count + bytes.count + 1)
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
                case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
                case UInt8(ascii: "\n"): out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
                case UInt8(ascii: "\r"): out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
                case UInt8(ascii: "\t"): out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
                case UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"):
                    if escapeHTML { unicodeEscape(UInt32(byte), to: &out) } else { out.append(byte) }
                case 0..<0x20: unicodeEscape(UInt32(byte), to: &out)
                case 0xE2 where index + 2 < bytes.count && bytes[index + 1] == 0x80 && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9):
                    // U+2028 and U+2029, which JavaScript reads as line ends.
                    unicodeEscape(bytes[index + 2] == 0xA8 ? 0x2028 : 0x2029, to: &out)
                    index += 2
                default: out.append(byte)   // ASCII, and every byte of other (valid) UTF-8 sequences
                }
                index += 1
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
