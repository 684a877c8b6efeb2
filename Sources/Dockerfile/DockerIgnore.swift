import GoText
import OCI

/// Why a `.dockerignore` could not be used (moby's wording).
public enum DockerIgnoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A line that is just `!`.
    case illegalExclusion
    /// A pattern Go's `filepath.Match` rejects.
    case badPattern(String)

    public var description: String {
        switch self {
        case .illegalExclusion: return "illegal exclusion pattern: \"!\""
        case .badPattern: return "syntax error in pattern"
        }
    }
}

/// A parsed `.dockerignore`: the patterns in file order, matched as moby's `PatternMatcher` does
/// (every pattern is tried, the last one that matches the path or one of its parents wins).
public struct DockerIgnore: Sendable, Equatable {
    /// The patterns, in file order.
    public let patterns: [DockerIgnorePattern]
    /// Whether any pattern is an exception (`!…`).
    public let hasExceptions: Bool

    /// Matches nothing.
    public static let empty = DockerIgnore(validated: [])

    private init(validated: [DockerIgnorePattern]) {
        patterns = validated
        hasExceptions = validated.contains { $0.isException }
    }

    /// Builds a matcher from patterns already read from a file (as `NewPatternMatcher` gets them).
    public init(patterns lines: [String]) throws(DockerIgnoreError) {
        var compiled: [DockerIgnorePattern] = []
        for line in lines {
            let trimmed = line.trimmingWhitespace()
            if trimmed.isEmpty { continue }
            compiled.append(try DockerIgnorePattern(trimmed))
        }
        self.init(validated: compiled)
    }

    /// Parses `.dockerignore` text the way the docker CLI reads it: a UTF-8 BOM is dropped, lines
    /// starting with `#` are comments, patterns are trimmed and cleaned, and a leading `/` is dropped.
    public init(parsing text: String) throws(DockerIgnoreError) {
        try self.init(patterns: Self.readLines(text))
    }

    /// The patterns `text` contains, cleaned as the CLI sends them (exceptions keep their `!`).
    public static func readLines(_ text: String) -> [String] {
        var body = Substring(text)
        if body.hasPrefix("\u{FEFF}") { body = body.dropFirst() }
        var result: [String] = []
        // "\r\n" is one Character, so it separates lines too (Go's ScanLines drops the "\r").
        for rawLine in body.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            if line.hasPrefix("#") { continue }
            var pattern = String(line).trimmingWhitespace()
            if pattern.isEmpty { continue }
            let exception = pattern.hasPrefix("!")
            if exception { pattern = String(pattern.dropFirst()).trimmingWhitespace() }
            if !pattern.isEmpty {
                pattern = GoPath.clean(pattern)
                if pattern.utf8.count > 1, pattern.hasPrefix("/") { pattern.removeFirst() }
            }
            result.append(exception ? "!" + pattern : pattern)
        }
        return result
    }

    /// Whether `path` (context-relative, cleaned, `/`-separated, no leading `/`) is excluded.
    public func excludes(_ path: String) -> Bool {
        if patterns.isEmpty { return false }
        let bytes = Array(path.utf8)
        // The parent directory's components end at each slash: the prefix for depth d ends at slashes[d - 1].
        var slashes: [Int] = []
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "/") { slashes.append(index) }
        var excluded = false
        for pattern in patterns {
            // Only a result different from the current one can change the answer.
            if excluded != pattern.isException { continue }
            var matched = pattern.matches(bytes: bytes[...])
            if !matched, !slashes.isEmpty, pattern.depth <= slashes.count {
                matched = pattern.matches(bytes: bytes[..<slashes[pattern.depth - 1]])
            }
            if matched { excluded = !pattern.isException }
        }
        return excluded
    }

    /// Whether an excluded directory must still be walked because an exception may re-include something
    /// below it. Like BuildKit's file walker this is a plain prefix test on the exception's text.
    public func mayIncludeBelow(excludedDirectory path: String) -> Bool {
        guard hasExceptions else { return false }
        let prefix = path + "/"
        return patterns.contains { $0.isException && ($0.cleaned + "/").hasPrefix(prefix) }
    }
}

extension String {
    /// Go's `strings.TrimSpace` for the ASCII whitespace that occurs in ignore files.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" || $0 == "\u{0B}" || $0 == "\u{0C}" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
