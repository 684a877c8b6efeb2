import GoText
// Hand-written matcher for distribution/reference's regular-expression grammar: parsing is on every
// command's hot path and the grammar is small, so no regex engine is involved.

/// Which side of docker parses a reference. Strata's oracle is the docker 20.10 client with dockerd 20.10,
/// and both vendor the same docker/distribution (v2.7/v2.8) parser, so the two rule sets are identical:
/// domains need `.`/`:`/`localhost`, no `[v6]` hosts, the whole name (domain included) counts towards the
/// 255 limit, and the lowercase error does not name the repository. The side is still recorded
/// (``ReferenceError/rejectedByDaemon(_:)``), since a front end words the two differently.
public enum ReferenceRules: Sendable, Hashable {
    /// The docker CLI's own parse (tag, pull, push, create, run, commit).
    case client
    /// dockerd's parse (rmi, history, save, inspect).
    case daemon
}

/// Byte ranges of one full-string match of `name [":" tag] ["@" digest]`.
struct ReferenceMatch {
    var name: Range<Int>
    var domain: Range<Int>?
    var path: Range<Int>
    var tag: Range<Int>?
    var digest: Range<Int>?
}

enum ReferenceGrammar {
    /// Splits and validates like `^(name)(?::(tag))?(?:@(digest))?$`, taking the domain when the regex would.
    static func match(_ b: [UInt8]) -> ReferenceMatch? {
        var end = b.count
        var digest: Range<Int>?
        if let at = b.firstIndex(of: UInt8(ascii: "@")) {
            digest = (at + 1)..<b.count
            end = at
            guard isReferenceDigest(b[digest!]) else { return nil }
        }
        var tag: Range<Int>?
        var lastColon: Int?
        var lastSlash: Int?
        for i in 0..<end {
            if b[i] == UInt8(ascii: ":") { lastColon = i } else if b[i] == UInt8(ascii: "/") { lastSlash = i }
        }
        if let colon = lastColon, colon > (lastSlash ?? -1) {
            tag = (colon + 1)..<end
            end = colon
            guard isTag(b[tag!]) else { return nil }
        }
        let name = 0..<end
        if let slash = b[name].firstIndex(of: UInt8(ascii: "/")),
           isDomain(b[0..<slash]), isPath(b[(slash + 1)..<end]) {
            return ReferenceMatch(name: name, domain: 0..<slash, path: (slash + 1)..<end, tag: tag, digest: digest)
        }
        guard isPath(b[name]) else { return nil }
        return ReferenceMatch(name: name, domain: nil, path: name, tag: tag, digest: digest)
    }

    /// `path-component ("/" path-component)*`
    static func isPath(_ b: ArraySlice<UInt8>) -> Bool {
        var start = b.startIndex
        while true {
            let slash = b[start...].firstIndex(of: UInt8(ascii: "/")) ?? b.endIndex
            guard isPathComponent(b[start..<slash]) else { return false }
            if slash == b.endIndex { return true }
            start = slash + 1
        }
    }

    /// `[a-z0-9]+ (separator [a-z0-9]+)*` with separator `[._]|__|[-]+`.
    static func isPathComponent(_ b: ArraySlice<UInt8>) -> Bool {
        guard let first = b.first, ASCII.isLowerAlnum(first) else { return false }
        var i = b.startIndex
        while i < b.endIndex {
            if ASCII.isLowerAlnum(b[i]) { i += 1; continue }
            let runStart = i
            while i < b.endIndex, !ASCII.isLowerAlnum(b[i]) { i += 1 }
            guard i < b.endIndex else { return false }  // a separator must be followed by alphanumerics
            let first = b[runStart]
            let ok: Bool
            switch i - runStart {
            case 1: ok = first == UInt8(ascii: ".") || first == UInt8(ascii: "_") || first == UInt8(ascii: "-")
            case 2 where first == UInt8(ascii: "_"): ok = b[runStart + 1] == UInt8(ascii: "_")
            default: ok = b[runStart..<i].allSatisfy { $0 == UInt8(ascii: "-") }
            }
            guard ok else { return false }
        }
        return true
    }

    /// `host [":" port]` where host is dotted domain components (v2.7 has no IPv6 literal form).
    static func isDomain(_ b: ArraySlice<UInt8>) -> Bool {
        let hostEnd = b.firstIndex(of: UInt8(ascii: ":")) ?? b.endIndex
        var start = b.startIndex
        while true {
            let dot = b[start..<hostEnd].firstIndex(of: UInt8(ascii: ".")) ?? hostEnd
            guard isDomainComponent(b[start..<dot]) else { return false }
            if dot == hostEnd { break }
            start = dot + 1
        }
        if hostEnd == b.endIndex { return true }
        let port = b[(hostEnd + 1)...]
        return !port.isEmpty && port.allSatisfy(ASCII.isDigit)
    }

    /// `[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`
    static func isDomainComponent(_ b: ArraySlice<UInt8>) -> Bool {
        guard let first = b.first, let last = b.last, ASCII.isAlnum(first), ASCII.isAlnum(last) else { return false }
        return b.allSatisfy { ASCII.isAlnum($0) || $0 == UInt8(ascii: "-") }
    }

    /// `[\w][\w.-]{0,127}`
    static func isTag(_ b: ArraySlice<UInt8>) -> Bool {
        guard let first = b.first, ASCII.isWord(first), b.count <= 128 else { return false }
        return b.allSatisfy { ASCII.isWord($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// The loose digest shape a reference may carry: `[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[[:xdigit:]]{32,}`.
    static func isReferenceDigest(_ b: ArraySlice<UInt8>) -> Bool {
        guard let colon = b.firstIndex(of: UInt8(ascii: ":")) else { return false }
        var expectComponentStart = true
        for byte in b[..<colon] {
            if expectComponentStart {
                guard ASCII.isAlpha(byte) else { return false }
                expectComponentStart = false
            } else if byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") {
                expectComponentStart = true
            } else if !ASCII.isAlnum(byte) {
                return false
            }
        }
        guard !expectComponentStart else { return false }
        let hex = b[(colon + 1)...]
        return hex.count >= 32 && hex.allSatisfy(ASCII.isHex)
    }

    /// `[a-f0-9]{64}`: a full image ID without its algorithm.
    static func isIdentifier(_ b: some Collection<UInt8>) -> Bool {
        b.count == 64 && b.allSatisfy(ASCII.isLowerHex)
    }
}
