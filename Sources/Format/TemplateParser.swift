import GoText
// Hand-written port of Go text/template's parser (Swift has no Go-template library).
// Error texts follow Go's exactly; nesting is capped so hostile input cannot exhaust the stack.

struct TemplateParser {
    private let items: [Item]
    private var index = 0
    private var furthest = 0
    private var variables: [String] = ["$"]
    private var rangeDepth = 0
    private var depth = 0
    private var actionLine = 0
    private let functions: Set<String>
    private let name: String
    private var currentTree: String
    /// Named templates found by `define`/`block`, plus the main one under `name`.
    private(set) var trees: [String: [Node]] = [:]

    static let maxDepth = 150

    init(source: String, name: String, functions: Set<String>) {
        items = TemplateLexer.items(Array(source.utf8))
        self.name = name
        currentTree = name
        self.functions = functions
    }

    // MARK: - Token stream

    private mutating func next() -> Item {
        let item = items[min(index, items.count - 1)]
        if index < items.count - 1 { index += 1 } else { index = items.count }
        furthest = max(furthest, min(index, items.count) - 1)
        return item
    }

    private mutating func backup(_ count: Int = 1) { index -= count }

    private mutating func peek() -> Item {
        let item = next()
        backup()
        return item
    }

    private mutating func nextNonSpace() -> Item {
        var item = next()
        while item.type == .space { item = next() }
        return item
    }

    private mutating func peekNonSpace() -> Item {
        let item = nextNonSpace()
        backup()
        return item
    }

    // MARK: - Errors

    private func fail(_ message: String) -> TemplateError {
        let line = items[min(furthest, items.count - 1)].line
        return TemplateError(kind: .parse, message: "template: \(name):\(line): \(message)")
    }

    private func unexpected(_ item: Item, _ context: String) -> TemplateError {
        if item.type == .error {
            var extra = ""
            if actionLine != 0 && actionLine != item.line {
                extra = " in action started at \(name):\(actionLine)"
                if item.value.hasSuffix(" action") { extra = String(extra.dropFirst(" in action".count)) }
            }
            return fail(item.value + extra)
        }
        return fail("unexpected \(item.description) in \(context)")
    }

    private mutating func expect(_ type: ItemType, _ context: String) throws(TemplateError) -> Item {
        let item = nextNonSpace()
        if item.type != type { throw unexpected(item, context) }
        return item
    }

    // MARK: - Top level

    mutating func parse() throws(TemplateError) {
        var root: [Node] = []
        while peek().type != .eof {
            if peek().type == .leftDelim {
                let delimiterIndex = index
                _ = next()
                if nextNonSpace().type == .define {
                    try parseDefinition()
                    continue
                }
                index = delimiterIndex
            }
            let (node, terminator) = try textOrAction()
            if let terminator { throw fail("unexpected \(terminator)") }
            if let node { root.append(node) }
        }
        try add(currentTreeName: name, root)
    }

    private mutating func add(currentTreeName: String, _ list: [Node]) throws(TemplateError) {
        if let existing = trees[currentTreeName], !Self.isEmpty(existing) {
            if !Self.isEmpty(list) { throw fail("template: multiple definition of template \(GoQuote.quote(currentTreeName))") }
            return
        }
        trees[currentTreeName] = list
    }

