import GoText
// Hand-written JSON reader/writer: Foundation's JSONSerialization loses key order and does not
// reproduce Go's encoding/json output byte for byte (escapes, float layout), which `{{json}}` needs.

/// Errors from `TemplateValue(json:)`.
public struct JSONDecodeError: Error, CustomStringConvertible, Sendable {
    public let offset: Int
    public let message: String
    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

extension TemplateValue {
    /// Decodes JSON into ordered maps (`map[string]interface {}`), arrays, strings, bools, `.null`,
    /// and numbers (`.int` when integral and in range, else `.uint`/`.double`). Objects keep source key
    /// order, so `{{json .Config}}` re-emits keys in the original order.
    public init(json text: String) throws(JSONDecodeError) {
        try self.init(jsonBytes: Array(text.utf8))
    }

    public init(jsonBytes bytes: [UInt8]) throws(JSONDecodeError) {
        var reader = JSONReader(bytes: bytes)
        reader.skipSpace()
        let value = try reader.readValue(depth: 0)
        reader.skipSpace()
        guard reader.position == bytes.count else { throw reader.error("unexpected trailing data") }
        self = value
    }

    /// Go's `json.Marshal` output for this value. `escapeHTML` mirrors the encoder setting
    /// (docker's `{{json}}` turns it off; structs can force it on, see `TemplateStruct.escapeHTMLInJSON`).
    public func jsonString(escapeHTML: Bool = false) -> String {
        var out = ""
        GoJSON.encode(self, escapeHTML: escapeHTML, into: &out)
        return out
    }
}

private struct JSONReader {
    let bytes: [UInt8]
    var position = 0
    static let maxDepth = 512

    init(bytes: [UInt8]) { self.bytes = bytes }

    func error(_ message: String) -> JSONDecodeError { JSONDecodeError(offset: position, message: message) }

    mutating func skipSpace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    mutating func readValue(depth: Int) throws(JSONDecodeError) -> TemplateValue {
        guard depth < Self.maxDepth else { throw error("nesting too deep") }
        guard position < bytes.count else { throw error("unexpected end of input") }
        switch bytes[position] {
        case UInt8(ascii: "{"):
            position += 1
            var map = TemplateMap()
            skipSpace()
            if position < bytes.count && bytes[position] == UInt8(ascii: "}") { position += 1; return .map(map) }
            while true {
                skipSpace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw error("expected string key") }
                let key = try readString()
                skipSpace()
                try expect(UInt8(ascii: ":"))
                skipSpace()
                map[key] = try readValue(depth: depth + 1)
                skipSpace()
                if try endOfContainer(UInt8(ascii: "}")) { return .map(map) }
            }
        case UInt8(ascii: "["):
            position += 1
            var elements: [TemplateValue] = []
            skipSpace()
            if position < bytes.count && bytes[position] == UInt8(ascii: "]") { position += 1; return .array(elements) }
            while true {
                skipSpace()
                elements.append(try readValue(depth: depth + 1))
                skipSpace()
                if try endOfContainer(UInt8(ascii: "]")) { return .array(elements) }
            }
        case UInt8(ascii: "\""):
            return .string(try readString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default:
            return try readNumber()
        }
    }

    private mutating func endOfContainer(_ close: UInt8) throws(JSONDecodeError) -> Bool {
        guard position < bytes.count else { throw error("unexpected end of input") }
        if bytes[position] == UInt8(ascii: ",") { position += 1; return false }
        if bytes[position] == close { position += 1; return true }
        throw error("expected ',' or closing bracket")
    }

    private mutating func expect(_ byte: UInt8) throws(JSONDecodeError) {
        guard position < bytes.count, bytes[position] == byte else { throw error("expected '\(Character(Unicode.Scalar(byte)))'") }
        position += 1
    }

    private mutating func literal(_ word: String) throws(JSONDecodeError) {
        for byte in word.utf8 { try expect(byte) }
    }

    private mutating func readNumber() throws(JSONDecodeError) -> TemplateValue {
        let start = position
        var integral = true
        while position < bytes.count {
            let b = bytes[position]
            if (b >= 48 && b <= 57) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+") {
                position += 1
            } else if b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
                integral = false
                position += 1
            } else {
                break
            }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if integral, let i = Int64(text) { return .int(i) }
        if integral, let u = UInt64(text) { return .uint(u) }
        guard !text.isEmpty, let d = Double(text), d.isFinite else {
            position = start
            throw error("invalid number")
        }
        return .double(d)
    }

