// The pieces of BuildKit's line parser that split an instruction line into flags and arguments,
// re-implemented from its observable behaviour (there is no Swift Dockerfile parser to reuse).

/// Go's `unicode.IsSpace`.
@inline(__always) func isSpace(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.isWhitespace }

/// BuildKit's `[\t\v\f\r ]+` separator (no newline: logical lines never contain one outside heredocs).
@inline(__always) func isSeparatorSpace(_ scalar: Unicode.Scalar) -> Bool {
    scalar == " " || scalar == "\t" || scalar == "\u{0B}" || scalar == "\u{0C}" || scalar == "\r"
}

enum LineSplitting {
    /// Splits `text` at runs of `[\t\v\f\r ]`, keeping empty leading/trailing pieces like Go's `regexp.Split`.
    static func splitSeparators(_ text: String, limit: Int = -1) -> [String] {
        var pieces: [String] = []
        var current = String.UnicodeScalarView()
        var iterator = Array(text.unicodeScalars)[...]
        while let scalar = iterator.first {
            if isSeparatorSpace(scalar), limit < 0 || pieces.count < limit - 1 {
                pieces.append(String(current))
                current = String.UnicodeScalarView()
                while let next = iterator.first, isSeparatorSpace(next) { iterator = iterator.dropFirst() }
                continue
            }
            current.append(scalar)
            iterator = iterator.dropFirst()
        }
        pieces.append(String(current))
        return pieces
    }

    static func trimSpace(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        guard let first = scalars.firstIndex(where: { !isSpace($0) }),
              let last = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[first...last])
        return String(view)
    }

    static func trimLeadingSpace(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }) else { return "" }
        return String(scalars[first...])
    }

    /// Splits leading `--flag[=value]` words off an instruction's arguments: returns the rest and the flags
    /// (without interpreting them). Quotes and backslashes inside flag words are removed; `--` ends the flags.
    static func extractFlags(_ line: String) -> (rest: String, flags: [String]) {
        let scalars = Array(line.unicodeScalars)
        var words: [String] = []
        var word = String.UnicodeScalarView()
        var blankOK = false
        var quote: Unicode.Scalar = "\0"
        enum Phase { case spaces, word, quote }
        var phase = Phase.spaces
        func rest(from index: Int) -> String {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[index...])
            return String(view)
        }
        var position = 0
        while position <= scalars.count {
            let atEnd = position == scalars.count
            var scalar: Unicode.Scalar = atEnd ? " " : scalars[position]
            if phase == .spaces {
                if atEnd { break }
                if isSpace(scalar) { position += 1; continue }
                if scalar != "-" || position + 1 == scalars.count || scalars[position + 1] != "-" {
                    return (rest(from: position), words)
                }
                phase = .word
            }
            if atEnd {
                let text = String(word)
                if text != "--" && (blankOK || !text.isEmpty) { words.append(text) }
                break
            }
            if phase == .word {
                if isSpace(scalar) {
                    phase = .spaces
                    let text = String(word)
                    if text == "--" { return (rest(from: position), words) }
                    if blankOK || !text.isEmpty { words.append(text) }
                    word = String.UnicodeScalarView()
                    blankOK = false
                    position += 1
                    continue
                }
                if scalar == "'" || scalar == "\"" {
                    quote = scalar
                    blankOK = true
                    phase = .quote
                    position += 1
                    continue
                }
                if scalar == "\\" {
                    if position + 1 == scalars.count { position += 1; continue }
                    position += 1
                    scalar = scalars[position]
                }
                word.append(scalar)
                position += 1
                continue
            }
            // inside quotes
            if scalar == quote {
                phase = .word
                position += 1
                continue
            }
            if scalar == "\\" {
                if position + 1 == scalars.count { phase = .word; position += 1; continue }
                position += 1
                scalar = scalars[position]
            }
            word.append(scalar)
            position += 1
        }
        return ("", words)
    }

    /// Splits at unquoted whitespace keeping quotes and escapes in the words (they are removed later, when
    /// the words are expanded). Used by ENV, LABEL and ARG.
    static func parseWords(_ text: String, escape: Unicode.Scalar) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var words: [String] = []
        var word = String.UnicodeScalarView()
        var blankOK = false
        var quote: Unicode.Scalar = "\0"
        enum Phase { case spaces, word, quote }
        var phase = Phase.spaces
        var position = 0
        while position <= scalars.count {
            let atEnd = position == scalars.count
            var scalar: Unicode.Scalar = atEnd ? " " : scalars[position]
            if phase == .spaces {
                if atEnd { break }
                if isSpace(scalar) { position += 1; continue }
                phase = .word
            }
            if atEnd {
                if blankOK || !word.isEmpty { words.append(String(word)) }
                break
            }
            if phase == .word {
                if isSpace(scalar) {
                    phase = .spaces
                    if blankOK || !word.isEmpty { words.append(String(word)) }
                    word = String.UnicodeScalarView()
                    blankOK = false
                    position += 1
                    continue
                }
                if scalar == "'" || scalar == "\"" {
                    quote = scalar
                    blankOK = true
                    phase = .quote
                }
                if scalar == escape {
                    if position + 1 == scalars.count { position += 1; continue }
                    word.append(scalar)
                    position += 1
                    scalar = scalars[position]
                }
                word.append(scalar)
                position += 1
                continue
            }
            if scalar == quote { phase = .word }
            if scalar == escape && quote != "'" {
                if position + 1 == scalars.count { phase = .word; position += 1; continue }
                word.append(scalar)
                position += 1
                scalar = scalars[position]
            }
            word.append(scalar)
            position += 1
        }
        return words
    }
}
