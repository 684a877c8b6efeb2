// Hand-written: Go's strconv literal rules (Unquote, ParseInt base 0) as template literals use them.

enum GoLiteral {
    /// strconv.Unquote for "..." and `...` literals; nil on bad syntax.
    static func unquote(_ literal: String) -> String? {
        let bytes = Array(literal.utf8)
        guard bytes.count >= 2, let quote = bytes.first, bytes.last == quote else { return nil }
        let body = bytes[1..<(bytes.count - 1)]
        if quote == UInt8(ascii: "`") {
            if body.contains(UInt8(ascii: "`")) { return nil }
            return String(decoding: body.filter { $0 != 0x0D }, as: UTF8.self)
        }
        guard quote == UInt8(ascii: "\"") else { return nil }
        var out: [UInt8] = []
        var i = body.startIndex
        while i < body.endIndex {
            let b = body[i]
            if b == UInt8(ascii: "\"") || b == 0x0A { return nil }
            if b != UInt8(ascii: "\\") {
                out.append(b)
                i += 1
                continue
            }
            guard let (decoded, next) = escape(body, at: i + 1, quote: quote) else { return nil }
            out.append(contentsOf: decoded)
            i = next
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The rune of a 'x' character literal.
    static func unquoteChar(_ literal: String) -> Unicode.Scalar? {
        let bytes = Array(literal.utf8)
        guard bytes.count >= 3, bytes.first == UInt8(ascii: "'"), bytes.last == UInt8(ascii: "'") else { return nil }
        let body = bytes[1..<(bytes.count - 1)]
        if body.first == UInt8(ascii: "\\") {
            guard let (decoded, next) = escape(body, at: body.startIndex + 1, quote: UInt8(ascii: "'")),
                next == body.endIndex
            else { return nil }
            if decoded.count == 1 { return Unicode.Scalar(decoded[0]) }
            return String(decoding: decoded, as: UTF8.self).unicodeScalars.first
        }
        let scalars = String(decoding: body, as: UTF8.self).unicodeScalars
        guard scalars.count == 1 else { return nil }
        return scalars.first
    }

    /// Decodes one escape after a backslash; returns the UTF-8 bytes and the index after it.
    private static func escape(_ body: ArraySlice<UInt8>, at start: Int, quote: UInt8) -> ([UInt8], Int)? {
        guard start < body.endIndex else { return nil }
        let c = body[start]
        func hexRun(_ count: Int) -> UInt32? {
            guard start + count < body.endIndex + 0, start + 1 + count <= body.endIndex else { return nil }
            var value: UInt32 = 0
            for k in 0..<count {
                guard let digit = hexDigit(body[start + 1 + k]) else { return nil }
                value = value * 16 + digit
            }
            return value
        }
        switch c {
        case UInt8(ascii: "a"): return ([0x07], start + 1)
        case UInt8(ascii: "b"): return ([0x08], start + 1)
        case UInt8(ascii: "f"): return ([0x0C], start + 1)
        case UInt8(ascii: "n"): return ([0x0A], start + 1)
        case UInt8(ascii: "r"): return ([0x0D], start + 1)
        case UInt8(ascii: "t"): return ([0x09], start + 1)
        case UInt8(ascii: "v"): return ([0x0B], start + 1)
        case UInt8(ascii: "\\"): return ([c], start + 1)
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            return c == quote ? ([c], start + 1) : nil
        case UInt8(ascii: "x"):
            guard let v = hexRun(2) else { return nil }
            return ([UInt8(v)], start + 3)
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let count = c == UInt8(ascii: "u") ? 4 : 8
            guard let v = hexRun(count), let scalar = Unicode.Scalar(v) else { return nil }
            return (Array(String(Character(scalar)).utf8), start + 1 + count)
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
            guard start + 3 <= body.endIndex else { return nil }
            var value: UInt32 = 0
            for k in 0..<3 {
                let d = body[start + k]
                guard d >= 0x30 && d <= 0x37 else { return nil }
                value = value * 8 + UInt32(d - 0x30)
            }
            guard value <= 255 else { return nil }
            return ([UInt8(value)], start + 3)
        default:
            return nil
        }
    }

    private static func hexDigit(_ b: UInt8) -> UInt32? {
        switch b {
        case 48...57: return UInt32(b - 48)
        case 97...102: return UInt32(b - 87)
        case 65...70: return UInt32(b - 55)
        default: return nil
        }
    }

    /// strconv.ParseInt/ParseUint with base 0 (0x, 0o, 0b, leading-0 octal, underscores).
    static func parseInteger(_ text: String) -> (signed: Int64?, unsigned: UInt64?) {
        var body = Substring(text)
        var negative = false
        var hasSign = false
        if body.first == "+" || body.first == "-" {
            negative = body.first == "-"
            hasSign = true
            body = body.dropFirst()
        }
        var radix = 10
        let lower = body.lowercased()
        if lower.hasPrefix("0x") { radix = 16; body = body.dropFirst(2) } else if lower.hasPrefix("0o") {
            radix = 8; body = body.dropFirst(2)
        } else if lower.hasPrefix("0b") { radix = 2; body = body.dropFirst(2) } else if body.count > 1 && body.first == "0" {
            radix = 8; body = body.dropFirst()
        }
        if body.contains("_") && radix == 10 && !text.hasPrefix("0") { return (nil, nil) }
        let digits = String(body.filter { $0 != "_" })
        guard !digits.isEmpty, let magnitude = UInt64(digits, radix: radix) else { return (nil, nil) }
        let unsigned: UInt64? = hasSign ? nil : magnitude
        var signed: Int64?
        if negative {
            if magnitude <= UInt64(Int64.max) + 1 { signed = magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude) }
        } else if magnitude <= UInt64(Int64.max) {
            signed = Int64(magnitude)
        }
        return (signed, unsigned)
    }
}
