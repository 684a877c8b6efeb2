import GoText
// Hand-written: re-implements the parts of Go's fmt package (%v, Sprint, Sprintf) that templates reach.

/// Go fmt-style printing of `TemplateValue`s.
enum GoPrint {
    struct Flags {
        var plus = false, minus = false, sharp = false, space = false, zero = false
        var width: Int?
        var precision: Int?
    }

    /// fmt.Sprint(value): %v.
    static func string(_ value: TemplateValue) -> String {
        if case .string(let s) = value { return s }
        var out = ""
        printValue(value, verb: "v", flags: Flags(), depth: 0, into: &out)
        return out
    }

    static func appendValue(_ value: TemplateValue, into out: inout String) {
        if case .string(let s) = value { out += s; return }
        printValue(value, verb: "v", flags: Flags(), depth: 0, into: &out)
    }

    /// fmt.Sprint(args...): a space between operands when neither side is a string.
    static func sprint(_ args: [TemplateValue]) -> String {
        var out = ""
        var previousIsString = false
        for (i, arg) in args.enumerated() {
            let isString: Bool
            if case .string = arg { isString = true } else { isString = false }
            if i > 0 && !isString && !previousIsString { out += " " }
            appendValue(arg, into: &out)
            previousIsString = isString
        }
        return out
    }

    /// fmt.Sprintln(args...): spaces always, newline at the end.
    static func sprintln(_ args: [TemplateValue]) -> String {
        var out = ""
        for (i, arg) in args.enumerated() {
            if i > 0 { out += " " }
            appendValue(arg, into: &out)
        }
        return out + "\n"
    }

    // MARK: - printf

    static func sprintf(_ format: String, _ args: [TemplateValue]) -> String {
        let f = Array(format.unicodeScalars)
        var out = ""
        var argIndex = 0
        var i = 0
        while i < f.count {
            if f[i] != "%" {
                out.unicodeScalars.append(f[i])
                i += 1
                continue
            }
            i += 1
            var flags = Flags()
            flagLoop: while i < f.count {
                switch f[i] {
                case "#": flags.sharp = true
                case "0": flags.zero = !flags.minus
                case "+": flags.plus = true
                case "-": flags.minus = true; flags.zero = false
                case " ": flags.space = true
                default: break flagLoop
                }
                i += 1
            }
            if i < f.count && f[i] == "*" {
                i += 1
                if argIndex < args.count, case .int(let w) = args[argIndex] {
                    let width = Int(clamping: w)
                    if width < 0 { flags.minus = true; flags.zero = false }
                    flags.width = min(abs(width), 1_000_000)
                } else {
                    out += "%!(BADWIDTH)"
                }
                argIndex += 1
            } else {
                flags.width = parseNumber(f, &i)
            }
            if i < f.count && f[i] == "." {
                i += 1
                if i < f.count && f[i] == "*" {
                    i += 1
                    if argIndex < args.count, case .int(let p) = args[argIndex], p >= 0 {
                        flags.precision = min(Int(clamping: p), 1_000_000)
                    } else {
                        out += "%!(BADPREC)"
                    }
                    argIndex += 1
                } else {
                    flags.precision = parseNumber(f, &i) ?? 0
                }
            }
            guard i < f.count else {
                out += "%!(NOVERB)"
                break
            }
            let verb = Character(f[i])
            i += 1
            if verb == "%" {
                out += "%"
                continue
            }
            guard argIndex < args.count else {
                out += "%!" + String(verb) + "(MISSING)"
                continue
            }
            printArgument(args[argIndex], verb: verb, flags: flags, into: &out)
            argIndex += 1
        }
        if argIndex < args.count {
            out += "%!(EXTRA "
            for (n, arg) in args[argIndex...].enumerated() {
                if n > 0 { out += ", " }
                if case .null = arg { out += "<nil>"; continue }
                out += arg.goTypeName + "="
                printValue(arg, verb: "v", flags: Flags(), depth: 0, into: &out)
            }
            out += ")"
        }
        return out
    }

