import Foundation

/// A parsed JSON value that keeps the JSON type (bool vs number matters for docker parity).
enum JSONValue: Decodable, Equatable, Sendable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    static func parse(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "bool"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    subscript(key: String) -> JSONValue? {
        if case let .object(o) = self { return o[key] }
        return nil
    }

    subscript(index: Int) -> JSONValue? {
        if case let .array(a) = self, a.indices.contains(index) { return a[index] }
        return nil
    }

    /// Paths where `self` and `other` differ in keys, JSON types or array lengths (values are not compared).
    /// Paths in `ignoring` (e.g. "[0].GraphDriver.Data") are skipped entirely.
    func structuralDifferences(from other: JSONValue, path: String = "", ignoring: Set<String> = []) -> [String] {
        if ignoring.contains(path) { return [] }
        switch (self, other) {
        case let (.object(a), .object(b)):
            var out: [String] = []
            for key in Set(a.keys).subtracting(b.keys).sorted() { out.append("\(path).\(key): only in strata") }
            for key in Set(b.keys).subtracting(a.keys).sorted() { out.append("\(path).\(key): only in docker") }
            for key in Set(a.keys).intersection(b.keys).sorted() {
                out += a[key]!.structuralDifferences(from: b[key]!, path: "\(path).\(key)", ignoring: ignoring)
            }
            return out
        case let (.array(a), .array(b)):
            var out = a.count == b.count ? [] : ["\(path): \(a.count) elements, docker has \(b.count)"]
            for (i, (x, y)) in zip(a, b).enumerated() {
                out += x.structuralDifferences(from: y, path: "\(path)[\(i)]", ignoring: ignoring)
            }
            return out
        default:
            return typeName == other.typeName ? [] : ["\(path): strata \(typeName), docker \(other.typeName)"]
        }
    }
}