    private static func isEmpty(_ list: [Node]) -> Bool {
        list.allSatisfy { node in
            if case .text(let text) = node { return text.allSatisfy { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" } }
            return false
        }
    }

    private mutating func parseDefinition() throws(TemplateError) {
        let context = "define clause"
        let token = nextNonSpace()
        guard token.type == .string || token.type == .rawString else { throw unexpected(token, context) }
        let treeName = try unquote(token)
        _ = try expect(.rightDelim, context)
        let savedVariables = variables
        variables = ["$"]
        let (list, end) = try itemList()
        variables = savedVariables
        if end != "{{end}}" { throw fail("unexpected \(end) in \(context)") }
        try add(currentTreeName: treeName, list)
    }

    /// Parses until `{{end}}` or `{{else}}`; returns the list and which one ended it.
    private mutating func itemList() throws(TemplateError) -> ([Node], String) {
        var list: [Node] = []
        while peekNonSpace().type != .eof {
            let (node, terminator) = try textOrAction()
            if let terminator { return (list, terminator) }
            if let node { list.append(node) }
        }
        throw fail("unexpected EOF")
    }

    /// Returns a node, or the terminator text ("{{end}}"/"{{else}}") when one was found.
    private mutating func textOrAction() throws(TemplateError) -> (Node?, String?) {
        let token = nextNonSpace()
        switch token.type {
        case .text: return (.text(token.value), nil)
        case .leftDelim:
            let saved = actionLine
            actionLine = token.line
            defer { actionLine = saved }
            return try action()
        case .comment: return (nil, nil)
        default: throw unexpected(token, "input")
        }
    }

    private mutating func action() throws(TemplateError) -> (Node?, String?) {
        let token = nextNonSpace()
        switch token.type {
        case .block: return (try blockControl(), nil)
        case .breakKeyword, .continueKeyword:
            let isBreak = token.type == .breakKeyword
            let context = isBreak ? "{{break}}" : "{{continue}}"
            let after = nextNonSpace()
            if after.type != .rightDelim { throw unexpected(after, context) }
            if rangeDepth == 0 { throw fail("\(context) outside {{range}}") }
            return (isBreak ? .breakNode(pos: token.pos) : .continueNode(pos: token.pos), nil)
        case .elseKeyword:
            let after = peekNonSpace()
            if after.type == .ifKeyword || after.type == .with { return (nil, "{{else}}") }
            _ = try expect(.rightDelim, "else")
            return (nil, "{{else}}")
        case .end:
            _ = try expect(.rightDelim, "end")
            return (nil, "{{end}}")
        case .ifKeyword: return (.ifNode(try parseControl("if")), nil)
        case .range: return (.rangeNode(try parseControl("range")), nil)
        case .with: return (.withNode(try parseControl("with")), nil)
        case .template: return (try templateControl(), nil)
        default:
            backup()
            return (.action(try pipeline("command", end: .rightDelim)), nil)
        }
    }

    private mutating func enter() throws(TemplateError) {
        depth += 1
        if depth > Self.maxDepth { throw fail("max expression depth exceeded") }
    }

    private mutating func parseControl(_ context: String) throws(TemplateError) -> BranchNode {
        try enter()
        defer { depth -= 1 }
        let savedCount = variables.count
        defer { variables.removeLast(variables.count - savedCount) }
        let pipe = try pipeline(context, end: .rightDelim)
        if context == "range" { rangeDepth += 1 }
        let (list, terminator) = try itemList()
        if context == "range" { rangeDepth -= 1 }
        var elseList: [Node]?
        if terminator == "{{else}}" {
            let following = peek()
            if context == "if" && following.type == .ifKeyword {
                _ = next()
                elseList = [.ifNode(try parseControl("if"))]
            } else if context == "with" && following.type == .with {
                _ = next()
                elseList = [.withNode(try parseControl("with"))]
            } else {
                let (list, end) = try itemList()
                if end != "{{end}}" { throw fail("expected end; found \(end)") }
                elseList = list
            }
        }
        return BranchNode(pos: pipe.pos, pipe: pipe, list: list, elseList: elseList)
    }

    private mutating func blockControl() throws(TemplateError) -> Node {
        let context = "block clause"
        let token = nextNonSpace()
        guard token.type == .string || token.type == .rawString else { throw unexpected(token, context) }
        let blockName = try unquote(token)
        let pipe = try pipeline(context, end: .rightDelim)
        try enter()
        defer { depth -= 1 }
        let savedVariables = variables
        let savedRange = rangeDepth
        variables = ["$"]
        rangeDepth = 0
        let (list, end) = try itemList()
        variables = savedVariables
        rangeDepth = savedRange
        if end != "{{end}}" { throw fail("unexpected \(end) in \(context)") }
        try add(currentTreeName: blockName, list)
        return .template(pos: token.pos, name: blockName, pipe: pipe)
    }

    private mutating func templateControl() throws(TemplateError) -> Node {
        let context = "template clause"
        let token = nextNonSpace()
        guard token.type == .string || token.type == .rawString else { throw unexpected(token, context) }
        let templateName = try unquote(token)
        var pipe: PipeNode?
        if nextNonSpace().type != .rightDelim {
            backup()
            pipe = try pipeline(context, end: .rightDelim)
        }
        return .template(pos: token.pos, name: templateName, pipe: pipe)
    }

    // MARK: - Pipelines

    private mutating func pipeline(_ context: String, end: ItemType) throws(TemplateError) -> PipeNode {
        let first = peekNonSpace()
        var pipe = PipeNode(pos: first.pos, line: first.line)
        declarations: while true {
            let v = peekNonSpace()
            guard v.type == .variable else { break }
            _ = nextNonSpace()
            let afterVariable = peek()
            let following = peekNonSpace()
            if following.type == .assign || following.type == .declare {
                pipe.isAssign = following.type == .assign
                _ = nextNonSpace()
                pipe.declarations.append(v.value)
                variables.append(v.value)
            } else if following.type == .char && following.value == "," {
                _ = nextNonSpace()
                pipe.declarations.append(v.value)
                variables.append(v.value)
                if context == "range" && pipe.declarations.count < 2 {
                    switch peekNonSpace().type {
                    case .variable, .rightDelim, .rightParen: continue declarations
                    default: throw fail("range can only initialize variables")
                    }
                }
                throw fail("too many declarations in \(context)")
            } else if afterVariable.type == .space {
                // "$x foo": the variable is an operand; rewind to it.
                backup(2)
            } else {
                backup()
            }
            break
        }
        while true {
            let token = nextNonSpace()
            if token.type == end {
                try checkPipeline(pipe, context)
                return pipe
            }
            switch token.type {
            case .bool, .charConstant, .complex, .dot, .field, .identifier, .number, .nilKeyword, .rawString,
                .string, .variable, .leftParen:
                backup()
                pipe.commands.append(try command())
            default:
                throw unexpected(token, context)
            }
        }
    }

    private func checkPipeline(_ pipe: PipeNode, _ context: String) throws(TemplateError) {
        if pipe.commands.isEmpty { throw fail("missing value for \(context)") }
        for (i, command) in pipe.commands.enumerated().dropFirst() {
            switch command.args[0] {
            case .bool, .dot, .nilLiteral, .number, .string:
                throw fail("non executable command in pipeline stage \(i + 1)")
            default: break
            }
        }
    }

    private mutating func command() throws(TemplateError) -> CommandNode {
        var command = CommandNode(pos: peekNonSpace().pos, args: [])
        loop: while true {
            _ = peekNonSpace()
            if let operand = try operand() { command.args.append(operand) }
            let token = next()
            switch token.type {
            case .space: continue loop
            case .rightDelim, .rightParen: backup()
            case .pipe: break
            default: throw unexpected(token, "operand")
            }
            break
        }
        if command.args.isEmpty { throw fail("empty command") }
        return command
    }

    private mutating func operand() throws(TemplateError) -> ArgNode? {
        guard let node = try term() else { return nil }
        guard peek().type == .field else { return node }
        let chainPos = peek().pos
        var fields: [String] = []
        while peek().type == .field { fields.append(String(next().value.dropFirst())) }
        switch node {
        case .field(_, let idents): return .field(pos: chainPos, idents: idents + fields)
        case .variable(_, let idents): return .variable(pos: chainPos, idents: idents + fields)
        case .bool, .string, .number, .nilLiteral, .dot:
            throw fail("unexpected . after term \(GoQuote.quote(node.description))")
        default: return .chain(pos: chainPos, node: node, fields: fields)
        }
    }

    private mutating func term() throws(TemplateError) -> ArgNode? {
        let token = nextNonSpace()
        switch token.type {
        case .identifier:
            if !functions.contains(token.value) { throw fail("function \(GoQuote.quote(token.value)) not defined") }
            return .identifier(pos: token.pos, name: token.value)
        case .dot: return .dot(pos: token.pos)
        case .nilKeyword: return .nilLiteral(pos: token.pos)
        case .variable:
            let idents = token.value.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            let variableName = idents.first ?? "$"
            if !variables.contains(variableName) { throw fail("undefined variable \(GoQuote.quote(variableName))") }
            return .variable(pos: token.pos, idents: idents)
        case .field: return .field(pos: token.pos, idents: [String(token.value.dropFirst())])
        case .bool: return .bool(pos: token.pos, value: token.value == "true")
        case .charConstant, .complex, .number:
            return .number(pos: token.pos, try number(token))
        case .leftParen:
            try enter()
            defer { depth -= 1 }
            return .pipe(try pipeline("parenthesized pipeline", end: .rightParen))
        case .string, .rawString:
            return .string(pos: token.pos, quoted: token.value, text: try unquote(token))
        default:
            backup()
            return nil
        }
    }

    // MARK: - Literals

    private func unquote(_ token: Item) throws(TemplateError) -> String {
        guard let text = GoLiteral.unquote(token.value) else { throw fail("invalid syntax") }
        return text
    }

    private func number(_ token: Item) throws(TemplateError) -> NumberLiteral {
        let text = token.value
        var number = NumberLiteral(text: text, isChar: false)
        if token.type == .charConstant {
            guard let scalar = GoLiteral.unquoteChar(text) else { throw fail("malformed character constant: \(text)") }
            let value = Int64(scalar.value)
            number.isChar = true
            number.intValue = value
            number.uintValue = UInt64(value)
            number.floatValue = Double(value)
            return number
        }
        if token.type == .complex || text.hasSuffix("i") {
            throw fail("complex numbers are not supported: \(GoQuote.quote(text))")
        }
        let integer = GoLiteral.parseInteger(text)
        number.uintValue = integer.unsigned
        number.intValue = integer.signed
        if let i = integer.signed, i == 0 { number.uintValue = 0 }
        if let i = number.intValue {
            number.floatValue = Double(i)
        } else if let u = number.uintValue {
            number.floatValue = Double(u)
        } else if let f = Double(String(text.filter { $0 != "_" })), !text.contains("_") || text.lowercased().hasPrefix("0x") {
            if !text.contains(where: { ".eEpP".contains($0) }) { throw fail("integer overflow: \(GoQuote.quote(text))") }
            number.floatValue = f
            if f.isFinite, f == f.rounded(), abs(f) < 9.2e18 { number.intValue = Int64(f) }
            if f.isFinite, f == f.rounded(), f >= 0, f < 1.8e19 { number.uintValue = UInt64(f) }
        }
        if number.intValue == nil && number.uintValue == nil && number.floatValue == nil {
            throw fail("illegal number syntax: \(GoQuote.quote(text))")
        }
        return number
    }
}
