import GoText
// Hand-written port of Go text/template's lexer rules (Swift has no Go-template library).
// Works on UTF-8 bytes so positions match Go's byte offsets in error messages.

enum ItemType: Equatable {
    case error, bool, char, charConstant, complex, assign, declare, eof, field, identifier
    case leftDelim, leftParen, number, pipe, rawString, rightDelim, rightParen, space, string, text, variable
    case comment
    // keywords
    case block, breakKeyword, continueKeyword, dot, define, elseKeyword, end, ifKeyword, nilKeyword, range
    case template, with

    var isKeyword: Bool {
        switch self {
        case .block, .breakKeyword, .continueKeyword, .dot, .define, .elseKeyword, .end, .ifKeyword,
            .nilKeyword, .range, .template, .with:
            return true
        default:
            return false
        }
    }
}

struct Item {
    var type: ItemType
    var pos: Int
    var value: String
    var line: Int

    /// Go's item.String(), used in "unexpected X in Y" messages.
    var description: String {
        switch type {
        case .eof: return "EOF"
        case .error: return value
        default:
            if type.isKeyword { return "<" + value + ">" }
            if value.utf8.count > 10 {
                var flags = GoPrint.Flags()
                flags.precision = 10
                var out = ""
                GoPrint.printValue(.string(value), verb: "q", flags: flags, depth: 0, into: &out)
                return out + "..."
            }
            return GoQuote.quote(value)
        }
    }
}

struct TemplateLexer {
    private let input: [UInt8]
    private var start = 0
    private var pos = 0
    private var line = 1
    private var startLine = 1
    private var parenDepth = 0
    private var insideAction = false
    private var finished = false

    private static let keywords: [String: ItemType] = [
        ".": .dot, "block": .block, "break": .breakKeyword, "continue": .continueKeyword, "define": .define,
        "else": .elseKeyword, "end": .end, "if": .ifKeyword, "range": .range, "nil": .nilKeyword,
        "template": .template, "with": .with,
    ]

    init(_ input: [UInt8]) { self.input = input }

    /// Lexes everything up to and including EOF or the first error.
    static func items(_ input: [UInt8]) -> [Item] {
        var lexer = TemplateLexer(input)
        var items: [Item] = []
        while true {
            let item = lexer.nextItem()
            items.append(item)
            if item.type == .eof || item.type == .error { return items }
        }
    }

    // MARK: - Helpers

    private static let eof: UInt32 = 0xFFFF_FFFF

    /// Decodes the rune at `at`; returns (scalar value, byte width).
    private func rune(at index: Int) -> (UInt32, Int) {
        guard index < input.count else { return (Self.eof, 0) }
        let b0 = input[index]
        if b0 < 0x80 { return (UInt32(b0), 1) }
        var width = 0
        var value: UInt32 = 0
        if b0 & 0xE0 == 0xC0 { width = 2; value = UInt32(b0 & 0x1F) } else if b0 & 0xF0 == 0xE0 {
            width = 3; value = UInt32(b0 & 0x0F)
        } else if b0 & 0xF8 == 0xF0 { width = 4; value = UInt32(b0 & 0x07) } else { return (0xFFFD, 1) }
        guard index + width <= input.count else { return (0xFFFD, 1) }
        for i in 1..<width {
            let b = input[index + i]
            guard b & 0xC0 == 0x80 else { return (0xFFFD, 1) }
            value = value << 6 | UInt32(b & 0x3F)
        }
        return (value, width)
    }

    private var lastWidth = 0

    private mutating func next() -> UInt32 {
        let (r, width) = rune(at: pos)
        lastWidth = width
        pos += width
        if r == 0x0A { line += 1 }
        return r
    }

    private mutating func backup() {
        pos -= lastWidth
        if lastWidth == 1 && input[pos] == 0x0A { line -= 1 }
        lastWidth = 0
    }

    private func peek() -> UInt32 { rune(at: pos).0 }

    private func hasPrefix(_ prefix: String, at index: Int) -> Bool {
        var i = index
        for b in prefix.utf8 {
            guard i < input.count, input[i] == b else { return false }
            i += 1
        }
        return true
    }

    private static func isSpace(_ r: UInt32) -> Bool { r == 0x20 || r == 0x09 || r == 0x0D || r == 0x0A }

