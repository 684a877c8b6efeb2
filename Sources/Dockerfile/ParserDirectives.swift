/// The parser directives at the top of a Dockerfile (`# syntax=…`, `# escape=…`). They are only recognised
/// before the first instruction, comment or empty line.
public struct ParserDirectives: Sendable, Hashable {
    /// The escape character: `\` by default, `` ` `` with `# escape=``.
    public var escapeCharacter: Unicode.Scalar = "\\"
    /// The `# syntax=` frontend image, if any (Strata always uses its own frontend).
    public var syntax: String?
    /// Every recognised directive, name lowercased, in the order written.
    public var all: [(name: String, value: String)] = []

    public init() {}

    public static func == (lhs: ParserDirectives, rhs: ParserDirectives) -> Bool {
        lhs.escapeCharacter == rhs.escapeCharacter && lhs.syntax == rhs.syntax
            && lhs.all.map { $0.name + "=" + $0.value } == rhs.all.map { $0.name + "=" + $0.value }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(escapeCharacter)
        hasher.combine(syntax)
    }

    static let known: Set<String> = ["escape", "syntax", "check"]
}

/// Reads directives line by line until the first line that is not one.
struct DirectiveReader {
    var directives = ParserDirectives()
    var done = false

    /// Feeds one physical line (newline and leading whitespace removed).
    mutating func read(_ line: String) throws(DockerfileError) {
        guard !done else { return }
        guard let (name, value) = Self.match(line), ParserDirectives.known.contains(name.lowercased()) else {
            done = true
            return
        }
        let key = name.lowercased()
        if directives.all.contains(where: { $0.name == key }) {
            throw DockerfileError("only one \(key) parser directive can be used")
        }
        directives.all.append((key, value))
        switch key {
        case "escape":
            guard value == "`" || value == "\\" else {
                throw DockerfileError("invalid escape token '\(value)' does not match ` or \\")
            }
            directives.escapeCharacter = value.unicodeScalars.first!
        case "syntax":
            directives.syntax = value
        default:
            break
        }
    }

    /// `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`
    static func match(_ line: String) -> (String, String)? {
        let scalars = Array(line.unicodeScalars)
        func isGoSpace(_ s: Unicode.Scalar) -> Bool { s == " " || s == "\t" || s == "\n" || s == "\u{0C}" || s == "\r" }
        func isASCIILetter(_ s: Unicode.Scalar) -> Bool { ("a"..."z").contains(s) || ("A"..."Z").contains(s) }
        guard scalars.first == "#" else { return nil }
        var index = 1
        while index < scalars.count, isGoSpace(scalars[index]) { index += 1 }
        guard index < scalars.count, isASCIILetter(scalars[index]) else { return nil }
        var name = String.UnicodeScalarView()
        while index < scalars.count, isASCIILetter(scalars[index]) || ("0"..."9").contains(scalars[index]) {
            name.append(scalars[index])
            index += 1
        }
        while index < scalars.count, isGoSpace(scalars[index]) { index += 1 }
        guard index < scalars.count, scalars[index] == "=" else { return nil }
        index += 1
        var rest = Array(scalars[index...])
        guard !rest.isEmpty, !rest.contains("\n") else { return nil }
        while let first = rest.first, isGoSpace(first), rest.count > 1 { rest.removeFirst() }
        while let last = rest.last, isGoSpace(last), rest.count > 1 { rest.removeLast() }
        var value = String.UnicodeScalarView()
        value.append(contentsOf: rest)
        return (String(name), String(value))
    }
}
