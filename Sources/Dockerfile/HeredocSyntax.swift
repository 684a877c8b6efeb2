/// Recognises heredoc words (`<<EOF`, `<<-EOF`, `<<"EOF"`, `3<<EOF`) the way BuildKit's dockerfile frontend
/// does: the line is split into words with quotes kept, and each word matching `^(\d*)<<(-?)([^<]*)$`
/// whose rest is one word names a heredoc.
enum HeredocSyntax {
    static func heredocs(inLine line: String) throws(DockerfileError) -> [Heredoc] {
        var lexer = VariableExpander(escapeCharacter: "\\")
        lexer.keepQuotes = true
        lexer.keepEscapes = true
        guard let words = try? lexer.expandWords(line, environment: [:]) else { return [] }
        var result: [Heredoc] = []
        for word in words {
            if let heredoc = try heredoc(word) { result.append(heredoc) }
        }
        return result
    }

    /// The heredoc a single word introduces, with an empty body; nil when the word is not a heredoc.
    static func heredoc(_ word: String) throws(DockerfileError) -> Heredoc? {
        var scalars = word.unicodeScalars[...]
        var digits = ""
        while let digit = scalars.first, ("0"..."9").contains(digit) {
            digits.unicodeScalars.append(digit)
            scalars = scalars.dropFirst()
        }
        guard scalars.starts(with: "<<".unicodeScalars) else { return nil }
        scalars = scalars.dropFirst(2)
        var strips = false
        if scalars.first == "-" {
            strips = true
            scalars = scalars.dropFirst()
        }
        guard !scalars.isEmpty, !scalars.contains("<") else { return nil }
        let rest = String(scalars)
        var lexer = VariableExpander(escapeCharacter: "\\")
        lexer.skipUnsetVariables = true
        let words = try lexer.expandWords(rest, environment: [:])
        guard words.count == 1 else { return nil }
        lexer.keepQuotes = true
        let rawWords = try lexer.expandWords(rest, environment: [:])
        guard rawWords.count == words.count else {
            throw DockerfileError("internal lexing of heredoc produced inconsistent results: \(rest)")
        }
        func quotes(_ text: String) -> Int { text.unicodeScalars.filter { $0 == "'" || $0 == "\"" }.count }
        return Heredoc(name: words[0], content: "", stripsLeadingTabs: strips,
                       expands: quotes(words[0]) == quotes(rawWords[0]), fileDescriptor: Int(digits.prefix(9)) ?? 0)
    }
}
