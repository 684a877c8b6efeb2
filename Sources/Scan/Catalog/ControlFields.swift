// Hand-written reader of deb822 stanzas (dpkg status, DEP-5 copyright files) and RFC 822 header blocks
// (Python METADATA/PKG-INFO): `Name: value` lines, continuation lines starting with a space or a tab,
// stanzas separated by blank lines.

/// One stanza: its fields in order, and where it began.
struct ControlStanza {
    var fields: [(name: Substring, value: Substring)] = []
    /// 1-based line number of the stanza's first field.
    var line: Int = 0

    /// The first value of a field (names compare without regard to ASCII case), its first line only.
    func first(_ name: String) -> Substring? {
        for field in fields where field.name.count == name.utf8.count && field.name.lowercased() == name.lowercased() {
            return firstLine(of: field.value)
        }
        return nil
    }

    /// Every value of a field, whole (continuation lines joined with newlines).
    func all(_ name: String) -> [Substring] {
        fields.filter { $0.name.count == name.utf8.count && $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    private func firstLine(of value: Substring) -> Substring {
        guard let newline = value.firstIndex(of: "\n") else { return value }
        return value[..<newline]
    }
}

enum ControlFields {
    /// Splits `text` into stanzas. With `headerOnly` (RFC 822), reading stops at the first blank line.
    /// Lines that are neither a field nor a continuation are counted in `malformedLines` (their numbers).
    static func stanzas(_ text: String, headerOnly: Bool = false, malformedLines: inout [Int]) -> [ControlStanza] {
        var stanzas: [ControlStanza] = []
        var current = ControlStanza()
        var lineNumber = 0
        // Continuation lines extend the last field; kept as ranges of `text` joined at the end.
        var pendingName: Substring?
        var pendingValue = ""
        var pendingIsSingleLine = true
        var pendingFirst: Substring = ""

        func flushField() {
            guard let name = pendingName else { return }
            current.fields.append((name, pendingIsSingleLine ? pendingFirst : Substring(pendingValue)))
            pendingName = nil
        }
        func flushStanza() {
            flushField()
            if !current.fields.isEmpty { stanzas.append(current) }
            current = ControlStanza()
        }

        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) {
                if headerOnly && (pendingName != nil || !current.fields.isEmpty) { break }
                flushStanza()
                continue
            }
            if let first = line.first, first == " " || first == "\t" {
                if pendingName != nil {
                    if pendingIsSingleLine { pendingValue = String(pendingFirst); pendingIsSingleLine = false }
                    pendingValue += "\n" + line.drop(while: { $0 == " " || $0 == "\t" })
                } else {
                    malformedLines.append(lineNumber)
                }
                continue
            }
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
                malformedLines.append(lineNumber)
                continue
            }
            flushField()
            if current.fields.isEmpty { current.line = lineNumber }
            pendingName = line[..<colon]
            pendingFirst = trimmed(line[line.index(after: colon)...])
            pendingIsSingleLine = true
        }
        flushStanza()
        return stanzas
    }

    static func trimmed(_ text: Substring) -> Substring {
        var text = text
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" || last == "\r" { text = text.dropLast() }
        return text
    }

    /// One warning line for the malformed lines of `path`, or nil when there were none.
    static func malformedWarning(_ path: String, _ lines: [Int]) -> String? {
        guard let first = lines.first else { return nil }
        let count = lines.count == 1 ? "a malformed line" : "\(lines.count) malformed lines"
        return "/\(path): \(count) (first at line \(first)) skipped"
    }
}
