// Parse tree for the hand-written Go text/template engine. `description` mirrors Go's Node.String(),
// which execution errors quote as "at <...>".

struct NumberLiteral: Sendable {
    var text: String
    var intValue: Int64?
    var uintValue: UInt64?
    var floatValue: Double?
    var isChar: Bool

    /// Go's idealConstant: what a bare number means when nothing types it.
    var looksFloat: Bool {
        guard floatValue != nil, !isChar else { return false }
        let lower = text.lowercased()
        let isHex = lower.hasPrefix("0x") || lower.hasPrefix("-0x") || lower.hasPrefix("+0x")
        if isHex { return lower.contains("p") }
        return text.contains(where: { ".eEpP".contains($0) })
    }
}

indirect enum ArgNode: Sendable {
    case field(pos: Int, idents: [String])
    case chain(pos: Int, node: ArgNode, fields: [String])
    case identifier(pos: Int, name: String)
    case variable(pos: Int, idents: [String])
    case dot(pos: Int)
    case nilLiteral(pos: Int)
    case bool(pos: Int, value: Bool)
    case number(pos: Int, NumberLiteral)
    case string(pos: Int, quoted: String, text: String)
    case pipe(PipeNode)

    var pos: Int {
        switch self {
        case .field(let pos, _), .chain(let pos, _, _), .identifier(let pos, _), .variable(let pos, _),
            .dot(let pos), .nilLiteral(let pos), .bool(let pos, _), .number(let pos, _), .string(let pos, _, _):
            return pos
        case .pipe(let pipe): return pipe.pos
        }
    }

    var description: String {
        switch self {
        case .field(_, let idents): return idents.map { "." + $0 }.joined()
        case .chain(_, let node, let fields):
            var base: String
            if case .pipe(let pipe) = node { base = "(" + pipe.description + ")" } else { base = node.description }
            for field in fields { base += "." + field }
            return base
        case .identifier(_, let name): return name
        case .variable(_, let idents): return idents.joined(separator: ".")
        case .dot: return "."
        case .nilLiteral: return "nil"
        case .bool(_, let value): return value ? "true" : "false"
        case .number(_, let number): return number.text
        case .string(_, let quoted, _): return quoted
        case .pipe(let pipe): return pipe.description
        }
    }

    var isFieldOrVariableLike: Bool {
        switch self {
        case .field, .chain, .identifier, .variable, .pipe: return true
        default: return false
        }
    }
}

struct CommandNode: Sendable {
    var pos: Int
    var args: [ArgNode]

    var description: String {
        args.map { arg -> String in
            if case .pipe(let pipe) = arg { return "(" + pipe.description + ")" }
            return arg.description
        }.joined(separator: " ")
    }
}

struct PipeNode: Sendable {
    var pos: Int
    var line: Int
    var isAssign = false
    var declarations: [String] = []
    var commands: [CommandNode] = []

    var description: String {
        var out = ""
        if !declarations.isEmpty { out = declarations.joined(separator: ", ") + " := " }
        return out + commands.map(\.description).joined(separator: " | ")
    }
}

struct BranchNode: Sendable {
    var pos: Int
    var pipe: PipeNode
    var list: [Node]
    var elseList: [Node]?
}

indirect enum Node: Sendable {
    case text(String)
    case action(PipeNode)
    case ifNode(BranchNode)
    case rangeNode(BranchNode)
    case withNode(BranchNode)
    case template(pos: Int, name: String, pipe: PipeNode?)
    case breakNode(pos: Int)
    case continueNode(pos: Int)
}
