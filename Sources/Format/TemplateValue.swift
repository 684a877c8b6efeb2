/// A value a template executes against, modelled on the Go values docker hands to text/template.
///
/// Go's printing and error messages depend on Go types, so containers carry a Go type name
/// (`map[string]interface {}`, `types.RootFS`, `*formatter.imageContext`, ...) where it shows.
public indirect enum TemplateValue: Sendable {
    /// Untyped nil: a JSON `null` held in an `interface{}` slot. Templates print it as `<no value>`.
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    /// A slice; Go prints it as `[a b c]`.
    case array([TemplateValue])
    /// A map with string keys; Go prints keys sorted, JSON keeps `TemplateMap.jsonKeyOrder`.
    case map(TemplateMap)
    /// A struct; Go prints it as `{v1 v2}` in field order.
    case structure(TemplateStruct)
    /// A typed nil: nil pointer prints `<nil>`, nil slice `[]`, nil map `map[]`; all encode as JSON `null`.
    case typedNil(GoNilKind, typeName: String)
}

/// Which kind of Go value a `TemplateValue.typedNil` stands for.
public enum GoNilKind: Sendable, Equatable {
    case pointer
    case slice
    case map
}

/// An ordered string-keyed map, like a decoded JSON object.
public struct TemplateMap: Sendable {
    /// How `{{json}}` orders keys: Go sorts map keys, but values standing in for Go structs keep source order.
    public enum JSONKeyOrder: Sendable { case insertion, sorted }

    /// Go type name used in error messages, e.g. `map[string]interface {}`.
    public var typeName: String
    public var jsonKeyOrder: JSONKeyOrder
    public private(set) var keys: [String]
    private var storage: [String: TemplateValue]

    public init(_ pairs: [(String, TemplateValue)] = [], typeName: String = "map[string]interface {}",
                jsonKeyOrder: JSONKeyOrder = .insertion) {
        self.typeName = typeName
        self.jsonKeyOrder = jsonKeyOrder
        keys = []
        storage = [:]
        keys.reserveCapacity(pairs.count)
        for (key, value) in pairs { self[key] = value }
    }

    public var count: Int { keys.count }

    public subscript(key: String) -> TemplateValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    /// Keys in Go's printing order (sorted byte-wise, as fmt does for string keys).
    public var sortedKeys: [String] { keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } }

    /// Go's static type of the map's values, used in "can't evaluate field X in type T" messages.
    var elementTypeName: String {
        if typeName.hasPrefix("map[string]") { return String(typeName.dropFirst("map[string]".count)) }
        return "interface {}"
    }
}

/// A Go struct value: named fields in declaration order.
public struct TemplateStruct: Sendable {
    /// One field. `typeName` is the field's declared Go type (for error messages); `jsonName`
    /// and `omitEmpty` mirror a `json:"name,omitempty"` tag (`jsonName == "-"` skips the field).
    public struct Field: Sendable {
        public var name: String
        public var value: TemplateValue
        public var typeName: String?
        public var jsonName: String?
        public var omitEmpty: Bool

        public init(_ name: String, _ value: TemplateValue, typeName: String? = nil,
                    jsonName: String? = nil, omitEmpty: Bool = false) {
            self.name = name
            self.value = value
            self.typeName = typeName
            self.jsonName = jsonName
            self.omitEmpty = omitEmpty
        }
    }

    /// Go type name, e.g. `types.ImageInspect` or `*formatter.imageContext`.
    public var typeName: String
    public private(set) var fields: [Field]
    /// docker's formatter contexts marshal through a map: keys sorted, HTML characters escaped.
    public var sortJSONKeys: Bool
    public var escapeHTMLInJSON: Bool
    /// What the Go type's `String()` method returns; fmt prints this instead of the fields.
    public var stringForm: String?
    /// What the Go type's `MarshalJSON` method produces; `json` writes this instead of the fields.
    public var jsonForm: TemplateValue?
    /// Built only for wide structs; a linear scan is faster for the dozen fields docker's rows have.
    private var index: [String: Int]?

    public init(typeName: String, fields: [Field], sortJSONKeys: Bool = false, escapeHTMLInJSON: Bool = false) {
        self.typeName = typeName
        self.fields = fields
        self.sortJSONKeys = sortJSONKeys
        self.escapeHTMLInJSON = escapeHTMLInJSON
        if fields.count > 24 {
            var index: [String: Int] = [:]
            for (offset, field) in fields.enumerated() where index[field.name] == nil { index[field.name] = offset }
            self.index = index
        } else {
            self.index = nil
        }
    }

    /// A Go `time.Time`: prints as `2006-01-02 15:04:05.999999999 -0700 MST`, marshals as RFC 3339.
    public static func goTime(_ time: GoTime) -> TemplateStruct {
        var value = TemplateStruct(typeName: "time.Time", fields: [])
        value.stringForm = time.goString
        value.jsonForm = .string(time.rfc3339Nano)
        return value
    }

    /// A docker CLI list row (`*formatter.imageContext` etc.): string fields, JSON as docker's formatter marshals it.
    public static func formatterContext(typeName: String, fields: [(String, String)]) -> TemplateStruct {
        TemplateStruct(typeName: typeName, fields: fields.map { Field($0.0, .string($0.1), typeName: "string") },
                       sortJSONKeys: true, escapeHTMLInJSON: true)
    }

    public func field(named name: String) -> Field? {
        guard let index else { return fields.first { $0.name == name } }
        guard let offset = index[name] else { return nil }
        return fields[offset]
    }
}

extension TemplateValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(arrayLiteral elements: TemplateValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, TemplateValue)...) { self = .map(TemplateMap(elements)) }
    public init(nilLiteral: ()) { self = .null }
}

extension TemplateValue {
    /// Convenience: a `[]string` slice.
    public static func strings(_ values: [String]) -> TemplateValue { .array(values.map { .string($0) }) }

    /// The dynamic Go type name, as `%T` and error messages show it.
    public var goTypeName: String {
        switch self {
        case .null: return "<nil>"
        case .bool: return "bool"
        case .int: return "int"
        case .uint: return "uint"
        case .double: return "float64"
        case .string: return "string"
        case .array: return "[]interface {}"
        case .map(let map): return map.typeName
        case .structure(let structure): return structure.typeName
        case .typedNil(_, let typeName): return typeName
        }
    }

    /// Go's notion of truth, as `if`, `with`, `and`, `or`, `not` use it.
    var isTruthy: Bool {
        switch self {
        case .null, .typedNil: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .uint(let u): return u != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .array(let a): return !a.isEmpty
        case .map(let m): return m.count > 0
        case .structure: return true
        }
    }
}
