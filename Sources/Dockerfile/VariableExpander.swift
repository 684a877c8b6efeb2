import GoText
import OCI
// Docker's shell-word lexer (moby `shell.Lex`), re-implemented here from its observable behaviour because
// there is no Swift equivalent: it expands `$v` / `${v…}` and removes quotes and escapes, without running a shell.

/// Expands environment variables in Dockerfile words the way the builder does for ADD, COPY, ENV, EXPOSE,
/// FROM, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR and ARG (RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK and
/// ONBUILD are never expanded by the builder).
///
/// Supported: `$name`, `${name}`, `${name:-word}`, `${name-word}`, `${name:+word}`, `${name+word}`,
/// `${name:?message}`, `${name?message}`, single quotes (literal), double quotes (only `$`, `"` and the
/// escape character are special), and the escape character (`\` or the `# escape=` one).
public struct VariableExpander: Sendable {
    /// The escape character of the Dockerfile (`\` unless `# escape=` changed it).
    public var escapeCharacter: Unicode.Scalar
    /// Leave unset variables as written (`$x`, `${x:-y}`) instead of expanding them to empty strings.
    public var skipUnsetVariables = false
    /// Keep quote characters in the result (used to tell quoted heredoc delimiters apart).
    public var keepQuotes = false
    /// Keep escape characters in the result.
    public var keepEscapes = false

    public init(escapeCharacter: Unicode.Scalar = "\\") {
        self.escapeCharacter = escapeCharacter
    }

    /// Expands `word` as one word: quotes removed, whitespace kept (docker's `ProcessWord`).
    public func expand(_ word: String, environment: [String: String]) throws(DockerfileError) -> String {
        try process(word, environment: environment).word
    }

    /// Expands `word` and splits it into words at unquoted whitespace, also whitespace that came from a
    /// variable's value (docker's `ProcessWords`, used for EXPOSE).
    public func expandWords(_ word: String, environment: [String: String]) throws(DockerfileError) -> [String] {
        try process(word, environment: environment).words
    }

    /// The environment as docker builds it from `KEY=value` entries: a later entry overrides an earlier one,
    /// an entry without `=` defines an empty value.
    public static func environment(_ entries: [String]) -> [String: String] {
        var result: [String: String] = [:]
        for entry in entries {
            if let equals = entry.firstIndex(of: "=") {
                result[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
            } else {
                result[entry] = ""
            }
        }
        return result
    }

    func process(_ source: String, environment: [String: String]) throws(DockerfileError) -> (word: String, words: [String]) {
        var lexer = ShellWordLexer(scalars: Array(source.unicodeScalars), options: self, environment: environment)
        do {
            return try lexer.processUntil(nil)
        } catch {
            throw DockerfileError("failed to process \"\(Self.goQuoted(source))\": \(error.message)")
        }
    }

    /// Go's `%q` body (OCI's `strconv.Quote` without the outer quotes): the errors quote the source as `fmt` would.
    static func goQuoted(_ text: String) -> String { String(GoQuote.quote(text).dropFirst().dropLast()) }
}

struct LexerError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// Collects the result in both modes at once: one word, and words split at unquoted whitespace.
private struct WordCollector {
    var word = ""
    var words: [String] = []
    var inWord = false

    mutating func addCharacter(_ scalar: Unicode.Scalar) {
        if scalar.properties.isWhitespace {
            if inWord && !word.isEmpty {
                words.append(word)
                word = ""
                inWord = false
            }
        } else {
            addRawCharacter(scalar)
        }
    }

    mutating func addRawCharacter(_ scalar: Unicode.Scalar) {
        word.unicodeScalars.append(scalar)
        inWord = true
    }

    mutating func addString(_ text: String) {
        for scalar in text.unicodeScalars { addCharacter(scalar) }
    }

    mutating func addRawString(_ text: String) {
        word += text
        inWord = true
    }

    mutating func finish() -> [String] {
        if !word.isEmpty {
            words.append(word)
            word = ""
            inWord = false
        }
        return words
    }
}

private struct ShellWordLexer {
    let scalars: [Unicode.Scalar]
    let options: VariableExpander
    let environment: [String: String]
    var position = 0

    init(scalars: [Unicode.Scalar], options: VariableExpander, environment: [String: String]) {
        self.scalars = scalars
        self.options = options
        self.environment = environment
    }

    var escape: Unicode.Scalar { options.escapeCharacter }

    func peek() -> Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

    mutating func next() -> Unicode.Scalar? {
        guard position < scalars.count else { return nil }
        defer { position += 1 }
        return scalars[position]
    }

