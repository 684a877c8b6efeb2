// Semantic Versioning precedence, hand-written (no Swift library in this project implements it). It follows
// SemVer 2.0.0 §2, §9–§11 (https://semver.org/spec/v2.0.0.html): numbers without leading zeros, pre-release
// identifiers (numeric ones numerically and below alphanumeric ones), build metadata ignored. The tests compare
// it with python-semver 3 (`semver.Version`). As npm does, one leading `=` and one `v` are tolerated.

/// A SemVer 2.0.0 version reduced to what orders it.
struct SemanticVersion {
    var major: ArraySlice<UInt8>
    var minor: ArraySlice<UInt8>
    var patch: ArraySlice<UInt8>
    var prerelease: [ArraySlice<UInt8>]

    static func compare(_ a: String, _ b: String) -> Int? {
        guard let x = SemanticVersion(npm: a), let y = SemanticVersion(npm: b) else { return nil }
        return x.order(y)
    }

    /// Accepts `=` and `v` before the version, as npm's parser does.
    init?(npm text: String) {
        var bytes = ArraySlice(Array(text.utf8))
        if bytes.first == UInt8(ascii: "=") { bytes = bytes.dropFirst() }
        if bytes.first == UInt8(ascii: "v") { bytes = bytes.dropFirst() }
        self.init(strict: bytes, allowShorthand: false)
    }

    static func isIdentifierByte(_ c: UInt8) -> Bool {
        DigitRun.isDigit(c) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "-")
    }

    /// `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`; with `allowShorthand` (Go) `MAJOR` and `MAJOR.MINOR` alone
    /// also parse (missing numbers are 0), but not followed by a pre-release or build.
    init?(strict bytes: ArraySlice<UInt8>, allowShorthand: Bool) {
        var i = bytes.startIndex
        func number() -> ArraySlice<UInt8>? {
            let run = bytes[i...].prefix(while: DigitRun.isDigit)
            guard !run.isEmpty, run.first != 0x30 || run.count == 1 else { return nil }
            i = run.endIndex
            return run
        }
        func take(_ c: Character) -> Bool {
            guard i < bytes.endIndex, bytes[i] == c.asciiValue else { return false }
            i += 1
            return true
        }
        let zero = ArraySlice<UInt8>([0x30])
        guard let major = number() else { return nil }
        self.major = major
        guard take(".") else {
            guard allowShorthand, i == bytes.endIndex else { return nil }
            minor = zero; patch = zero; prerelease = []
            return
        }
        guard let minor = number() else { return nil }
        self.minor = minor
        guard take(".") else {
            guard allowShorthand, i == bytes.endIndex else { return nil }
            patch = zero; prerelease = []
            return
        }
        guard let patch = number() else { return nil }
        self.patch = patch
        prerelease = []
        if take("-") {
            guard let identifiers = SemanticVersion.identifiers(bytes[i...], numericWithoutLeadingZero: true) else { return nil }
            prerelease = identifiers.list
            i = identifiers.end
        }
        if take("+") {
            guard let identifiers = SemanticVersion.identifiers(bytes[i...], numericWithoutLeadingZero: false) else { return nil }
            i = identifiers.end
        }
        guard i == bytes.endIndex else { return nil }
    }

    /// Dot-separated non-empty identifiers of `[0-9A-Za-z-]` up to the first other byte.
    static func identifiers(_ bytes: ArraySlice<UInt8>, numericWithoutLeadingZero: Bool) -> (list: [ArraySlice<UInt8>], end: Int)? {
        var list: [ArraySlice<UInt8>] = []
        var i = bytes.startIndex
        while true {
            let identifier = bytes[i...].prefix(while: isIdentifierByte)
            guard !identifier.isEmpty else { return nil }
            if numericWithoutLeadingZero && identifier.count > 1 && identifier.first == 0x30
                && identifier.allSatisfy(DigitRun.isDigit) { return nil }
            list.append(identifier)
            i = identifier.endIndex
            guard i < bytes.endIndex, bytes[i] == UInt8(ascii: ".") else { return (list, i) }
            i += 1
        }
    }

    func order(_ other: SemanticVersion) -> Int {
        for (x, y) in [(major, other.major), (minor, other.minor), (patch, other.patch)] {
            let r = DigitRun.compare(x, y)
            if r != 0 { return r }
        }
        return SemanticVersion.comparePrerelease(prerelease, other.prerelease)
    }

    /// §11: a version without pre-release is greater; identifiers compare in turn (numeric ones as numbers and
    /// below alphanumeric ones, which compare in ASCII order); a shorter list that is a prefix is smaller.
    static func comparePrerelease(_ a: [ArraySlice<UInt8>], _ b: [ArraySlice<UInt8>]) -> Int {
        if a.isEmpty || b.isEmpty { return a.isEmpty == b.isEmpty ? 0 : (a.isEmpty ? 1 : -1) }
        for (x, y) in zip(a, b) {
            let xNumeric = x.allSatisfy(DigitRun.isDigit)
            let yNumeric = y.allSatisfy(DigitRun.isDigit)
            let r: Int
            switch (xNumeric, yNumeric) {
            case (true, true): r = DigitRun.compare(x, y)
            case (true, false): r = -1
            case (false, true): r = 1
            case (false, false): r = DigitRun.compareBytes(x, y)
            }
            if r != 0 { return r }
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }
}
