import GoText
// Hand-written: Go's comparison rules for eq/lt/..., its html/js/urlquery escapers and the
// strings.Split/Title behaviour docker's template functions expose.

enum Comparison {
    private enum Kind { case bool, int, uint, float, string, invalid, other }

    private static func kind(_ v: Val) -> Kind {
        switch v {
        case .bool?: return .bool
        case .int?: return .int
        case .uint?: return .uint
        case .double?: return .float
        case .string?: return .string
        case nil, .null?: return .invalid
        default: return .other
        }
    }

    private static func isZero(_ v: Val) -> Bool {
        if case .null? = v { return true }
        return v == nil
    }

    static func equal(_ a: Val, _ b: Val) throws(FunctionError) -> Bool {
        for v in [a, b] {
            switch v {
            case .array(let elements)?: throw FunctionError("uncomparable type []interface {}: \(GoPrint.string(.array(elements)))")
            case .map(let m)?: throw FunctionError("uncomparable type \(m.typeName): \(GoPrint.string(.map(m)))")
            default: break
            }
        }
        let k1 = kind(a), k2 = kind(b)
        if k1 != k2 {
            switch (a, b) {
            case (.int(let i)?, .uint(let u)?), (.uint(let u)?, .int(let i)?): return i >= 0 && UInt64(i) == u
            default:
                if !isZero(a) && !isZero(b) { throw FunctionError("incompatible types for comparison") }
                return false
            }
        }
        switch (a, b) {
        case (.bool(let x)?, .bool(let y)?): return x == y
        case (.int(let x)?, .int(let y)?): return x == y
        case (.uint(let x)?, .uint(let y)?): return x == y
        case (.double(let x)?, .double(let y)?): return x == y
        case (.string(let x)?, .string(let y)?): return x == y
        default:
            if isZero(a) || isZero(b) { return isZero(a) && isZero(b) }
            guard let a, let b else { return false }
            return a.goTypeName == b.goTypeName && GoPrint.string(a) == GoPrint.string(b)
        }
    }

    static func less(_ a: Val, _ b: Val) throws(FunctionError) -> Bool {
        let k1 = kind(a), k2 = kind(b)
        if k1 == .invalid || k1 == .other || k2 == .invalid || k2 == .other {
            throw FunctionError("invalid type for comparison")
        }
        switch (a, b) {
        case (.int(let x)?, .int(let y)?): return x < y
        case (.uint(let x)?, .uint(let y)?): return x < y
        case (.double(let x)?, .double(let y)?): return x < y
        case (.string(let x)?, .string(let y)?): return x.utf8.lexicographicallyPrecedes(y.utf8)
        case (.int(let i)?, .uint(let u)?): return i < 0 || UInt64(i) < u
        case (.uint(let u)?, .int(let i)?): return i >= 0 && u < UInt64(i)
        case (.bool?, .bool?): throw FunctionError("invalid type for comparison")
        default: throw FunctionError("incompatible types for comparison")
        }
    }
}

enum TextEscaping {
    /// template.HTMLEscapeString.
    static func html(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\0": out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// template.JSEscapeString.
    static func javaScript(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            case "\"": out += "\\\""
            case "<": out += "\\u003C"
            case ">": out += "\\u003E"
            case "&": out += "\\u0026"
            case "=": out += "\\u003D"
            default:
                if scalar.value < 0x20 {
                    out += "\\u00" + GoQuote.hex(scalar.value, width: 2, uppercase: true)
                } else if scalar.value >= 0x80 && !GoQuote.isPrintable(scalar) {
                    out += "\\u" + GoQuote.hex(scalar.value, width: 4, uppercase: true)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// url.QueryEscape.
    static func queryEscape(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "): out += "+"
            default: out += "%" + GoQuote.hex(UInt32(byte), width: 2, uppercase: true)
            }
        }
        return out
    }
}

enum GoStrings {
    /// strings.Split: an empty separator splits into runes.
    static func split(_ s: String, _ separator: String) -> [String] {
        if separator.isEmpty { return s.unicodeScalars.map { String($0) } }
        let bytes = Array(s.utf8)
        let sep = Array(separator.utf8)
        var parts: [String] = []
        var start = 0
        var i = 0
        while i + sep.count <= bytes.count {
            if bytes[i..<(i + sep.count)].elementsEqual(sep) {
                parts.append(String(decoding: bytes[start..<i], as: UTF8.self))
                i += sep.count
                start = i
            } else {
                i += 1
            }
        }
        parts.append(String(decoding: bytes[start...], as: UTF8.self))
        return parts
    }

    /// strings.Title: upper-cases (title-cases) the first letter of each word.
    static func title(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        var previous: Unicode.Scalar = " "
        for scalar in s.unicodeScalars {
            if isSeparator(previous) {
                let mapped = scalar.properties.titlecaseMapping.unicodeScalars
                if mapped.count == 1 { out.append(contentsOf: mapped) } else { out.append(scalar) }
            } else {
                out.append(scalar)
            }
            previous = scalar
        }
        return String(out)
    }

    private static func isSeparator(_ r: Unicode.Scalar) -> Bool {
        if r.isASCII {
            switch r {
            case "0"..."9", "a"..."z", "A"..."Z", "_": return false
            default: return true
            }
        }
        if TemplateLexer.isAlphaNumeric(r.value) { return false }
        return r.properties.isWhitespace
    }
}