    private static func parseNumber(_ f: [Unicode.Scalar], _ i: inout Int) -> Int? {
        var value: Int?
        while i < f.count, let digit = Int(String(f[i])), f[i].isASCII {
            value = min((value ?? 0) * 10 + digit, 1_000_000)
            i += 1
        }
        return value
    }

    static func printArgument(_ arg: TemplateValue, verb: Character, flags: Flags, into out: inout String) {
        if case .null = arg {
            if verb == "v" || verb == "T" { pad("<nil>", flags, into: &out) } else { out += "%!" + String(verb) + "(<nil>)" }
            return
        }
        if verb == "T" {
            pad(arg.goTypeName, flags, into: &out)
            return
        }
        printValue(arg, verb: verb, flags: flags, depth: 0, into: &out)
    }

    static func badVerb(_ value: TemplateValue, _ verb: Character, into out: inout String) {
        out += "%!" + String(verb) + "(" + value.goTypeName + "="
        printValue(value, verb: "v", flags: Flags(), depth: 0, into: &out)
        out += ")"
    }

    static func printValue(_ value: TemplateValue, verb: Character, flags: Flags, depth: Int, into out: inout String) {
        switch value {
        case .null:
            pad("<nil>", flags, into: &out)
        case .bool(let b):
            if verb == "v" || verb == "t" { pad(b ? "true" : "false", flags, into: &out) } else { badVerb(value, verb, into: &out) }
        case .int(let i):
            formatInteger(negative: i < 0, magnitude: i.magnitude, value: value, verb: verb, flags: flags, into: &out)
        case .uint(let u):
            formatInteger(negative: false, magnitude: u, value: value, verb: verb, flags: flags, into: &out)
        case .double(let d):
            formatFloat(d, value: value, verb: verb, flags: flags, into: &out)
        case .string(let s):
            formatString(s, value: value, verb: verb, flags: flags, into: &out)
        case .array(let elements):
            out += "["
            for (i, element) in elements.enumerated() {
                if i > 0 { out += " " }
                printValue(element, verb: verb, flags: flags, depth: depth + 1, into: &out)
            }
            out += "]"
        case .map(let map):
            out += "map["
            for (i, key) in map.sortedKeys.enumerated() {
                if i > 0 { out += " " }
                formatString(key, value: .string(key), verb: verb, flags: flags, into: &out)
                out += ":"
                printValue(map[key] ?? .null, verb: verb, flags: flags, depth: depth + 1, into: &out)
            }
            out += "]"
        case .structure(let structure) where structure.stringForm != nil:
            pad(structure.stringForm ?? "", flags, into: &out)
        case .structure(let structure):
            out += "{"
            for (i, field) in structure.fields.enumerated() {
                if i > 0 { out += " " }
                if flags.plus && verb == "v" { out += field.name + ":" }
                printValue(field.value, verb: verb, flags: flags, depth: depth + 1, into: &out)
            }
            out += "}"
        case .typedNil(let kind, _):
            switch kind {
            case .pointer: pad("<nil>", flags, into: &out)
            case .slice: out += "[]"
            case .map: out += "map[]"
            }
        }
    }

    // MARK: - Scalars

    private static func formatInteger(negative: Bool, magnitude: UInt64, value: TemplateValue, verb: Character,
                                      flags: Flags, into out: inout String)
    {
        var digits: String
        var prefix = ""
        switch verb {
        case "v", "d": digits = String(magnitude)
        case "b": digits = String(magnitude, radix: 2); if flags.sharp { prefix = "0b" }
        case "o", "O":
            digits = String(magnitude, radix: 8)
            if verb == "O" { prefix = "0o" } else if flags.sharp && digits != "0" { prefix = "0" }
        case "x": digits = String(magnitude, radix: 16); if flags.sharp { prefix = "0x" }
        case "X": digits = String(magnitude, radix: 16, uppercase: true); if flags.sharp { prefix = "0X" }
        case "c":
            let scalar = negative ? nil : Unicode.Scalar(UInt32(clamping: magnitude))
            pad(String(Character(scalar ?? "\u{FFFD}")), flags, into: &out)
            return
        case "q":
            let scalar = negative ? nil : Unicode.Scalar(UInt32(clamping: magnitude))
            pad(GoQuote.quoteRune(scalar ?? "\u{FFFD}"), flags, into: &out)
            return
        case "U":
            var hex = String(magnitude, radix: 16, uppercase: true)
            while hex.count < 4 { hex = "0" + hex }
            pad("U+" + hex, flags, into: &out)
            return
        default:
            badVerb(value, verb, into: &out)
            return
        }
        var minDigits = flags.precision ?? 0
        if flags.precision == 0 && magnitude == 0 { digits = "" }
        if flags.zero, flags.precision == nil, let width = flags.width, !flags.minus {
            minDigits = width - prefix.count - ((negative || flags.plus || flags.space) ? 1 : 0)
        }
        if digits.count < minDigits { digits = String(repeating: "0", count: minDigits - digits.count) + digits }
        let sign = negative ? "-" : (flags.plus ? "+" : (flags.space ? " " : ""))
        var noZero = flags
        noZero.zero = false
        pad(sign + prefix + digits, noZero, into: &out)
    }

