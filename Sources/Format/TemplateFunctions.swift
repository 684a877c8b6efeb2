// Hand-written: Go text/template's builtin functions and docker CLI's template functions.

/// How an argument is converted before a function sees it (the Go parameter type).
enum ParamType {
    case any  // interface{}: missing values arrive as .null
    case value  // reflect.Value: missing values arrive as nil
    case string
    case int
    case stringSlice

    var goName: String {
        switch self {
        case .any: return "interface {}"
        case .value: return "reflect.Value"
        case .string: return "string"
        case .int: return "int"
        case .stringSlice: return "[]string"
        }
    }
}

/// A function's failure; execution reports it as `error calling NAME: MESSAGE`.
struct FunctionError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

struct TemplateFunction: Sendable {
    let fixed: [ParamType]
    let variadic: ParamType?
    let call: @Sendable ([Val]) throws(FunctionError) -> Val
}

enum TemplateFunctions {
    static func lookup(_ name: String, _ set: TemplateFunctionSet) -> TemplateFunction? {
        if set == .dockerHeader, let header = header[name] { return header }
        return builtins[name] ?? docker[name]
    }

    private static func str(_ v: Val) -> String {
        if case .string(let s)? = v { return s }
        return ""
    }

    private static func int(_ v: Val) -> Int64 {
        if case .int(let i)? = v { return i }
        return 0
    }

    /// Go's evalArgs: a lone string is used as is, otherwise fmt.Sprint of the arguments.
    private static func joinedArgs(_ args: [Val]) -> String {
        if args.count == 1, case .string(let s)? = args[0] { return s }
        return GoPrint.sprint(args.map { $0 ?? .null })
    }

    static let builtins: [String: TemplateFunction] = [
        "and": TemplateFunction(fixed: [.value], variadic: .value) { $0.last ?? nil },
        "or": TemplateFunction(fixed: [.value], variadic: .value) { $0.last ?? nil },
        "not": TemplateFunction(fixed: [.value], variadic: nil) { .bool(!($0[0]?.isTruthy ?? false)) },
        "len": TemplateFunction(fixed: [.value], variadic: nil) { args throws(FunctionError) in try length(args[0]) },
        "index": TemplateFunction(fixed: [.value], variadic: .value) { args throws(FunctionError) in
            try index(args[0], Array(args.dropFirst()))
        },
        "slice": TemplateFunction(fixed: [.value], variadic: .value) { args throws(FunctionError) in
            try slice(args[0], Array(args.dropFirst()))
        },
        "print": TemplateFunction(fixed: [], variadic: .any) { .string(GoPrint.sprint($0.map { $0 ?? .null })) },
        "println": TemplateFunction(fixed: [], variadic: .any) { .string(GoPrint.sprintln($0.map { $0 ?? .null })) },
        "printf": TemplateFunction(fixed: [.string], variadic: .any) {
            .string(GoPrint.sprintf(str($0[0]), $0.dropFirst().map { $0 ?? .null }))
        },
        "html": TemplateFunction(fixed: [], variadic: .any) { .string(TextEscaping.html(joinedArgs($0))) },
        "js": TemplateFunction(fixed: [], variadic: .any) { .string(TextEscaping.javaScript(joinedArgs($0))) },
        "urlquery": TemplateFunction(fixed: [], variadic: .any) { .string(TextEscaping.queryEscape(joinedArgs($0))) },
        "eq": TemplateFunction(fixed: [.value], variadic: .value) { args throws(FunctionError) in
            if args.count < 2 { throw FunctionError("missing argument for comparison") }
            for other in args.dropFirst() where try Comparison.equal(args[0], other) { return .bool(true) }
            return .bool(false)
        },
        "ne": TemplateFunction(fixed: [.value, .value], variadic: nil) { args throws(FunctionError) in
            .bool(!(try Comparison.equal(args[0], args[1])))
        },
        "lt": TemplateFunction(fixed: [.value, .value], variadic: nil) { args throws(FunctionError) in
            .bool(try Comparison.less(args[0], args[1]))
        },
        "le": TemplateFunction(fixed: [.value, .value], variadic: nil) { args throws(FunctionError) in
            let less = try Comparison.less(args[0], args[1])
            return .bool(less ? true : try Comparison.equal(args[0], args[1]))
        },
        "gt": TemplateFunction(fixed: [.value, .value], variadic: nil) { args throws(FunctionError) in
            let less = try Comparison.less(args[0], args[1])
            return .bool(less ? false : !(try Comparison.equal(args[0], args[1])))
        },
        "ge": TemplateFunction(fixed: [.value, .value], variadic: nil) { args throws(FunctionError) in
            .bool(!(try Comparison.less(args[0], args[1])))
        },
        "call": TemplateFunction(fixed: [.value], variadic: .value) { args throws(FunctionError) in
            throw FunctionError("non-function of type \(args[0]?.goTypeName ?? "<nil>")")
        },
    ]