    mutating func processUntil(_ stop: Unicode.Scalar?, rawEscapes: Bool = false) throws(LexerError) -> (word: String, words: [String]) {
        var result = ""
        var collector = WordCollector()
        while let scalar = peek() {
            if let stop, scalar == stop {
                _ = next()
                return (result, collector.finish())
            }
            switch scalar {
            case "'":
                let text = try processSingleQuote()
                result += text
                collector.addRawString(text)
            case "\"":
                let text = try processDoubleQuote()
                result += text
                collector.addRawString(text)
            case "$":
                let text = try processDollar()
                result += text
                collector.addString(text)
            default:
                var character = next()!
                if character == escape {
                    if options.keepEscapes || rawEscapes {
                        result.unicodeScalars.append(character)
                        collector.addRawCharacter(character)
                    }
                    guard let escaped = next() else { break }
                    character = escaped
                    collector.addRawCharacter(character)
                } else {
                    collector.addCharacter(character)
                }
                result.unicodeScalars.append(character)
            }
        }
        if let stop {
            throw LexerError("unexpected end of statement while looking for matching \(Character(stop))")
        }
        return (result, collector.finish())
    }

    mutating func processSingleQuote() throws(LexerError) -> String {
        var result = ""
        let open = next()!
        if options.keepQuotes { result.unicodeScalars.append(open) }
        while true {
            guard let scalar = next() else {
                throw LexerError("unexpected end of statement while looking for matching single-quote")
            }
            if scalar == "'" {
                if options.keepQuotes { result.unicodeScalars.append(scalar) }
                return result
            }
            result.unicodeScalars.append(scalar)
        }
    }

    mutating func processDoubleQuote() throws(LexerError) -> String {
        var result = ""
        let open = next()!
        if options.keepQuotes { result.unicodeScalars.append(open) }
        while true {
            guard let scalar = peek() else {
                throw LexerError("unexpected end of statement while looking for matching double-quote")
            }
            switch scalar {
            case "\"":
                _ = next()
                if options.keepQuotes { result.unicodeScalars.append(scalar) }
                return result
            case "$":
                result += try processDollar()
            default:
                var character = next()!
                if character == escape {
                    guard let following = peek() else { continue }
                    if following == "\"" || following == "$" || following == escape {
                        if options.keepEscapes { result.unicodeScalars.append(character) }
                        character = next()!
                    }
                }
                result.unicodeScalars.append(character)
            }
        }
    }

    func lookup(_ name: String) -> String? { environment[name] }

    mutating func processDollar() throws(LexerError) -> String {
        _ = next()
        guard peek() == "{" else {
            let name = processName()
            if name.isEmpty { return "$" }
            if let value = lookup(name) { return value }
            return options.skipUnsetVariables ? "$" + name : ""
        }
        _ = next()
        switch peek() {
        case nil: throw LexerError("syntax error: missing '}'")
        case "{", "}", ":": throw LexerError("syntax error: bad substitution")
        default: break
        }
        let name = processName()
        // BuildKit 20.10 words a name not followed by `}`, `:` or a known modifier this way.
        guard var modifier = next() else { throw LexerError("missing ':' in substitution") }
        if modifier == "}" {
            if let value = lookup(name) { return value }
            return options.skipUnsetVariables ? "${\(name)}" : ""
        }
        var modifierText = String(Character(modifier))
        var nullIsUnset = false
        if modifier == ":" {
            nullIsUnset = true
            guard let following = next() else { throw LexerError("syntax error: missing '}'") }
            modifier = following
            modifierText.unicodeScalars.append(following)
        }
        guard modifier == "-" || modifier == "+" || modifier == "?" else {
            guard nullIsUnset else { throw LexerError("missing ':' in substitution") }
            throw LexerError("unsupported modifier (\(String(Character(modifier)))) in substitution")
        }
        let word: String
        do {
            word = try processUntil("}").word
        } catch {
            if peek() == nil { throw LexerError("syntax error: missing '}'") }
            throw error
        }
        let value = lookup(name)
        if value == nil && options.skipUnsetVariables {
            return "${\(name)\(modifierText)\(word)}"
        }
        let isUnset = value == nil || (nullIsUnset && value == "")
        switch modifier {
        case "-":
            return isUnset ? word : value!
        case "+":
            return isUnset ? "" : word
        default:
            guard let value else {
                throw LexerError("\(name): \(word.isEmpty ? "is not allowed to be unset" : word)")
            }
            if nullIsUnset && value.isEmpty {
                throw LexerError("\(name): \(word.isEmpty ? "is not allowed to be empty" : word)")
            }
            return value
        }
    }

    /// A variable name: letters, digits and `_`; or a run of digits; or one special parameter character.
    mutating func processName() -> String {
        var name = ""
        while let scalar = peek() {
            let properties = scalar.properties
            if name.isEmpty && properties.numericType == .decimal {
                while let digit = peek(), digit.properties.numericType == .decimal {
                    name.unicodeScalars.append(next()!)
                }
                return name
            }
            if name.isEmpty && "@*#?-$!0".unicodeScalars.contains(scalar) {
                _ = next()
                return String(Character(scalar))
            }
            guard properties.isAlphabetic && properties.generalCategory.isLetter
                || properties.numericType == .decimal || scalar == "_" else { break }
            name.unicodeScalars.append(next()!)
        }
        return name
    }
}

private extension Unicode.GeneralCategory {
    var isLetter: Bool {
        switch self {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: true
        default: false
        }
    }
}
