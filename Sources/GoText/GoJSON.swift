// A small ordered JSON tree and writer, hand-written because Foundation's JSONEncoder neither keeps key
// order nor escapes like Go, and image IDs are hashes of the exact bytes dockerd wrote.
import Foundation

/// A JSON value whose objects keep their member order, so output can match Go's `encoding/json` byte for byte.
public indirect enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    public init(from decoder: any Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: AnyCodingKey.self) {
            // Decoded objects come back sorted, as Go sorts map keys.
            let keys = keyed.allKeys.sorted { $0.stringValue.utf8.lexicographicallyPrecedes($1.stringValue.utf8) }
            self = .object(try keys.map { JSONMember($0.stringValue, try keyed.decode(JSONValue.self, forKey: $0)) })
            return
        }
        if var unkeyed = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !unkeyed.isAtEnd { items.append(try unkeyed.decode(JSONValue.self)) }
            self = .array(items)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() { self = .null }
        else if let value = try? single.decode(Bool.self) { self = .bool(value) }
        else if let value = try? single.decode(Int64.self) { self = .integer(value) }
        else if let value = try? single.decode(Double.self) { self = .double(value) }
        else { self = .string(try single.decode(String.self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var c = encoder.singleValueContainer(); try c.encodeNil()
        case .bool(let v):
            var c = encoder.singleValueContainer(); try c.encode(v)
        case .integer(let v):
            var c = encoder.singleValueContainer(); try c.encode(v)
        case .double(let v):
            var c = encoder.singleValueContainer(); try c.encode(v)
        case .string(let v):
            var c = encoder.singleValueContainer(); try c.encode(v)
        case .array(let items):
            var c = encoder.unkeyedContainer()
            for item in items { try c.encode(item) }
        case .object(let members):
            var c = encoder.container(keyedBy: AnyCodingKey.self)
            for member in members { try c.encode(member.value, forKey: AnyCodingKey(member.key)) }
        }
    }
}

/// One `"key": value` pair of a ``JSONValue/object(_:)``.
public struct JSONMember: Sendable, Hashable {
    public var key: String
    public var value: JSONValue
    public init(_ key: String, _ value: JSONValue) { self.key = key; self.value = value }
}

extension JSONValue {
    /// An object with its members in the order written: `.fields(["a": .integer(1), "b": .null])`.
    public static func fields(_ pairs: KeyValuePairs<String, JSONValue>) -> JSONValue {
        .object(pairs.map { JSONMember($0.key, $0.value) })
    }
}

/// Types that know the exact JSON document Go (docker, containerd) would write for them.
public protocol GoJSONRepresentable {
    var goJSON: JSONValue { get }
}

/// Serialises ``JSONValue`` the way Go's `encoding/json` does (`json.Marshal` / `MarshalIndent`).
public enum GoJSON {
    /// Compact bytes, as `json.Marshal`: `<`, `>`, `&` escaped as `\u003c`… unless `escapeHTML` is false.
    public static func encode(_ value: some GoJSONRepresentable, indent: String? = nil, escapeHTML: Bool = true) -> Data {
        encode(value.goJSON, indent: indent, escapeHTML: escapeHTML)
    }

    public static func encode(_ value: JSONValue, indent: String? = nil, escapeHTML: Bool = true) -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        write(value, into: &out, indent: indent.map { Array($0.utf8) }, depth: 0, escapeHTML: escapeHTML)
        return Data(out)
    }

    private static func write(_ value: JSONValue, into out: inout [UInt8], indent: [UInt8]?, depth: Int, escapeHTML: Bool) {
        func newline(_ level: Int) {
            guard let indent else { return }
            out.append(UInt8(ascii: "\n"))
            for _ in 0..<level { out.append(contentsOf: indent) }
        }
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let v): out.append(contentsOf: (v ? "true" : "false").utf8)
        case .integer(let v): out.append(contentsOf: String(v).utf8)
        case .double(let v): out.append(contentsOf: formatDouble(v).utf8)
        case .string(let s): writeString(s, into: &out, escapeHTML: escapeHTML)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(depth + 1)
                write(item, into: &out, indent: indent, depth: depth + 1, escapeHTML: escapeHTML)
            }
            if !items.isEmpty { newline(depth) }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, member) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(depth + 1)
                writeString(member.key, into: &out, escapeHTML: escapeHTML)
                out.append(UInt8(ascii: ":"))
                if indent != nil { out.append(UInt8(ascii: " ")) }
                write(member.value, into: &out, indent: indent, depth: depth + 1, escapeHTML: escapeHTML)
            }
            if !members.isEmpty { newline(depth) }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func writeString(_ s: String, into out: inout [UInt8], escapeHTML: Bool) {
        GoJSONString.append(s, escapeHTML: escapeHTML, to: &out)
    }

    /// Go's float formatting ('f' for moderate exponents, 'e' otherwise); integers print without a point.
    private static func formatDouble(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e21 { return String(Int64(v)) }
        return "\(v)"
    }
}

/// Deterministic JSON: sorted keys at every level, `/` unescaped. For hashing Strata's own documents.
public enum CanonicalJSON {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}

/// A coding key for arbitrary object keys (maps, unknown fields).
public struct AnyCodingKey: CodingKey {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(_ string: String) { stringValue = string }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}

/// Helpers to build ordered objects tersely, skipping absent values.
public struct JSONObjectBuilder {
    public private(set) var members: [JSONMember] = []

    public init() {}

    public mutating func add(_ key: String, _ value: JSONValue) { members.append(JSONMember(key, value)) }
    public mutating func add(_ key: String, _ value: String?) { if let value { add(key, .string(value)) } }
    public mutating func addNonEmpty(_ key: String, _ value: String?) { if let value, !value.isEmpty { add(key, .string(value)) } }
    public mutating func add(_ key: String, _ value: [String]?) { if let value { add(key, .strings(value)) } }
    public mutating func add(_ key: String, _ value: (some GoJSONRepresentable)?) { if let value { add(key, value.goJSON) } }
    public var object: JSONValue { .object(members) }
}

extension JSONValue {
    public static func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }
    public static func nullableStrings(_ values: [String]?) -> JSONValue { values.map(strings) ?? .null }
    /// A Go map[string]string: keys sorted bytewise.
    public static func stringMap(_ map: [String: String]) -> JSONValue {
        .object(map.keys.sorted(by: goKeyOrder).map { JSONMember($0, .string(map[$0]!)) })
    }
    /// A Go map[string]struct{}: `{"80/tcp":{}}`.
    public static func emptyObjectMap(_ keys: Set<String>) -> JSONValue {
        .object(keys.sorted(by: goKeyOrder).map { JSONMember($0, .object([])) })
    }
}

/// Go sorts map keys by their bytes.
public func goKeyOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
