import Foundation
import GoText
import OCI

// Hand-written: moby's patternmatcher turns each pattern into a Go regexp; this compiles the same
// translation into a tiny backtracking matcher so no regex engine runs per context file.

/// One cleaned `.dockerignore` pattern, matched the way moby's `fileutils.Pattern` does.
public struct DockerIgnorePattern: Sendable, Equatable, CustomStringConvertible {
    /// The pattern after cleaning, without its `!`.
    public let cleaned: String
    /// Whether it started with `!` (re-includes what earlier patterns excluded).
    public let isException: Bool
    /// The cleaned pattern split on `/`: its depth decides which parent directory it is tried against.
    public let depth: Int
    private let program: Program

    public var description: String { (isException ? "!" : "") + cleaned }

    public static func == (lhs: DockerIgnorePattern, rhs: DockerIgnorePattern) -> Bool {
        lhs.cleaned == rhs.cleaned && lhs.isException == rhs.isException
    }

    enum Token: Sendable, Equatable {
        case literal(UInt8)
        /// `*`: any run of non-slash bytes.
        case star
        /// `?`: one non-slash byte.
        case any
        /// `**` followed by more pattern: `(.*/)?`.
        case dirs
        /// `**` at the end: `.*`.
        case rest
        /// `[...]` with regexp semantics (it may match '/').
        case byteClass(negated: Bool, ranges: [ClosedRange<UInt32>])
    }

    enum Program: Sendable {
        case tokens([Token])
        /// Patterns using regexp syntax that Go's Match lacks (`+`, `(`, `{`, `|`, `^`…) keep the
        /// exact regexp behaviour moby gives them.
        case regex(NSRegularExpression)
    }

    /// `pattern` is one line as `NewPatternMatcher` receives it (possibly starting with `!`).
    public init(_ pattern: String) throws(DockerIgnoreError) {
        var text = GoPath.clean(pattern.trimmingCharacters(in: .whitespaces))
        var exception = false
        if text.hasPrefix("!") {
            guard text.count > 1 else { throw .illegalExclusion }
            exception = true
            text.removeFirst()
        }
        guard GoPathGlob.isValid(text) else { throw .badPattern(text) }
        cleaned = text
        isException = exception
        depth = text.split(separator: "/", omittingEmptySubsequences: false).count
        program = try Self.compile(text)
    }

    /// Whether the pattern matches `path` itself (a cleaned, slash-separated, context-relative path).
    public func matches(_ path: some StringProtocol) -> Bool {
        matches(bytes: Array(path.utf8)[...])
    }

    /// `matches` on the UTF-8 bytes of a path.
    public func matches(bytes: ArraySlice<UInt8>) -> Bool {
        switch program {
        case .tokens(let tokens):
            return tokens.withUnsafeBufferPointer { t in
                bytes.withUnsafeBufferPointer { s in Self.run(t, 0, s, 0) }
            }
        case .regex(let regex):
            let string = String(decoding: bytes, as: UTF8.self)
            return regex.firstMatch(in: string, range: NSRange(string.startIndex..., in: string)) != nil
        }
    }

    // MARK: Compilation

