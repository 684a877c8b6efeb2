// Hand-written: Go's strconv float layouts (%e %f %g, JSON numbers) have no Swift equivalent.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A positive finite double as decimal digits: value = 0.d1d2d3... × 10^decimalPoint.
struct DecimalDigits {
    var digits: [UInt8]  // ASCII '0'...'9', no leading/trailing zeros (empty means zero)
    var decimalPoint: Int

    /// The shortest digits that round-trip (Go's precision -1). Swift's description is also shortest round-trip.
    static func shortest(_ value: Double) -> DecimalDigits {
        parse(value.magnitude.description)
    }

    /// Digits correctly rounded to `count` significant digits (count >= 1), trailing zeros dropped.
    static func rounded(_ value: Double, significant count: Int) -> DecimalDigits {
        parse(cFormat(value.magnitude, precision: max(count - 1, 0), conversion: "e"))
    }

    private static func parse(_ text: String) -> DecimalDigits {
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        var digits: [UInt8] = []
        var point: Int?
        for byte in mantissa.utf8 {
            if byte == UInt8(ascii: ".") { point = digits.count } else if byte >= 48 && byte <= 57 { digits.append(byte) }
        }
        var decimalPoint = (point ?? digits.count) + exponent
        var lead = 0
        while lead < digits.count && digits[lead] == 48 { lead += 1 }
        digits.removeFirst(lead)
        decimalPoint -= lead
        while let last = digits.last, last == 48 { digits.removeLast() }
        if digits.isEmpty { decimalPoint = 0 }
        return DecimalDigits(digits: digits, decimalPoint: decimalPoint)
    }

    func digit(_ i: Int) -> UInt8 { i >= 0 && i < digits.count ? digits[i] : 48 }

    /// %e layout with `precision` digits after the point (digits must already be rounded).
    func exponentForm(precision: Int, upper: Bool) -> String {
        var out: [UInt8] = [digits.isEmpty ? 48 : digits[0]]
        if precision > 0 {
            out.append(46)
            for i in 1...precision { out.append(digit(i)) }
        }
        out.append(upper ? 69 : 101)
        let exp = digits.isEmpty ? 0 : decimalPoint - 1
        out.append(exp < 0 ? 45 : 43)
        let magnitude = String(abs(exp))
        if magnitude.count < 2 { out.append(48) }
        out.append(contentsOf: magnitude.utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// %f layout with `precision` digits after the point (digits must already be rounded).
    func fixedForm(precision: Int) -> String {
        var out: [UInt8] = []
        if decimalPoint > 0 {
            for i in 0..<decimalPoint { out.append(digit(i)) }
        } else {
            out.append(48)
        }
        if precision > 0 {
            out.append(46)
            for i in 0..<precision { out.append(digit(decimalPoint + i)) }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// C's printf for one double; glibc rounds exactly, as Go's strconv does.
func cFormat(_ value: Double, precision: Int, conversion: Character) -> String {
    let format = "%.*" + String(conversion)
    var buffer = [CChar](repeating: 0, count: 512)
    let written = withVaList([Int32(min(precision, 400)), value]) { args in
        buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, 512, format, args) }
    }
    if written >= 512 {
        buffer = [CChar](repeating: 0, count: Int(written) + 1)
        _ = withVaList([Int32(min(precision, 400)), value]) { args in
            buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, Int(written) + 1, format, args) }
        }
    }
    return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}

enum GoFloat {
    /// strconv.FormatFloat(value, verb, precision, 64) for verbs e E f F g G; precision -1 = shortest.
    static func format(_ value: Double, verb: Character, precision: Int) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        let sign = value.sign == .minus ? "-" : ""
        let shortest = precision < 0
        switch verb {
        case "e", "E":
            if shortest {
                let d = DecimalDigits.shortest(value)
                return sign + d.exponentForm(precision: max(d.digits.count - 1, 0), upper: verb == "E")
            }
            return sign + upperIf(verb == "E", cFormat(value.magnitude, precision: precision, conversion: "e"))
        case "f", "F":
            if shortest {
                let d = DecimalDigits.shortest(value)
                return sign + d.fixedForm(precision: max(d.digits.count - d.decimalPoint, 0))
            }
            return sign + cFormat(value.magnitude, precision: precision, conversion: "f")
        default:  // g, G
            var prec = precision
            let d: DecimalDigits
            if shortest {
                d = DecimalDigits.shortest(value)
                prec = d.digits.count
            } else {
                if prec == 0 { prec = 1 }
                d = DecimalDigits.rounded(value, significant: prec)
            }
            let nd = d.digits.count
            var eprec = prec
            if eprec > nd && nd >= d.decimalPoint { eprec = nd }
            if shortest { eprec = 6 }
            let exp = d.decimalPoint - 1
            if exp < -4 || exp >= eprec {
                if prec > nd { prec = nd }
                return sign + d.exponentForm(precision: prec - 1, upper: verb == "G")
            }
            if prec > d.decimalPoint { prec = nd }
            return sign + d.fixedForm(precision: max(prec - d.decimalPoint, 0))
        }
    }

    /// encoding/json's float64 layout: 'f' unless tiny or huge, exponent cleaned up (1e-7 not 1e-07).
    static func json(_ value: Double) -> String? {
        guard value.isFinite else { return nil }
        let magnitude = value.magnitude
        if magnitude != 0 && (magnitude < 1e-6 || magnitude >= 1e21) {
            var text = Array(format(value, verb: "e", precision: -1).utf8)
            let n = text.count
            if n >= 4 && text[n - 4] == 101 && text[n - 3] == 45 && text[n - 2] == 48 {
                text[n - 2] = text[n - 1]
                text.removeLast()
            }
            return String(decoding: text, as: UTF8.self)
        }
        return format(value, verb: "f", precision: -1)
    }

    private static func upperIf(_ upper: Bool, _ text: String) -> String { upper ? text.uppercased() : text }
}
