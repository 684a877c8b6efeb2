// BuildKit's first parsing pass, re-implemented from its observable behaviour: physical lines become
// logical instruction lines (directives, comments, continuations, heredoc bodies), each split into
// keyword, flags and raw arguments.

/// One logical instruction line before its arguments are interpreted.
struct RawNode: Sendable {
    var keyword: String
    var flags: [String]
    var arguments: [String]
    var isJSON = false
    var original: String
    var location: SourceLocation
    var heredocs: [Heredoc] = []
    /// ONBUILD: the trigger line, parsed the same way.
    var trigger: [RawNode] = []
}

struct LineParser {
    let text: String
    let heredocsEnabled: Bool
    var directiveReader = DirectiveReader()
    var warnings: [DockerfileWarning] = []

    init(text: String, heredocsEnabled: Bool) {
        self.text = text
        self.heredocsEnabled = heredocsEnabled
    }

    var escape: Unicode.Scalar { directiveReader.directives.escapeCharacter }

    /// Physical lines, each with its line terminator (the last one may have none).
    static func physicalLines(_ text: String) -> [String] {
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            current.append(scalar)
            if scalar == "\n" {
                lines.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        if !current.isEmpty { lines.append(String(current)) }
        return lines
    }

    static func trimNewline(_ line: String) -> String {
        var scalars = line.unicodeScalars[...]
        while let last = scalars.last, last == "\n" || last == "\r" { scalars = scalars.dropLast() }
        return String(scalars)
    }

    /// Removes a trailing escape character (optionally followed by blanks): `\` + `[ \t]*$`.
    func trimContinuation(_ line: String) -> (String, isEndOfLine: Bool) {
        var scalars = line.unicodeScalars[...]
        while let last = scalars.last, last == " " || last == "\t" { scalars = scalars.dropLast() }
        guard scalars.last == escape else { return (line, true) }
        return (String(scalars.dropLast()), false)
    }

    mutating func parse() throws(DockerfileError) -> (nodes: [RawNode], lineCount: Int) {
        var lines = Self.physicalLines(text)
        if let first = lines.first, first.unicodeScalars.first == "\u{FEFF}" {
            lines[0] = String(first.unicodeScalars.dropFirst())
        }
        var nodes: [RawNode] = []
        var index = 0
        var lineNumber = 0
        while index < lines.count {
            let token = LineSplitting.trimLeadingSpace(Self.trimNewline(lines[index]))
            index += 1
            do {
                try directiveReader.read(token)
            } catch {
                throw error.located(at: SourceLocation(line: lineNumber + 1, endLine: lineNumber + 1))
            }
            lineNumber += 1
            let processed = token.hasPrefix("#") ? "" : token
            let startLine = lineNumber
            var (line, isEndOfLine) = trimContinuation(processed)
            if isEndOfLine && line.isEmpty { continue }
            var sawEmptyContinuation = false
            while !isEndOfLine && index < lines.count {
                let continuation = Self.trimNewline(lines[index])
                index += 1
                lineNumber += 1
                let trimmed = LineSplitting.trimLeadingSpace(continuation)
                if trimmed.hasPrefix("#") { continue }
                if trimmed.isEmpty {
                    sawEmptyContinuation = true
                    continue
                }
                let (piece, end) = trimContinuation(continuation)
                line += piece
                isEndOfLine = end
            }
            if sawEmptyContinuation {
                warnings.append(DockerfileWarning(message: "[WARNING]: Empty continuation line found in:\n    " + line,
                                                  location: SourceLocation(line: startLine, endLine: lineNumber)))
            }
            var node: RawNode
            do {
                node = try makeNode(line, location: SourceLocation(line: startLine, endLine: lineNumber))
            } catch {
                throw error.located(at: SourceLocation(line: startLine, endLine: lineNumber))
            }
            if heredocsEnabled && Self.canContainHeredoc(node) {
                let delimiters: [Heredoc]
                do {
                    delimiters = try HeredocSyntax.heredocs(inLine: line)
                } catch {
                    throw error.located(at: SourceLocation(line: startLine, endLine: lineNumber))
                }
                for var heredoc in delimiters {
                    var terminated = false
                    while index < lines.count {
                        let bodyLine = lines[index]
                        index += 1
                        lineNumber += 1
                        var candidate = Self.trimNewline(bodyLine)
                        if heredoc.stripsLeadingTabs {
                            candidate = String(candidate.unicodeScalars.drop { $0 == "\t" })
                        }
                        if candidate == heredoc.name {
                            terminated = true
                            break
                        }
                        heredoc.content += bodyLine
                    }
                    guard terminated else {
                        throw DockerfileError("unterminated heredoc", location: SourceLocation(line: startLine, endLine: lineNumber))
                    }
                    node.heredocs.append(heredoc)
                }
                node.location.endLine = lineNumber
            }
            nodes.append(node)
        }
        return (nodes, lineNumber)
    }

    static func canContainHeredoc(_ node: RawNode) -> Bool {
        var target = node
        if node.keyword == "onbuild", let trigger = node.trigger.first { target = trigger }
        return ["run", "copy", "add"].contains(target.keyword) && !target.isJSON
    }

    /// Splits a logical line into keyword, flags and arguments (BuildKit's `newNodeFromLine`).
    func makeNode(_ line: String, location: SourceLocation) throws(DockerfileError) -> RawNode {
        let pieces = LineSplitting.splitSeparators(LineSplitting.trimSpace(line), limit: 2)
        let keyword = pieces[0].lowercased()
        var flags: [String] = []
        var rest = ""
        if pieces.count == 2 {
            (rest, flags) = LineSplitting.extractFlags(pieces[1])
        }
        rest = LineSplitting.trimSpace(rest)
        var node = RawNode(keyword: keyword, flags: flags, arguments: [], original: line, location: location)
        switch keyword {
        case "add", "copy", "volume":
            (node.arguments, node.isJSON) = try Self.maybeJSONToList(rest)
        case "cmd", "entrypoint", "run", "shell":
            (node.arguments, node.isJSON) = try Self.maybeJSON(rest)
        case "arg":
            node.arguments = LineSplitting.parseWords(rest, escape: escape)
        case "env":
            node.arguments = try nameValues(rest, keyword: "ENV")
        case "label":
            node.arguments = try nameValues(rest, keyword: "LABEL")
        case "expose", "from":
            node.arguments = rest.isEmpty ? [] : LineSplitting.splitSeparators(rest)
        case "healthcheck":
            let scalars = Array(rest.unicodeScalars)
            var separator = 0
            while separator < scalars.count, !isSpace(scalars[separator]) { separator += 1 }
            guard separator > 0 else { break }
            var next = separator
            while next < scalars.count, isSpace(scalars[next]) { next += 1 }
            let type = String(String.UnicodeScalarView(scalars[..<separator]))
            let command = String(String.UnicodeScalarView(scalars[next...]))
            let (arguments, isJSON) = try Self.maybeJSON(command)
            node.arguments = [type] + arguments
            node.isJSON = isJSON
        case "maintainer", "stopsignal", "user", "workdir":
            node.arguments = rest.isEmpty ? [] : [rest]
        case "onbuild":
            if !rest.isEmpty {
                node.trigger = [try makeNode(rest, location: location)]
            }
        default:
            break
        }
        return node
    }

    static func maybeJSON(_ rest: String) throws(DockerfileError) -> ([String], Bool) {
        guard !rest.isEmpty else { return ([], false) }
        switch JSONArgumentList.parse(rest) {
        case .strings(let list): return (list, true)
        case .notStringArray: throw DockerfileError("when using JSON array syntax, arrays must be comprised of strings only")
        case .notJSON: return ([rest], false)
        }
    }

    static func maybeJSONToList(_ rest: String) throws(DockerfileError) -> ([String], Bool) {
        switch JSONArgumentList.parse(rest) {
        case .strings(let list): return (list, true)
        case .notStringArray: throw DockerfileError("when using JSON array syntax, arrays must be comprised of strings only")
        case .notJSON: return (rest.isEmpty ? [] : LineSplitting.splitSeparators(rest), false)
        }
    }

    /// ENV / LABEL arguments as alternating keys and values: `k=v …` or the legacy `k value with spaces`.
    func nameValues(_ rest: String, keyword: String) throws(DockerfileError) -> [String] {
        let words = LineSplitting.parseWords(rest, escape: escape)
        guard let first = words.first else { return [] }
        if !first.unicodeScalars.contains("=") {
            let parts = LineSplitting.splitSeparators(rest, limit: 2)
            guard parts.count == 2 else { throw DockerfileError("\(keyword) must have two arguments") }
            return parts
        }
        var result: [String] = []
        for word in words {
            let scalars = word.unicodeScalars
            guard let equals = scalars.firstIndex(of: "=") else {
                throw DockerfileError("Syntax error - can't find = in \"\(word)\". Must be of the form: name=value")
            }
            result.append(String(scalars[..<equals]))
            result.append(String(scalars[scalars.index(after: equals)...]))
        }
        return result
    }
}
