// A tiny JSON reader written by hand because the exec form needs Go's `json.Decoder` semantics that
// Foundation's JSONSerialization does not have: only the first value is read and trailing text is ignored.

enum JSONArgumentList {
    enum Outcome: Equatable {
        /// Not a JSON array (or malformed): the instruction uses the shell form.
        case notJSON
        /// Valid JSON but not an array of strings: BuildKit rejects the instruction.
        case notStringArray
        case strings([String])
    }

    static func parse(_ text: String) -> Outcome {
        let trimmed = LineSplitting.trimLeadingSpace(text)
        guard trimmed.hasPrefix("[") else { return .notJSON }
        var reader = Reader(scalars: Array(trimmed.unicodeScalars))
        guard let value = reader.readValue(depth: 0) else { return .notJSON }
        guard case .array(let items) = value else { return .notJSON }
        var strings: [String] = []
        for item in items {
            guard case .string(let string) = item else { return .notStringArray }
            strings.append(string)
        }
        return .strings(strings)
    }

    private indirect enum Value {
        case string(String)
        case array([Value])
        case other
    }

    private struct Reader {
        let scalars: [Unicode.Scalar]
        var position = 0

        mutating func skipWhitespace() {
            while position < scalars.count, [" ", "\t", "\n", "\r"].contains(scalars[position]) { position += 1 }
        }

        mutating func readValue(depth: Int) -> Value? {
            guard depth < 10_000 else { return nil }
            skipWhitespace()
            guard position < scalars.count else { return nil }
            switch scalars[position] {
            case "[":
                position += 1
                var items: [Value] = []
                skipWhitespace()
                if position < scalars.count, scalars[position] == "]" { position += 1; return .array(items) }
                while true {
                    guard let item = readValue(depth: depth + 1) else { return nil }
                    items.append(item)
                    skipWhitespace()
                    guard position < scalars.count else { return nil }
                    if scalars[position] == "," { position += 1; continue }
                    if scalars[position] == "]" { position += 1; return .array(items) }
                    return nil
                }
            case "{":
                position += 1
                skipWhitespace()
                if position < scalars.count, scalars[position] == "}" { position += 1; return .other }
                while true {
                    skipWhitespace()
                    guard position < scalars.count, scalars[position] == "\"", readString() != nil else { return nil }
                    skipWhitespace()
                    guard position < scalars.count, scalars[position] == ":" else { return nil }
                    position += 1
                    guard readValue(depth: depth + 1) != nil else { return nil }
                    skipWhitespace()
                    guard position < scalars.count else { return nil }
                    if scalars[position] == "," { position += 1; continue }
                    if scalars[position] == "}" { position += 1; return .other }
                    return nil
                }
            case "\"":
                return readString().map(Value.string)
            case "t": return readLiteral("true")
            case "f": return readLiteral("false")
            case "n": return readLiteral("null")
            default: return readNumber()
            }
        }

        mutating func readLiteral(_ literal: String) -> Value? {
            for expected in literal.unicodeScalars {
                guard position < scalars.count, scalars[position] == expected else { return nil }
                position += 1
            }
            return .other
        }

        mutating func readNumber() -> Value? {
            func digits() -> Int {
                let start = position
                while position < scalars.count, ("0"..."9").contains(scalars[position]) { position += 1 }
                return position - start
            }
            if position < scalars.count, scalars[position] == "-" { position += 1 }
            guard position < scalars.count else { return nil }
            if scalars[position] == "0" {
                position += 1
            } else if digits() == 0 {
                return nil
            }
            if position < scalars.count, scalars[position] == "." {
                position += 1
                guard digits() > 0 else { return nil }
            }
            if position < scalars.count, scalars[position] == "e" || scalars[position] == "E" {
                position += 1
                if position < scalars.count, scalars[position] == "+" || scalars[position] == "-" { position += 1 }
                guard digits() > 0 else { return nil }
            }
            return .other
        }

        mutating func readHex4() -> UInt32? {
            guard position + 4 <= scalars.count else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let digit = Character(scalars[position]).hexDigitValue else { return nil }
                value = value * 16 + UInt32(digit)
                position += 1
            }
            return value
        }

        mutating func readString() -> String? {
            position += 1
            var result = String.UnicodeScalarView()
            while position < scalars.count {
                let scalar = scalars[position]
                position += 1
                switch scalar {
                case "\"":
                    return String(result)
                case "\\":
                    guard position < scalars.count else { return nil }
                    let escaped = scalars[position]
                    position += 1
                    switch escaped {
                    case "\"", "\\", "/": result.append(escaped)
                    case "b": result.append("\u{08}")
                    case "f": result.append("\u{0C}")
                    case "n": result.append("\n")
                    case "r": result.append("\r")
                    case "t": result.append("\t")
                    case "u":
                        guard let unit = readHex4() else { return nil }
                        if (0xD800..<0xDC00).contains(unit) {
                            let save = position
                            if position + 1 < scalars.count, scalars[position] == "\\", scalars[position + 1] == "u" {
                                position += 2
                                if let low = readHex4(), (0xDC00..<0xE000).contains(low) {
                                    result.append(Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))!)
                                    continue
                                }
                            }
                            position = save
                            result.append("\u{FFFD}")
                        } else {
                            result.append(Unicode.Scalar(unit) ?? "\u{FFFD}")
                        }
                    default:
                        return nil
                    }
                default:
                    guard scalar.value >= 0x20 else { return nil }
                    result.append(scalar)
                }
            }
            return nil
        }
    }
}
