import GoText
// Hand-written port of Go text/template's execution rules (Swift has no Go-template library).

/// A value during execution; nil is Go's invalid reflect.Value (what prints as `<no value>`).
typealias Val = TemplateValue?

/// The value piped in from the previous command, if any.
enum Final {
    case none
    case value(Val)

    var isPresent: Bool {
        if case .none = self { return false }
        return true
    }
}

/// The node execution is "at", quoted in error messages.
enum ErrorSite {
    case arg(ArgNode)
    case command(CommandNode)
    case pipe(PipeNode)
    case template(pos: Int, name: String, pipe: PipeNode?)

    var pos: Int {
        switch self {
        case .arg(let node): return node.pos
        case .command(let command): return command.pos
        case .pipe(let pipe): return pipe.pos
        case .template(let pos, _, _): return pos
        }
    }

    var description: String {
        switch self {
        case .arg(let node): return node.description
        case .command(let command): return command.description
        case .pipe(let pipe): return pipe.description
        case .template(_, let name, let pipe):
            return "{{template \(GoQuote.quote(name))" + (pipe.map { " " + $0.description } ?? "") + "}}"
        }
    }
}

enum Flow { case normal, breakLoop, continueLoop }

struct TemplateExecutor {
    let template: Template
    let missingKey: MissingKeyBehavior
    let functions: TemplateFunctionSet
    var output = ""
    private var variables: [(name: String, value: Val)]
    private var currentName: String
    private var site: ErrorSite?
    private var depth = 0
    private var operations = 0
    private let data: TemplateValue

    static let maxTemplateDepth = 100
    static let maxOperations = 10_000_000
    static let maxOutputBytes = 256 << 20

    init(template: Template, missingKey: MissingKeyBehavior, functions: TemplateFunctionSet, data: TemplateValue) {
        self.template = template
        self.missingKey = missingKey
        self.functions = functions
        self.data = data
        variables = [("$", data)]
        currentName = template.name
    }

    mutating func run() throws(TemplateError) {
        guard let root = template.trees[template.name] else {
            throw TemplateError(kind: .execution, message: "template: \(GoQuote.quote(template.name)) is an incomplete or empty template")
        }
        _ = try walk(data, root)
    }

    // MARK: - Errors

