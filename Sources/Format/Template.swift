/// An error from parsing or executing a template. `description` is Go's error text exactly, e.g.
/// `template: :1: unclosed action` or
/// `template: :1:2: executing "" at <.Nope>: can't evaluate field Nope in type *formatter.imageContext`.
/// docker prefixes it with `template parsing error: ` (see `DockerFormat.errorMessage`).
public struct TemplateError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The text is not a valid template (docker: `docker inspect` exits 64, list commands exit 1).
        case parse
        /// The template failed while running against a value (docker exits 1).
        case execution
    }

    public let kind: Kind
    public let message: String

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// What a field lookup on a map does when the key is absent (Go's `missingkey` option).
public enum MissingKeyBehavior: Sendable {
    /// Yield "no value": prints `<no value>` (Go's default).
    case noValue
    /// Fail with `map has no entry for key "X"` (docker inspect's raw-JSON fallback uses this).
    case error
}

/// Which implementations stand behind docker's extra template functions.
public enum TemplateFunctionSet: Sendable {
    /// docker CLI's `basicFunctions`: json, split, join, title, lower, upper, pad, truncate.
    case docker
    /// docker CLI's `HeaderFunctions`, used to render table headers: the string-shaped functions
    /// return their first argument unchanged so the header text survives (`pad` stays real).
    case dockerHeader
}

/// A parsed Go text/template. Parse once, execute many times.
///
/// Hand-written engine: Swift has no Go-template library, and docker users' `--format` strings
/// must behave exactly as Go's text/template does (syntax, printing, error texts).
public struct Template: Sendable {
    public let name: String
    public let source: String
    let trees: [String: [Node]]
    /// Text and single `{{.Field}}` actions only (docker's table formats): executed without the
    /// general evaluator, which matters when a listing renders tens of thousands of rows.
    private let fieldPlan: [FieldPlanPart]?

    enum FieldPlanPart: Sendable {
        case text(String)
        case field(String)
    }

    /// Names the parser accepts as functions (Go builtins plus docker's).
    static let functionNames: Set<String> = [
        "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "eq", "ne", "lt", "le", "gt",
        "ge", "html", "js", "urlquery", "call",
        "json", "split", "join", "title", "lower", "upper", "pad", "truncate",
    ]

    /// Parses `source` like `template.New(name).Funcs(dockerFuncs).Parse(source)`.
    public init(_ source: String, name: String = "") throws(TemplateError) {
        self.name = name
        self.source = source
        var parser = TemplateParser(source: source, name: name, functions: Self.functionNames)
        try parser.parse()
        trees = parser.trees
        fieldPlan = Self.fieldPlan(trees, name: name)
    }

    private static func fieldPlan(_ trees: [String: [Node]], name: String) -> [FieldPlanPart]? {
        guard trees.count == 1, let nodes = trees[name] else { return nil }
        var plan: [FieldPlanPart] = []
        for node in nodes {
            switch node {
            case .text(let text):
                plan.append(.text(text))
            case .action(let pipe):
                guard pipe.declarations.isEmpty, pipe.commands.count == 1, pipe.commands[0].args.count == 1,
                      case .field(_, let idents) = pipe.commands[0].args[0], idents.count == 1 else { return nil }
                plan.append(.field(idents[0]))
            default:
                return nil
            }
        }
        return plan
    }

    /// Executes against `data` and returns the output. On error, output produced so far is discarded
    /// (docker discards it too); use `execute(_:into:...)` to keep partial output.
    public func execute(_ data: TemplateValue, missingKey: MissingKeyBehavior = .noValue,
                        functions: TemplateFunctionSet = .docker) throws(TemplateError) -> String
    {
        var out = ""
        try execute(data, into: &out, missingKey: missingKey, functions: functions)
        return out
    }

    /// Executes, appending to `out`; on error `out` keeps what was written before the failure.
    public func execute(_ data: TemplateValue, into out: inout String, missingKey: MissingKeyBehavior = .noValue,
                        functions: TemplateFunctionSet = .docker) throws(TemplateError)
    {
        if let fieldPlan, case .structure(let value) = data, value.stringForm == nil {
            let start = out.utf8.count
            if Self.appendFields(fieldPlan, of: value, into: &out) { return }
            out = String(decoding: out.utf8.prefix(start), as: UTF8.self)  // a missing field: let Go's rules speak
        }
        var executor = TemplateExecutor(template: self, missingKey: missingKey, functions: functions, data: data)
        swap(&executor.output, &out)
        defer { swap(&executor.output, &out) }
        try executor.run()
    }

    /// Returns false, having written part of the output, when a field does not exist.
    private static func appendFields(_ plan: [FieldPlanPart], of value: TemplateStruct, into out: inout String) -> Bool {
        for part in plan {
            switch part {
            case .text(let text):
                out += text
            case .field(let name):
                guard let field = value.field(named: name) else { return false }
                if case .string(let text) = field.value { out += text } else { GoPrint.appendValue(field.value, into: &out) }
            }
        }
        return true
    }
}
