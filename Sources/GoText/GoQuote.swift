/// Go's `strconv.Quote` (and `QuoteToASCII`, `QuoteRune`, `CanBackquote`) with `unicode.IsPrint`: docker echoes bad
/// input in this form, and Go templates print `%q` with it. Written here because no Swift library reproduces Go's
/// escapes; it is the one copy the model core and the template engine share.
public enum GoQuote {
    public static func quote(_ s: String, asciiOnly: Bool = false) -> String {
        var out = "\""
        for scalar in s.unicodeScalars { appendQuoted(scalar, quote: "\"", asciiOnly: asciiOnly, into: &out) }
        return out + "\""
    }

    public static func quoteRune(_ scalar: Unicode.Scalar) -> String {
        var out = "'"
        appendQuoted(scalar, quote: "'", asciiOnly: false, into: &out)
        return out + "'"
    }

    public static func canBackquote(_ s: String) -> Bool {
        for scalar in s.unicodeScalars {
            if scalar == "`" || scalar == "\u{FEFF}" { return false }
            if scalar.value < 0x20 && scalar != "\t" { return false }
            if scalar == "\u{7F}" { return false }
        }
        return true
    }

    private static func appendQuoted(_ scalar: Unicode.Scalar, quote: Unicode.Scalar, asciiOnly: Bool,
                                     into out: inout String)
    {
        if scalar == quote || scalar == "\\" {
            out += "\\"
            out.unicodeScalars.append(scalar)
            return
        }
        if asciiOnly ? (scalar.isASCII && isPrintable(scalar)) : isPrintable(scalar) {
            out.unicodeScalars.append(scalar)
            return
        }
        switch scalar {
        case "\u{07}": out += "\\a"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{0B}": out += "\\v"
        default:
            let v = scalar.value
            if v < 0x20 || v == 0x7F { out += "\\x" + hex(v, width: 2) } else if v < 0x10000 {
                out += "\\u" + hex(v, width: 4)
            } else {
                out += "\\U" + hex(v, width: 8)
            }
        }
    }

    /// An approximation of Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and ASCII space.
    public static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == " " { return true }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber,
            .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation, .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }

    /// `v` in hex, zero-padded to `width` digits, as Go's escapes write it.
    public static func hex(_ v: UInt32, width: Int, uppercase: Bool = false) -> String {
        let h = String(v, radix: 16, uppercase: uppercase)
        return h.count < width ? String(repeating: "0", count: width - h.count) + h : h
    }
}