    private static func formatFloat(_ d: Double, value: TemplateValue, verb: Character, flags: Flags,
                                    into out: inout String)
    {
        let goVerb: Character
        var precision = flags.precision ?? -1
        switch verb {
        case "v", "g", "G": goVerb = verb == "G" ? "G" : "g"
        case "e", "E", "f", "F":
            goVerb = verb
            if precision < 0 { precision = 6 }
        default:
            badVerb(value, verb, into: &out)
            return
        }
        var text = GoFloat.format(d, verb: goVerb, precision: precision)
        var sign = ""
        if text.hasPrefix("-") { sign = "-"; text.removeFirst() } else if text.hasPrefix("+") { text.removeFirst() }
        if sign.isEmpty { sign = flags.plus ? "+" : (flags.space ? " " : "") }
        if text == "Inf" || text == "NaN" {
            if text == "NaN" && !flags.plus && !flags.space { sign = "" }
            if text == "Inf" && sign.isEmpty { sign = flags.plus ? "+" : "" }
            var spaces = flags
            spaces.zero = false
            pad(sign + text, spaces, into: &out)
            return
        }
        if flags.zero, !flags.minus, let width = flags.width, width > sign.count + text.count {
            out += sign + String(repeating: "0", count: width - sign.count - text.count) + text
            return
        }
        pad(sign + text, flags, into: &out)
    }

    private static func formatString(_ s: String, value: TemplateValue, verb: Character, flags: Flags,
                                     into out: inout String)
    {
        var text = s
        if let precision = flags.precision, verb != "x", verb != "X" {
            let scalars = text.unicodeScalars
            if scalars.count > precision {
                var view = String.UnicodeScalarView()
                view.append(contentsOf: scalars.prefix(precision))
                text = String(view)
            }
        }
        switch verb {
        case "v", "s": pad(text, flags, into: &out)
        case "q": pad(flags.sharp && GoQuote.canBackquote(text) ? "`" + text + "`" : GoQuote.quote(text, asciiOnly: flags.plus), flags, into: &out)
        case "x", "X":
            var bytes = Array(s.utf8)
            if let precision = flags.precision, bytes.count > precision { bytes = Array(bytes.prefix(precision)) }
            var hex = ""
            for (i, byte) in bytes.enumerated() {
                if flags.space && i > 0 { hex += " " }
                if flags.sharp && (flags.space || i == 0) { hex += verb == "x" ? "0x" : "0X" }
                let h = String(byte, radix: 16, uppercase: verb == "X")
                hex += h.count == 1 ? "0" + h : h
            }
            pad(hex, flags, into: &out)
        default: badVerb(value, verb, into: &out)
        }
    }

    /// Pads to the width in runes, as fmt does.
    static func pad(_ text: String, _ flags: Flags, into out: inout String) {
        guard let width = flags.width else { out += text; return }
        let count = text.unicodeScalars.count
        guard width > count else { out += text; return }
        let padding = String(repeating: flags.zero && !flags.minus ? "0" : " ", count: width - count)
        if flags.minus { out += text + padding } else { out += padding + text }
    }
}