    func fail(_ message: String) -> TemplateError {
        guard let site else {
            return TemplateError(kind: .execution, message: "template: \(currentName): \(message)")
        }
        let bytes = template.source.utf8
        let pos = min(site.pos, bytes.count)
        var line = 1
        var lineStart = 0
        var offset = 0
        for byte in bytes.prefix(pos) {
            offset += 1
            if byte == 0x0A {
                line += 1
                lineStart = offset
            }
        }
        var context = site.description
        if context.unicodeScalars.count > 20 {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: context.unicodeScalars.prefix(20))
            context = String(view) + "..."
        }
        return TemplateError(kind: .execution, message:
            "template: \(template.name):\(line):\(pos - lineStart): executing \(GoQuote.quote(currentName)) at <\(context)>: \(message)")
    }

    private mutating func tick() throws(TemplateError) {
        operations += 1
        if operations > Self.maxOperations { throw fail("exceeded maximum number of operations (\(Self.maxOperations))") }
        if output.utf8.count > Self.maxOutputBytes { throw fail("output exceeds \(Self.maxOutputBytes) bytes") }
    }

    // MARK: - Variables

    private func variable(_ name: String) throws(TemplateError) -> Val {
        for entry in variables.reversed() where entry.name == name { return entry.value }
        throw fail("undefined variable: \(name)")
    }

    private mutating func setVariable(_ name: String, _ value: Val) throws(TemplateError) {
        for i in variables.indices.reversed() where variables[i].name == name {
            variables[i].value = value
            return
        }
        throw fail("undefined variable: \(name)")
    }

    private mutating func pop(to mark: Int) {
        if variables.count > mark { variables.removeLast(variables.count - mark) }
    }

    // MARK: - Walking

    private mutating func walk(_ dot: Val, _ nodes: [Node]) throws(TemplateError) -> Flow {
        for node in nodes {
            let flow = try walk(dot, node)
            if flow != .normal { return flow }
        }
        return .normal
    }

    private mutating func walk(_ dot: Val, _ node: Node) throws(TemplateError) -> Flow {
        try tick()
        switch node {
        case .text(let text):
            output += text
        case .action(let pipe):
            let value = try evalPipeline(dot, pipe)
            if pipe.declarations.isEmpty {
                if let value { GoPrint.appendValue(value, into: &output) } else { output += "<no value>" }
            }
        case .ifNode(let branch):
            return try walkIfOrWith(isWith: false, dot, branch)
        case .withNode(let branch):
            return try walkIfOrWith(isWith: true, dot, branch)
        case .rangeNode(let branch):
            try walkRange(dot, branch)
        case .template(let pos, let name, let pipe):
            try walkTemplate(dot, pos: pos, name: name, pipe: pipe)
        case .breakNode:
            return .breakLoop
        case .continueNode:
            return .continueLoop
        }
        return .normal
    }

    private mutating func walkIfOrWith(isWith: Bool, _ dot: Val, _ branch: BranchNode) throws(TemplateError) -> Flow {
        let mark = variables.count
        defer { pop(to: mark) }
        let value = try evalPipeline(dot, branch.pipe)
        if value?.isTruthy ?? false {
            return try walk(isWith ? value : dot, branch.list)
        } else if let elseList = branch.elseList {
            return try walk(dot, elseList)
        }
        return .normal
    }

    private mutating func walkRange(_ dot: Val, _ branch: BranchNode) throws(TemplateError) {
        let outerMark = variables.count
        defer { pop(to: outerMark) }
        let value = try evalPipeline(dot, branch.pipe)
        let mark = variables.count
        let declarations = branch.pipe.declarations
        func iterate(_ this: inout TemplateExecutor, _ index: TemplateValue, _ element: TemplateValue) throws(TemplateError) -> Flow {
            if !declarations.isEmpty {
                if branch.pipe.isAssign {
                    try this.setVariable(declarations[0], declarations.count > 1 ? index : element)
                    if declarations.count > 1 { try this.setVariable(declarations[1], element) }
                } else {
                    this.variables[this.variables.count - 1].value = element
                    if declarations.count > 1 { this.variables[this.variables.count - 2].value = index }
                }
            }
            defer { this.pop(to: mark) }
            return try this.walk(element, branch.list)
        }
        switch value {
        case .array(let elements) where !elements.isEmpty:
            for (i, element) in elements.enumerated() where try iterate(&self, .int(Int64(i)), element) == .breakLoop {
                break
            }
            return
        case .map(let map) where map.count > 0:
            for key in map.sortedKeys where try iterate(&self, .string(key), map[key] ?? .null) == .breakLoop {
                break
            }
            return
        case .array, .map, .none, .typedNil(.slice, _), .typedNil(.map, _):
            break
        case .some(let other):
            throw fail("range can't iterate over \(GoPrint.string(other))")
        }
        if let elseList = branch.elseList { _ = try walk(dot, elseList) }
    }

    private mutating func walkTemplate(_ dot: Val, pos: Int, name: String, pipe: PipeNode?) throws(TemplateError) {
        site = .template(pos: pos, name: name, pipe: pipe)
        guard let tree = template.trees[name] else { throw fail("template \(GoQuote.quote(name)) not defined") }
        if depth >= Self.maxTemplateDepth { throw fail("exceeded maximum template depth (\(Self.maxTemplateDepth))") }
        let newDot: Val = try pipe.map { (pipe) throws(TemplateError) -> Val in try evalPipeline(dot, pipe) } ?? nil
        let savedVariables = variables
        let savedName = currentName
        variables = [("$", newDot)]
        currentName = name
        depth += 1
        defer {
            depth -= 1
            variables = savedVariables
            currentName = savedName
        }
        _ = try walk(newDot, tree)
    }

    // MARK: - Pipelines and commands

    mutating func evalPipeline(_ dot: Val, _ pipe: PipeNode) throws(TemplateError) -> Val {
        site = .pipe(pipe)
        var final = Final.none
        var value: Val = nil
        for command in pipe.commands {
            value = try evalCommand(dot, command, final)
            if case .null? = value { value = nil }  // Go digs a nil interface{} out to "no value"
            final = .value(value)
        }
        for name in pipe.declarations {
            if pipe.isAssign { try setVariable(name, value) } else { variables.append((name, value)) }
        }
        return value
    }

    private mutating func evalCommand(_ dot: Val, _ command: CommandNode, _ final: Final) throws(TemplateError) -> Val {
        let first = command.args[0]
        switch first {
        case .field(_, let idents): return try evalFieldNode(dot, first, idents, command.args, final)
        case .chain(_, let node, let fields): return try evalChainNode(dot, first, node, fields, command.args, final)
        case .identifier(_, let name):
            return try evalFunction(dot, first, name, callSite: .command(command), Array(command.args.dropFirst()), final)
        case .pipe(let pipe):
            try notAFunction(command.args, final)
            return try evalPipeline(dot, pipe)
        case .variable(_, let idents): return try evalVariableNode(dot, first, idents, command.args, final)
        default: break
        }
        site = .arg(first)
        try notAFunction(command.args, final)
        switch first {
        case .bool(_, let value): return .bool(value)
        case .dot: return dot
        case .nilLiteral: throw fail("nil is not a command")
        case .number(_, let number): return try idealConstant(number)
        case .string(_, _, let text): return .string(text)
        default: return nil
        }
    }

    private func notAFunction(_ args: [ArgNode], _ final: Final) throws(TemplateError) {
        if args.count > 1 || final.isPresent { throw fail("can't give argument to non-function \(args[0].description)") }
    }

    private mutating func idealConstant(_ number: NumberLiteral) throws(TemplateError) -> Val {
        if number.looksFloat, let f = number.floatValue { return .double(f) }
        if let i = number.intValue { return .int(i) }
        if number.uintValue != nil { throw fail("\(number.text) overflows int") }
        return nil
    }

    // MARK: - Fields

    private mutating func evalFieldNode(_ dot: Val, _ node: ArgNode, _ idents: [String], _ args: [ArgNode],
                                        _ final: Final) throws(TemplateError) -> Val
    {
        site = .arg(node)
        return try evalFieldChain(dot, receiver: dot, idents[...], args, final)
    }

    private mutating func evalChainNode(_ dot: Val, _ chain: ArgNode, _ node: ArgNode, _ fields: [String],
                                        _ args: [ArgNode], _ final: Final) throws(TemplateError) -> Val
    {
        site = .arg(chain)
        if case .nilLiteral = node { throw fail("indirection through explicit nil in \(chain.description)") }
        let receiver = try evalNodeValue(dot, node)
        site = .arg(chain)
        return try evalFieldChain(dot, receiver: receiver, fields[...], args, final)
    }

    private mutating func evalVariableNode(_ dot: Val, _ node: ArgNode, _ idents: [String], _ args: [ArgNode],
                                           _ final: Final) throws(TemplateError) -> Val
    {
        site = .arg(node)
        let value = try variable(idents[0])
        if idents.count == 1 {
            try notAFunction(args, final)
            return value
        }
        return try evalFieldChain(dot, receiver: value, idents.dropFirst(), args, final)
    }

    private func evalFieldChain(_ dot: Val, receiver: Val, _ idents: ArraySlice<String>, _ args: [ArgNode],
                                _ final: Final) throws(TemplateError) -> Val
    {
        var receiver = receiver
        var staticType: String?
        for (offset, name) in idents.enumerated() {
            let isLast = offset == idents.count - 1
            (receiver, staticType) = try evalField(name, isLast ? args : [], isLast ? final : .none, receiver, staticType)
        }
        return receiver
    }

    private func evalField(_ name: String, _ args: [ArgNode], _ final: Final, _ receiver: Val,
                           _ staticType: String?) throws(TemplateError) -> (Val, String?)
    {
        guard let receiver else {
            if missingKey == .error { throw fail("nil data; no entry for key \(GoQuote.quote(name))") }
            return (nil, nil)
        }
        let typeName: String
        if case .null = receiver { typeName = staticType ?? "interface {}" } else { typeName = staticType ?? receiver.goTypeName }
        let hasArgs = args.count > 1 || final.isPresent
        switch receiver {
        case .null:
            throw fail("nil pointer evaluating \(typeName).\(name)")
        case .structure(let structure):
            if let field = structure.field(named: name) {
                if hasArgs { throw fail("\(name) has arguments but cannot be invoked as function") }
                return (field.value, field.typeName)
            }
        case .map(let map):
            if hasArgs { throw fail("\(name) is not a method but has arguments") }
            if let value = map[name] { return (value, map.elementTypeName) }
            if missingKey == .error { throw fail("map has no entry for key \(GoQuote.quote(name))") }
            return (nil, nil)
        case .typedNil(.map, _):
            if hasArgs { throw fail("\(name) is not a method but has arguments") }
            if missingKey == .error { throw fail("map has no entry for key \(GoQuote.quote(name))") }
            return (nil, nil)
        case .typedNil(.pointer, _):
            throw fail("nil pointer evaluating \(typeName).\(name)")
        default:
            break
        }
        throw fail("can't evaluate field \(name) in type \(typeName)")
    }

    // MARK: - Functions

    private mutating func evalFunction(_ dot: Val, _ node: ArgNode, _ name: String, callSite: ErrorSite,
                                       _ args: [ArgNode], _ final: Final) throws(TemplateError) -> Val
    {
        site = .arg(node)
        guard let function = TemplateFunctions.lookup(name, functions) else {
            throw fail("\(GoQuote.quote(name)) is not a defined function")
        }
        let argumentCount = args.count + (final.isPresent ? 1 : 0)
        if let variadic = function.variadic {
            _ = variadic
            if argumentCount < function.fixed.count {
                throw fail("wrong number of args for \(name): want at least \(function.fixed.count) got \(args.count)")
            }
        } else if argumentCount != function.fixed.count {
            throw fail("wrong number of args for \(name): want \(function.fixed.count) got \(argumentCount)")
        }
        func parameterType(_ i: Int) -> ParamType { i < function.fixed.count ? function.fixed[i] : function.variadic ?? .any }

        if name == "and" || name == "or" {
            var value: Val = nil
            for arg in args {
                value = try evalArg(dot, .value, arg)
                if (value?.isTruthy ?? false) == (name == "or") { return value }
            }
            if case .value(let finalValue) = final { value = finalValue }
            return value
        }
        var argv: [Val] = []
        argv.reserveCapacity(argumentCount)
        for (i, arg) in args.enumerated() { argv.append(try evalArg(dot, parameterType(i), arg)) }
        if case .value(let finalValue) = final { argv.append(try validateType(finalValue, parameterType(args.count))) }
        do {
            return try function.call(argv)
        } catch {
            site = callSite
            throw fail("error calling \(name): \(error.message)")
        }
    }

    /// Evaluates a node whose value is used as-is (chain receivers).
    private mutating func evalNodeValue(_ dot: Val, _ node: ArgNode) throws(TemplateError) -> Val {
        try evalEmptyInterface(dot, node)
    }

    private mutating func evalArg(_ dot: Val, _ type: ParamType, _ node: ArgNode) throws(TemplateError) -> Val {
        site = .arg(node)
        switch node {
        case .dot: return try validateType(dot, type)
        case .nilLiteral:
            switch type {
            case .any: return .null
            case .value: return nil
            case .stringSlice: return .typedNil(.slice, typeName: "[]string")
            default: throw fail("cannot assign nil to \(type.goName)")
            }
        case .field, .variable, .pipe, .identifier, .chain:
            return try validateType(try evalEmptyInterface(dot, node), type)
        default: break
        }
        switch type {
        case .any, .value: return try evalEmptyInterface(dot, node)
        case .string:
            if case .string(_, _, let text) = node { return .string(text) }
            throw fail("expected string; found \(node.description)")
        case .int:
            if case .number(_, let number) = node, let i = number.intValue { return .int(i) }
            throw fail("expected integer; found \(node.description)")
        case .stringSlice:
            throw fail("can't handle \(node.description) for arg of type []string")
        }
    }

    private func validateType(_ value: Val, _ type: ParamType) throws(TemplateError) -> Val {
        guard let value else {
            switch type {
            case .any: return .null
            case .value: return nil
            case .stringSlice: return .typedNil(.slice, typeName: "[]string")
            case .string, .int: throw fail("invalid value; expected \(type.goName)")
            }
        }
        switch (type, value) {
        case (.any, _), (.value, _), (.string, .string), (.int, .int), (.stringSlice, .array),
            (.stringSlice, .typedNil(.slice, _)), (.stringSlice, .null):
            return value
        default:
            let got: String
            if case .null = value { got = "interface {}" } else { got = value.goTypeName }
            throw fail("wrong type for value; expected \(type.goName); got \(got)")
        }
    }

    private mutating func evalEmptyInterface(_ dot: Val, _ node: ArgNode) throws(TemplateError) -> Val {
        site = .arg(node)
        switch node {
        case .bool(_, let value): return .bool(value)
        case .dot: return dot
        case .field(_, let idents): return try evalFieldNode(dot, node, idents, [node], .none)
        case .identifier(_, let name): return try evalFunction(dot, node, name, callSite: .arg(node), [], .none)
        case .nilLiteral: throw fail("evalEmptyInterface: nil (can't happen)")
        case .number(_, let number): return try idealConstant(number)
        case .string(_, _, let text): return .string(text)
        case .variable(_, let idents): return try evalVariableNode(dot, node, idents, [], .none)
        case .pipe(let pipe): return try evalPipeline(dot, pipe)
        case .chain(_, let inner, let fields): return try evalChainNode(dot, node, inner, fields, [], .none)
        }
    }
}