    static let docker: [String: TemplateFunction] = [
        "json": TemplateFunction(fixed: [.any], variadic: nil) { .string(($0[0] ?? .null).jsonString(escapeHTML: false)) },
        "split": TemplateFunction(fixed: [.string, .string], variadic: nil) { .strings(GoStrings.split(str($0[0]), str($0[1]))) },
        "join": TemplateFunction(fixed: [.stringSlice, .string], variadic: nil) { args in
            guard case .array(let elements)? = args[0] else { return .string("") }
            return .string(elements.map { GoPrint.string($0) }.joined(separator: str(args[1])))
        },
        "title": TemplateFunction(fixed: [.string], variadic: nil) { .string(GoStrings.title(str($0[0]))) },
        "lower": TemplateFunction(fixed: [.string], variadic: nil) { .string(str($0[0]).lowercased()) },
        "upper": TemplateFunction(fixed: [.string], variadic: nil) { .string(str($0[0]).uppercased()) },
        "pad": TemplateFunction(fixed: [.string, .int, .int], variadic: nil) { args in
            let s = str(args[0])
            if s.isEmpty { return .string(s) }
            let left = Int(clamping: max(0, min(int(args[1]), 1 << 20)))
            let right = Int(clamping: max(0, min(int(args[2]), 1 << 20)))
            return .string(String(repeating: " ", count: left) + s + String(repeating: " ", count: right))
        },
        "truncate": TemplateFunction(fixed: [.string, .int], variadic: nil) { args throws(FunctionError) in
            let bytes = Array(str(args[0]).utf8)
            let n = int(args[1])
            if Int64(bytes.count) < n { return args[0] }
            if n < 0 { throw FunctionError("runtime error: slice bounds out of range [:\(n)]") }
            return .string(String(decoding: bytes[..<Int(n)], as: UTF8.self))
        },
    ]

    /// docker's HeaderFunctions: keep the header text intact.
    static let header: [String: TemplateFunction] = {
        let identity = TemplateFunction(fixed: [.string], variadic: nil) { $0[0] }
        return [
            "json": identity, "title": identity, "lower": identity, "upper": identity,
            "split": TemplateFunction(fixed: [.string, .string], variadic: nil) { $0[0] },
            "join": TemplateFunction(fixed: [.string, .string], variadic: nil) { $0[0] },
            "truncate": TemplateFunction(fixed: [.string, .int], variadic: nil) { $0[0] },
        ]
    }()

    // MARK: - len, index, slice

    private static func length(_ item: Val) throws(FunctionError) -> Val {
        switch item {
        case .string(let s)?: return .int(Int64(s.utf8.count))
        case .array(let a)?: return .int(Int64(a.count))
        case .map(let m)?: return .int(Int64(m.count))
        case .typedNil(.slice, _)?, .typedNil(.map, _)?: return .int(0)
        case .typedNil(.pointer, _)?: throw FunctionError("len of nil pointer")
        case nil, .null?: throw FunctionError("reflect: call of reflect.Value.Type on zero Value")
        case let other?: throw FunctionError("len of type \(other.goTypeName)")
        }
    }