    static func isAlphaNumeric(_ r: UInt32) -> Bool {
        if r == 0x5F { return true }
        if r < 0x80 {
            return (r >= 0x30 && r <= 0x39) || (r >= 0x41 && r <= 0x5A) || (r >= 0x61 && r <= 0x7A)
        }
        guard let scalar = Unicode.Scalar(r) else { return false }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .decimalNumber:
            return true
        default:
            return false
        }
    }

    private func text(_ from: Int, _ to: Int) -> String { String(decoding: input[from..<to], as: UTF8.self) }

    private func newlines(_ from: Int, _ to: Int) -> Int {
        var count = 0
        for i in from..<to where input[i] == 0x0A { count += 1 }
        return count
    }

    private mutating func thisItem(_ type: ItemType) -> Item {
        let item = Item(type: type, pos: start, value: text(start, pos), line: startLine)
        start = pos
        startLine = line
        return item
    }

    private mutating func ignore() {
        line += newlines(start, pos)
        start = pos
        startLine = line
    }

    private mutating func error(_ message: String) -> Item {
        finished = true
        return Item(type: .error, pos: start, value: message, line: startLine)
    }

    /// Go's %#U: `U+007D '}'`.
    private static func describeRune(_ r: UInt32) -> String {
        var hex = String(r, radix: 16, uppercase: true)
        while hex.count < 4 { hex = "0" + hex }
        if let scalar = Unicode.Scalar(r), GoQuote.isPrintable(scalar) { return "U+\(hex) '\(Character(scalar))'" }
        return "U+\(hex)"
    }

    private func hasLeftTrimMarker(at index: Int) -> Bool {
        index + 1 < input.count && input[index] == 0x2D && Self.isSpace(UInt32(input[index + 1]))
    }

    private func hasRightTrimMarker(at index: Int) -> Bool {
        index + 1 < input.count && Self.isSpace(UInt32(input[index])) && input[index + 1] == 0x2D
    }

    private func atRightDelim() -> (delim: Bool, trim: Bool) {
        if hasRightTrimMarker(at: pos) && hasPrefix("}}", at: pos + 2) { return (true, true) }
        if hasPrefix("}}", at: pos) { return (true, false) }
        return (false, false)
    }

    private func atTerminator() -> Bool {
        let r = peek()
        if Self.isSpace(r) { return true }
        switch r {
        case Self.eof, 0x2E, 0x2C, 0x7C, 0x3A, 0x29, 0x28: return true  // . , | : ) (
        default: return hasPrefix("}}", at: pos)
        }
    }

    // MARK: - States

    mutating func nextItem() -> Item {
        if finished { return Item(type: .eof, pos: pos, value: "", line: line) }
        while true {
            if let item = insideAction ? lexInsideAction() : lexText() { return item }
        }
    }

    private mutating func lexText() -> Item? {
        var x = pos
        while x + 1 < input.count && !(input[x] == 0x7B && input[x + 1] == 0x7B) { x += 1 }
        if x + 1 < input.count {
            if x > pos {
                pos = x
                var trimLength = 0
                if hasLeftTrimMarker(at: pos + 2) {
                    var end = pos
                    while end > start && Self.isSpace(UInt32(input[end - 1])) { end -= 1 }
                    trimLength = pos - end
                }
                pos -= trimLength
                line += newlines(start, pos)
                let item = thisItem(.text)
                pos += trimLength
                ignore()
                if !item.value.isEmpty {
                    return item
                }
            }
            return lexLeftDelim()
        }
        pos = input.count
        if pos > start {
            line += newlines(start, pos)
            return thisItem(.text)
        }
        finished = true
        return thisItem(.eof)
    }

    private mutating func lexLeftDelim() -> Item? {
        pos += 2
        let trim = hasLeftTrimMarker(at: pos)
        let afterMarker = trim ? 2 : 0
        if hasPrefix("/*", at: pos + afterMarker) {
            pos += afterMarker
            ignore()
            return lexComment()
        }
        let item = thisItem(.leftDelim)
        insideAction = true
        pos += afterMarker
        ignore()
        parenDepth = 0
        return item
    }

    private mutating func lexComment() -> Item? {
        pos += 2
        var x = pos
        while x + 1 < input.count && !(input[x] == 0x2A && input[x + 1] == 0x2F) { x += 1 }
        guard x + 1 < input.count else { return error("unclosed comment") }
        pos = x + 2
        let (delim, trim) = atRightDelim()
        guard delim else { return error("comment ends before closing delimiter") }
        if trim { pos += 2 }
        pos += 2
        if trim { skipLeadingSpace() }
        ignore()
        return nil
    }

    private mutating func skipLeadingSpace() {
        while pos < input.count && Self.isSpace(UInt32(input[pos])) { pos += 1 }
    }

    private mutating func lexRightDelim() -> Item {
        let (_, trim) = atRightDelim()
        if trim {
            pos += 2
            ignore()
        }
        pos += 2
        let item = thisItem(.rightDelim)
        if trim {
            skipLeadingSpace()
            ignore()
        }
        insideAction = false
        return item
    }

    private mutating func lexInsideAction() -> Item? {
        let (delim, _) = atRightDelim()
        if delim {
            if parenDepth == 0 { return lexRightDelim() }
            return error("unclosed left paren")
        }
        let r = next()
        switch r {
        case Self.eof: return error("unclosed action")
        case 0x20, 0x09, 0x0D, 0x0A:
            backup()
            return lexSpace()
        case 0x3D: return thisItem(.assign)  // =
        case 0x3A:  // :
            if next() != 0x3D { return error("expected :=") }
            return thisItem(.declare)
        case 0x7C: return thisItem(.pipe)
        case 0x22: return lexQuote()
        case 0x60: return lexRawQuote()
        case 0x24: return lexVariable()
        case 0x27: return lexChar()
        case 0x2E:  // .
            if pos < input.count && (input[pos] < 0x30 || input[pos] > 0x39) { return lexFieldOrVariable(.field) }
            backup()
            return lexNumber()
        case 0x2B, 0x2D, 0x30...0x39:
            backup()
            return lexNumber()
        case 0x28:
            parenDepth += 1
            return thisItem(.leftParen)
        case 0x29:
            parenDepth -= 1
            if parenDepth < 0 { return error("unexpected right paren") }
            return thisItem(.rightParen)
        default:
            if Self.isAlphaNumeric(r) {
                backup()
                return lexIdentifier()
            }
            if r < 0x80, r >= 0x20, r != 0x7F { return thisItem(.char) }
            return error("unrecognized character in action: " + Self.describeRune(r))
        }
    }

    private mutating func lexSpace() -> Item? {
        var count = 0
        while Self.isSpace(peek()) {
            _ = next()
            count += 1
        }
        if hasRightTrimMarker(at: pos - 1) && hasPrefix("}}", at: pos + 1) {
            backup()
            if count == 1 { return nil }
        }
        return thisItem(.space)
    }

    private mutating func lexIdentifier() -> Item {
        while true {
            let r = next()
            if Self.isAlphaNumeric(r) { continue }
            backup()
            let word = text(start, pos)
            if !atTerminator() { return error("bad character " + Self.describeRune(r)) }
            if let keyword = Self.keywords[word] { return thisItem(keyword) }
            if word == "true" || word == "false" { return thisItem(.bool) }
            return thisItem(.identifier)
        }
    }

    private mutating func lexVariable() -> Item {
        if atTerminator() { return thisItem(.variable) }
        return lexFieldOrVariable(.variable)
    }

    private mutating func lexFieldOrVariable(_ type: ItemType) -> Item {
        if atTerminator() { return thisItem(type == .variable ? .variable : .dot) }
        var r: UInt32
        repeat { r = next() } while Self.isAlphaNumeric(r)
        backup()
        if !atTerminator() { return error("bad character " + Self.describeRune(r)) }
        return thisItem(type)
    }

    private mutating func lexChar() -> Item {
        while true {
            let r = next()
            if r == 0x5C {
                let escaped = next()
                if escaped != Self.eof && escaped != 0x0A { continue }
                return error("unterminated character constant")
            }
            if r == Self.eof || r == 0x0A { return error("unterminated character constant") }
            if r == 0x27 { return thisItem(.charConstant) }
        }
    }

    private mutating func lexQuote() -> Item {
        while true {
            let r = next()
            if r == 0x5C {
                let escaped = next()
                if escaped != Self.eof && escaped != 0x0A { continue }
                return error("unterminated quoted string")
            }
            if r == Self.eof || r == 0x0A { return error("unterminated quoted string") }
            if r == 0x22 { return thisItem(.string) }
        }
    }

    private mutating func lexRawQuote() -> Item {
        while true {
            let r = next()
            if r == Self.eof { return error("unterminated raw quoted string") }
            if r == 0x60 { return thisItem(.rawString) }
        }
    }

    private mutating func accept(_ valid: String) -> Bool {
        let r = next()
        if r != Self.eof, r < 0x80, valid.utf8.contains(UInt8(r)) { return true }
        backup()
        return false
    }

    private mutating func acceptRun(_ valid: String) {
        while accept(valid) {}
    }

    private mutating func scanNumber() -> Bool {
        _ = accept("+-")
        var digits = "0123456789_"
        if accept("0") {
            if accept("xX") { digits = "0123456789abcdefABCDEF_" } else if accept("oO") { digits = "01234567_" } else if accept("bB") {
                digits = "01_"
            }
        }
        acceptRun(digits)
        if accept(".") { acceptRun(digits) }
        if digits.count == 11 && accept("eE") {
            _ = accept("+-")
            acceptRun("0123456789_")
        }
        if digits.count == 23 && accept("pP") {
            _ = accept("+-")
            acceptRun("0123456789_")
        }
        _ = accept("i")
        if Self.isAlphaNumeric(peek()) {
            _ = next()
            return false
        }
        return true
    }

    private mutating func lexNumber() -> Item {
        if !scanNumber() { return error("bad number syntax: " + GoQuote.quote(text(start, pos))) }
        let sign = peek()
        if sign == 0x2B || sign == 0x2D {
            if !scanNumber() || input[pos - 1] != 0x69 { return error("bad number syntax: " + GoQuote.quote(text(start, pos))) }
            return thisItem(.complex)
        }
        return thisItem(.number)
    }
}
