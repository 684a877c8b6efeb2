// Hand-written: Go's path.Match semantics (`*` stops at '/', classes, escapes) decide docker's
// `reference=` filters, and no Swift library reproduces them exactly.

/// Go's `path.Match`: shell patterns where `*` and `?` never cross a '/'.
public enum GoPathMatch {
    /// Returns nil when the pattern is malformed (Go's `ErrBadPattern`).
    public static func matches(_ pattern: String, _ name: String) -> Bool? {
        match(Array(pattern.unicodeScalars), 0, Array(name.unicodeScalars), 0)
    }

    private static func match(_ p: [Unicode.Scalar], _ pi: Int, _ s: [Unicode.Scalar], _ si: Int) -> Bool? {
        var pi = pi, si = si
        while pi < p.count {
            switch p[pi] {
            case "*":
                var next = pi
                while next < p.count, p[next] == "*" { next += 1 }
                if next == p.count { return !s[si...].contains("/") }
                var k = si
                while true {
                    guard let result = match(p, next, s, k) else { return nil }
                    if result { return true }
                    if k >= s.count || s[k] == "/" { break }
                    k += 1
                }
                return validateRest(p, next) ? false : nil
            case "?":
                guard si < s.count, s[si] != "/" else { return validateRest(p, pi + 1) ? false : nil }
                pi += 1; si += 1
            case "[":
                guard let (matched, end) = matchClass(p, pi, si < s.count ? s[si] : nil) else { return nil }
                guard si < s.count, matched else { return false }
                pi = end; si += 1
            case "\\":
                guard pi + 1 < p.count else { return nil }
                guard si < s.count, s[si] == p[pi + 1] else { return validateRest(p, pi + 2) ? false : nil }
                pi += 2; si += 1
            default:
                guard si < s.count, s[si] == p[pi] else { return validateRest(p, pi + 1) ? false : nil }
                pi += 1; si += 1
            }
        }
        return si == s.count
    }

    /// Go reports a bad pattern even after a mismatch, so the rest is checked for well-formedness.
    private static func validateRest(_ p: [Unicode.Scalar], _ start: Int) -> Bool {
        var i = start
        while i < p.count {
            switch p[i] {
            case "\\": if i + 1 >= p.count { return false }; i += 2
            case "[": guard let (_, end) = matchClass(p, i, nil) else { return false }; i = end
            default: i += 1
            }
        }
        return true
    }

    /// Parses `[...]` at `start`; returns whether `c` is in it and the index after `]`.
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
