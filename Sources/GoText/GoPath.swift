// Hand-written: Go's path.Clean and path.Match decide which files docker's COPY and .dockerignore
// select and which names `images --filter reference=` keeps; Foundation has no equivalent with the same edge cases.

/// Go's `path.Clean` for slash-separated paths.
public enum GoPath {
    /// Lexically cleans `path`: repeated slashes, `.` and `..` elements; "" becomes ".".
    public static func clean(_ path: String) -> String {
        if path.isEmpty { return "." }
        let rooted = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..":
                if let last = parts.last, last != ".." { parts.removeLast() } else if !rooted { parts.append(part) }
            default: parts.append(part)
            }
        }
        let body = parts.joined(separator: "/")
        if rooted { return "/" + body }
        return body.isEmpty ? "." : body
    }
}

/// Go's `path.Match` (what BuildKit applies to COPY wildcards): `*` and `?` never cross '/',
/// `[...]` classes with `^` negation and ranges, `\` escapes.
public enum GoPathGlob {
    /// Whether `pattern` has any of Go's meta characters (BuildKit only globs such sources).
    public static func hasMeta(_ pattern: String) -> Bool {
        pattern.contains { $0 == "*" || $0 == "?" || $0 == "[" || $0 == "\\" }
    }

    /// Whether `filepath.Match` accepts `pattern` (no `ErrBadPattern` anywhere in it).
    public static func isValid(_ pattern: String) -> Bool {
        let p = Array(pattern.unicodeScalars)
        var i = 0
        while i < p.count {
            switch p[i] {
            case "\\":
                if i + 1 >= p.count { return false }
                i += 2
            case "[":
                guard let (_, end) = matchClass(p, i, nil) else { return false }
                i = end
            default: i += 1
            }
        }
        return true
    }

    /// `path.Match(pattern, name)`; nil for a malformed pattern.
    public static func matches(_ pattern: String, _ name: String) -> Bool? {
        guard isValid(pattern) else { return nil }
        return match(Array(pattern.unicodeScalars)[...], Array(name.unicodeScalars)[...])
    }

    private static func match(_ p: ArraySlice<Unicode.Scalar>, _ s: ArraySlice<Unicode.Scalar>) -> Bool {
        var pi = p.startIndex, si = s.startIndex
        while pi < p.endIndex {
            switch p[pi] {
            case "*":
                var next = pi
                while next < p.endIndex, p[next] == "*" { next += 1 }
                if next == p.endIndex { return !s[si...].contains("/") }
                var k = si
                while true {
                    if match(p[next...], s[k...]) { return true }
                    if k >= s.endIndex || s[k] == "/" { return false }
                    k += 1
                }
            case "?":
                guard si < s.endIndex, s[si] != "/" else { return false }
                pi += 1; si += 1
            case "[":
                guard si < s.endIndex, let (matched, end) = matchClass(Array(p), pi - p.startIndex, s[si]), matched else { return false }
                pi = p.startIndex + end; si += 1
            case "\\":
                guard si < s.endIndex, s[si] == p[pi + 1] else { return false }
                pi += 2; si += 1
            default:
                guard si < s.endIndex, s[si] == p[pi] else { return false }
                pi += 1; si += 1
            }
        }
        return si == s.endIndex
    }

    /// Parses `[...]` at `start`; whether `c` is in it and the index after `]`; nil when malformed.
    private static func matchClass(_ p: [Unicode.Scalar], _ start: Int, _ c: Unicode.Scalar?) -> (Bool, Int)? {
        var i = start + 1
        var negated = false
        if i < p.count, p[i] == "^" { negated = true; i += 1 }
        var matched = false
        var first = true
        while true {
            guard i < p.count else { return nil }
            if p[i] == "]" && !first { i += 1; break }
            first = false
            guard let (low, afterLow) = classChar(p, i) else { return nil }
            var high = low
            i = afterLow
            if i < p.count, p[i] == "-" {
                guard let (h, afterHigh) = classChar(p, i + 1) else { return nil }
                high = h
                i = afterHigh
            }
            if let c, low.value <= c.value, c.value <= high.value { matched = true }
        }
        return (matched != negated, i)
    }

    private static func classChar(_ p: [Unicode.Scalar], _ i: Int) -> (Unicode.Scalar, Int)? {
        guard i < p.count else { return nil }
        if p[i] == "\\" {
            guard i + 1 < p.count else { return nil }
            return (p[i + 1], i + 2)
        }
        if p[i] == "-" || p[i] == "]" { return nil }
        return (p[i], i + 1)
    }
}