    private static func compile(_ pattern: String) throws(DockerIgnoreError) -> Program {
        let bytes = Array(pattern.utf8)
        var tokens: [Token] = []
        var needsRegex = false
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            switch c {
            case UInt8(ascii: "*"):
                if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "*") {
                    i += 2
                    if i < bytes.count, bytes[i] == UInt8(ascii: "/") { i += 1 }
                    if i == bytes.count { tokens.append(.rest) } else { tokens.append(.dirs) }
                    continue
                }
                tokens.append(.star)
            case UInt8(ascii: "?"):
                tokens.append(.any)
            case UInt8(ascii: "."), UInt8(ascii: "$"):
                tokens.append(.literal(c))
            case UInt8(ascii: "\\"):
                if i + 1 < bytes.count {
                    if isRegexClassEscape(bytes[i + 1]) { needsRegex = true }
                    tokens.append(.literal(bytes[i + 1]))
                    i += 2
                    continue
                }
                tokens.append(.literal(c))
            case UInt8(ascii: "["):
                if let (token, end) = parseClass(bytes, i) {
                    tokens.append(token)
                    i = end
                    continue
                }
                needsRegex = true
            case UInt8(ascii: "+"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "{"), UInt8(ascii: "}"),
                 UInt8(ascii: "|"), UInt8(ascii: "^"):
                needsRegex = true
            default:
                tokens.append(.literal(c))
            }
            i += 1
        }
        guard needsRegex else { return .tokens(tokens) }
        let regex = "^" + regexBody(pattern) + "$"
        guard let compiled = try? NSRegularExpression(pattern: regex, options: []) else {
            throw .badPattern(pattern)
        }
        return .regex(compiled)
    }

    /// The same translation as `compile`, on Unicode scalars, for the regex fallback.
    static func regexBody(_ pattern: String) -> String {
        let scalars = Array(pattern.unicodeScalars)
        var out = ""
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            switch c {
            case "*":
                if i + 1 < scalars.count, scalars[i + 1] == "*" {
                    i += 2
                    if i < scalars.count, scalars[i] == "/" { i += 1 }
                    out += i == scalars.count ? ".*" : "(.*/)?"
                    continue
                }
                out += "[^/]*"
            case "?": out += "[^/]"
            case ".", "$": out += "\\" + String(c)
            case "\\":
                if i + 1 < scalars.count { out += "\\" + String(scalars[i + 1]); i += 2; continue }
                out += "\\\\"
            default: out.unicodeScalars.append(c)
            }
            i += 1
        }
        return out
    }

    /// Parses a simple `[...]` class (ASCII items, ranges, `\` escapes) starting at `start`.
    private static func parseClass(_ p: [UInt8], _ start: Int) -> (Token, Int)? {
        var i = start + 1
        var negated = false
        if i < p.count, p[i] == UInt8(ascii: "^") { negated = true; i += 1 }
        var ranges: [ClosedRange<UInt32>] = []
        var first = true
        func item(_ at: Int) -> (UInt32, Int)? {
            guard at < p.count else { return nil }
            if p[at] == UInt8(ascii: "\\") {
                guard at + 1 < p.count, p[at + 1] < 0x80, !isRegexClassEscape(p[at + 1]) else { return nil }
                return (UInt32(p[at + 1]), at + 2)
            }
            guard p[at] < 0x80, p[at] != UInt8(ascii: "[") else { return nil }
            return (UInt32(p[at]), at + 1)
        }
        while true {
            guard i < p.count else { return nil }
            if p[i] == UInt8(ascii: "]") && !first { i += 1; break }
            first = false
            guard let (low, next) = item(i) else { return nil }
            i = next
            if i + 1 < p.count, p[i] == UInt8(ascii: "-"), p[i + 1] != UInt8(ascii: "]") {
                guard let (high, after) = item(i + 1), low <= high else { return nil }
                ranges.append(low...high)
                i = after
            } else {
                ranges.append(low...low)
            }
        }
        return (.byteClass(negated: negated, ranges: ranges), i)
    }

    /// Escapes like `\d` or `\w` mean classes in a regexp; those patterns take the regex path.
    private static func isRegexClassEscape(_ c: UInt8) -> Bool {
        let letters = Array("dDsSwWpPbBAzQEx".utf8) + Array("0123456789".utf8)
        return letters.contains(c)
    }

    // MARK: Matching

    private static func run(_ t: UnsafeBufferPointer<Token>, _ start: Int, _ s: UnsafeBufferPointer<UInt8>, _ from: Int) -> Bool {
        var ti = start
        var si = from
        let slash = UInt8(ascii: "/")
        while ti < t.count {
            switch t[ti] {
            case .literal(let c):
                guard si < s.count, s[si] == c else { return false }
                si += 1
            case .any:
                guard si < s.count, s[si] != slash else { return false }
                si += 1
            case .byteClass(let negated, let ranges):
                guard si < s.count else { return false }
                let c = UInt32(s[si])
                // A class matches one character; multi-byte UTF-8 never matches an ASCII class.
                guard ranges.contains(where: { $0.contains(c) }) != negated else { return false }
                si += 1
                if c >= 0x80 { while si < s.count, s[si] & 0xC0 == 0x80 { si += 1 } }
            case .rest:
                return true
            case .star:
                var k = si
                while true {
                    if run(t, ti + 1, s, k) { return true }
                    if k >= s.count || s[k] == slash { return false }
                    k += 1
                }
            case .dirs:
                if run(t, ti + 1, s, si) { return true }
                var k = si
                while k < s.count {
                    if s[k] == slash, run(t, ti + 1, s, k + 1) { return true }
                    k += 1
                }
                return false
            }
            ti += 1
        }
        return si == s.count
    }
}