    private mutating func readString() throws(JSONDecodeError) -> String {
        position += 1  // opening quote
        var scalars = String.UnicodeScalarView()
        var runStart = position
        func flush(_ end: Int) {
            if end > runStart { scalars.append(contentsOf: String(decoding: bytes[runStart..<end], as: UTF8.self).unicodeScalars) }
        }
        while position < bytes.count {
            let b = bytes[position]
            if b == UInt8(ascii: "\"") {
                flush(position)
                position += 1
                return String(scalars)
            }
            if b == UInt8(ascii: "\\") {
                flush(position)
                position += 1
                guard position < bytes.count else { break }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "/"), UInt8(ascii: "\\"), UInt8(ascii: "\""): scalars.append(Unicode.Scalar(escape))
                case UInt8(ascii: "u"):
                    var code = try readHex4()
                    if (0xD800..<0xDC00).contains(code), position + 1 < bytes.count,
                        bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u")
                    {
                        let save = position
                        position += 2
                        let low = try readHex4()
                        if (0xDC00..<0xE000).contains(low) {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            position = save
                        }
                    }
                    scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                default: throw error("invalid escape")
                }
                runStart = position
                continue
            }
            position += 1
        }
        throw error("unterminated string")
    }

    private mutating func readHex4() throws(JSONDecodeError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("bad \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[position]
            let digit: UInt8
            switch b {
            case 48...57: digit = b - 48
            case 97...102: digit = b - 87
            case 65...70: digit = b - 55
            default: throw error("bad \\u escape")
            }
            value = value * 16 + UInt32(digit)
            position += 1
        }
        return value
    }
}

enum GoJSON {
    static func encode(_ value: TemplateValue, escapeHTML: Bool, into out: inout String) {
        switch value {
        case .null, .typedNil: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .uint(let u): out += String(u)
        case .double(let d): out += GoFloat.json(d) ?? "null"
        case .string(let s): appendString(s, escapeHTML: escapeHTML, into: &out)
        case .array(let elements):
            out += "["
            for (i, element) in elements.enumerated() {
                if i > 0 { out += "," }
                encode(element, escapeHTML: escapeHTML, into: &out)
            }
            out += "]"
        case .map(let map):
            out += "{"
            let keys = map.jsonKeyOrder == .sorted ? map.sortedKeys : map.keys
            for (i, key) in keys.enumerated() {
                if i > 0 { out += "," }
                appendString(key, escapeHTML: escapeHTML, into: &out)
                out += ":"
                encode(map[key] ?? .null, escapeHTML: escapeHTML, into: &out)
            }
            out += "}"
        case .structure(let structure) where structure.jsonForm != nil:
            encode(structure.jsonForm ?? .null, escapeHTML: escapeHTML, into: &out)
        case .structure(let structure):
            let escape = escapeHTML || structure.escapeHTMLInJSON
            var members: [(String, TemplateValue)] = []
            for field in structure.fields {
                let name = field.jsonName ?? field.name
                if name == "-" || (field.omitEmpty && isEmpty(field.value)) { continue }
                members.append((name, field.value))
            }
            if structure.sortJSONKeys { members.sort { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) } }
            out += "{"
            for (i, member) in members.enumerated() {
                if i > 0 { out += "," }
                appendString(member.0, escapeHTML: escape, into: &out)
                out += ":"
                encode(member.1, escapeHTML: escape, into: &out)
            }
            out += "}"
        }
    }

    private static func isEmpty(_ value: TemplateValue) -> Bool {
        switch value {
        case .null, .typedNil: return true
        case .bool(let b): return !b
        case .int(let i): return i == 0
        case .uint(let u): return u == 0
        case .double(let d): return d == 0
        case .string(let s): return s.isEmpty
        case .array(let a): return a.isEmpty
        case .map(let m): return m.count == 0
        case .structure: return false
        }
    }

    static func appendString(_ s: String, escapeHTML: Bool, into out: inout String) {
        out += GoJSONString.quoted(s, escapeHTML: escapeHTML)
    }
}
