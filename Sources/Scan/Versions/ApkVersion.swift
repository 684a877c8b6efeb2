// Alpine's version ordering, hand-written (no Swift library implements it). It follows apk-tools 3's lexer
// and comparison (src/version.c: `digit{.digit}...{letter}{_suffix{#}}...{~hash}{-r#}`), whose test vectors
// (test/unit/version.data) the tests check; Debian ships no apk-tools to compare against.
// One deliberate difference: apk reads numbers into a uint64_t that wraps past 20 digits; here digit runs
// compare as numbers of any length.

/// An apk version, compared token by token as apk-tools does.
enum ApkVersion {
    static func compare(_ a: String, _ b: String) -> Int? {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard isValid(x), isValid(y) else { return nil }
        return compareTokens(x, y)
    }

    /// The lexer's token kinds, in the order that decides between versions of different shapes.
    enum Kind: Int, Comparable {
        case initialDigit, digit, letter, suffix, suffixNumber, commitHash, revision, end, invalid
        static func < (l: Kind, r: Kind) -> Bool { l.rawValue < r.rawValue }
    }

    /// Suffix ranks: `_alpha` < `_beta` < `_pre` < `_rc` < (no suffix) < `_cvs` < `_svn` < `_git` < `_hg` < `_p`.
    static let suffixes: [String: Int] = ["alpha": 1, "beta": 2, "pre": 3, "rc": 4, "cvs": 6, "svn": 7, "git": 8, "hg": 9, "p": 10]
    static let noSuffix = 5

    struct Token {
        var kind: Kind = .initialDigit
        var value: ArraySlice<UInt8> = []
        var suffix = 0
    }

    struct Lexer {
        let bytes: [UInt8]
        var position = 0
        var token = Token()

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
            token.kind = .initialDigit
            readDigits()
        }

        private mutating func readDigits() {
            let start = position
            while position < bytes.count && DigitRun.isDigit(bytes[position]) { position += 1 }
            token.value = bytes[start..<position]
            if start == position { token.kind = .invalid }
        }

        private mutating func span(_ accept: (UInt8) -> Bool) {
            let start = position
            while position < bytes.count && accept(bytes[position]) { position += 1 }
            token.value = bytes[start..<position]
        }

        mutating func next() {
            guard position < bytes.count else { token.kind = .end; return }
            let c = bytes[position]
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"):
                guard token.kind <= .digit else { token.kind = .invalid; return }
                token.value = bytes[position..<(position + 1)]
                token.kind = .letter
                position += 1
            case UInt8(ascii: "."), UInt8(ascii: "0")...UInt8(ascii: "9"):
                if c == UInt8(ascii: ".") {
                    guard token.kind <= .digit else { token.kind = .invalid; return }
                    position += 1
                }
                switch token.kind {
                case .initialDigit, .digit: token.kind = .digit
                case .suffix: token.kind = .suffixNumber
                default: token.kind = .invalid; return
                }
                readDigits()
            case UInt8(ascii: "_"):
                guard token.kind <= .suffixNumber else { token.kind = .invalid; return }
                position += 1
                span { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }
                guard let rank = ApkVersion.suffixes[String(decoding: token.value, as: UTF8.self)] else {
                    token.kind = .invalid
                    return
                }
                token.suffix = rank
                token.kind = .suffix
            case UInt8(ascii: "~"):
                guard token.kind < .commitHash else { token.kind = .invalid; return }
                position += 1
                span { DigitRun.isDigit($0) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) }
                token.kind = token.value.isEmpty ? .invalid : .commitHash
            case UInt8(ascii: "-"):
                guard token.kind < .revision, position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "r") else {
                    token.kind = .invalid
                    return
                }
                position += 2
                token.kind = .revision
                readDigits()
            default:
                token.kind = .invalid
            }
        }
    }

    /// apk_version_validate: the lexer reaches the end without an invalid token.
    static func isValid(_ bytes: [UInt8]) -> Bool {
        var lexer = Lexer(bytes)
        while lexer.token.kind < .end { lexer.next() }
        return lexer.token.kind == .end
    }

    private static func compareSame(_ a: Token, _ b: Token) -> Int {
        switch a.kind {
        case .digit where a.value.first == 0x30 || b.value.first == 0x30:
            // A leading zero after a dot compares as a string (as Gentoo does).
            return DigitRun.compareBytes(a.value, b.value)
        case .initialDigit, .digit, .suffixNumber, .revision:
            return DigitRun.compare(a.value, b.value)
        case .letter:
            return DigitRun.compareBytes(a.value, b.value)
        case .suffix:
            return a.suffix == b.suffix ? 0 : (a.suffix < b.suffix ? -1 : 1)
        default:
            return DigitRun.compareBytes(a.value, b.value)
        }
    }

    static func compareTokens(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var x = Lexer(a)
        var y = Lexer(b)
        while x.token.kind == y.token.kind && x.token.kind < .end {
            let order = compareSame(x.token, y.token)
            if order != 0 { return order }
            x.next()
            y.next()
        }
        if x.token.kind == y.token.kind { return 0 }
        // The longer version is newer unless what it goes on with is a pre-release suffix.
        if x.token.kind == .suffix && x.token.suffix < noSuffix { return -1 }
        if y.token.kind == .suffix && y.token.suffix < noSuffix { return 1 }
        return x.token.kind > y.token.kind ? -1 : 1
    }
}