    private static func indexValue(_ index: Val, _ count: Int) throws(FunctionError) -> Int {
        let x: Int64
        switch index {
        case .int(let i)?: x = i
        case .uint(let u)?: x = Int64(clamping: u)
        case nil, .null?: throw FunctionError("cannot index slice/array with nil")
        case let other?: throw FunctionError("cannot index slice/array with type \(other.goTypeName)")
        }
        if x < 0 || x > Int64(count) { throw FunctionError("index out of range: \(x)") }
        return Int(x)
    }

    private static func index(_ item: Val, _ indexes: [Val]) throws(FunctionError) -> Val {
        guard var current = item, !isNull(current) else { throw FunctionError("index of untyped nil") }
        for index in indexes {
            switch current {
            case .array(let elements):
                let i = try indexValue(index, elements.count)
                if i == elements.count { throw FunctionError("reflect: slice index out of range") }
                current = elements[i]
            case .string(let s):
                let bytes = Array(s.utf8)
                let i = try indexValue(index, bytes.count)
                if i == bytes.count { throw FunctionError("reflect: string index out of range") }
                current = .uint(UInt64(bytes[i]))
            case .typedNil(.slice, _):
                let i = try indexValue(index, 0)
                throw FunctionError(i == 0 ? "reflect: slice index out of range" : "index out of range: \(i)")
            case .map(let map):
                guard case .string(let key)? = index else {
                    throw FunctionError("value has type \(index?.goTypeName ?? "<nil>"); should be string")
                }
                current = map[key] ?? zeroValue(map.elementTypeName)
            case .typedNil(.map, let typeName):
                guard case .string? = index else {
                    throw FunctionError("value has type \(index?.goTypeName ?? "<nil>"); should be string")
                }
                current = zeroValue(TemplateMap(typeName: typeName).elementTypeName)
            case .typedNil(.pointer, _):
                throw FunctionError("index of nil pointer")
            default:
                throw FunctionError("can't index item of type \(current.goTypeName)")
            }
        }
        return current
    }

    private static func isNull(_ value: TemplateValue) -> Bool {
        if case .null = value { return true }
        return false
    }

    private static func zeroValue(_ typeName: String) -> TemplateValue {
        switch typeName {
        case "string": return .string("")
        case "int", "int64", "int32": return .int(0)
        case "bool": return .bool(false)
        case "float64": return .double(0)
        default: return .null
        }
    }

    private static func slice(_ item: Val, _ indexes: [Val]) throws(FunctionError) -> Val {
        guard let item, !isNull(item) else { throw FunctionError("slice of untyped nil") }
        if indexes.count > 3 { throw FunctionError("too many slice indexes: \(indexes.count)") }
        let length: Int
        switch item {
        case .string(let s):
            if indexes.count == 3 { throw FunctionError("cannot 3-index slice a string") }
            length = s.utf8.count
        case .array(let a): length = a.count
        case .typedNil(.slice, _): length = 0
        default: throw FunctionError("can't slice item of type \(item.goTypeName)")
        }
        var bounds = [0, length, length]
        for (i, index) in indexes.enumerated() { bounds[i] = try indexValue(index, length) }
        if bounds[0] > bounds[1] { throw FunctionError("invalid slice index: \(bounds[0]) > \(bounds[1])") }
        if indexes.count == 3 && bounds[1] > bounds[2] {
            throw FunctionError("invalid slice index: \(bounds[1]) > \(bounds[2])")
        }
        switch item {
        case .string(let s): return .string(String(decoding: Array(s.utf8)[bounds[0]..<bounds[1]], as: UTF8.self))
        case .array(let a): return .array(Array(a[bounds[0]..<bounds[1]]))
        default: return item
        }
    }
}
