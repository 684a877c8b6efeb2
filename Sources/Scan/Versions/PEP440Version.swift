// Python's version ordering, hand-written (no Swift library implements it). It follows PEP 440 (the version
// scheme: epochs, pre-, post- and development releases, local versions) and the normalisations and sort key
// of the reference implementation, `packaging.version.Version` (VERSION_PATTERN and _cmpkey), which the tests
// compare it with.

/// A PEP 440 version reduced to what orders it.
struct PEP440Version {
    var epoch: ArraySlice<UInt8> = [0x30]
    /// Release numbers with trailing zeros dropped (1.0 == 1).
    var release: [ArraySlice<UInt8>] = []
    /// Pre-release: label rank (a 0, b 1, rc 2) and number.
    var pre: (rank: Int, number: ArraySlice<UInt8>)?
    var post: ArraySlice<UInt8>?
    var dev: ArraySlice<UInt8>?
    /// Local segments, lower-cased; numeric ones order above alphanumeric ones.
    var local: [ArraySlice<UInt8>]?

    static func compare(_ a: String, _ b: String) -> Int? {
        guard let x = PEP440Version(a), let y = PEP440Version(b) else { return nil }
        return x.order(y)
    }

    /// Python's str.isspace (and the regular expression's `\s`).
    private static func isPythonSpace(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    init?(_ text: String) {
        let scalars = Array(text.unicodeScalars)
        var lower = 0
        var upper = scalars.count
        while lower < upper && PEP440Version.isPythonSpace(scalars[lower]) { lower += 1 }
        while upper > lower && PEP440Version.isPythonSpace(scalars[upper - 1]) { upper -= 1 }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(upper - lower)
        for scalar in scalars[lower..<upper] {
            guard scalar.isASCII else { return nil }
            var byte = UInt8(scalar.value)
            if byte >= 0x41 && byte <= 0x5A { byte += 0x20 }
            bytes.append(byte)
        }
        var parser = Parser(bytes: bytes)
        guard parser.parse(into: &self) else { return nil }
    }

    private struct Parser {
        let bytes: [UInt8]
        var i = 0

        func at(_ k: Int) -> UInt8? { k < bytes.count ? bytes[k] : nil }
        func isSeparator(_ k: Int) -> Bool { at(k).map { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") } ?? false }
        func isDigitAt(_ k: Int) -> Bool { at(k).map(DigitRun.isDigit) ?? false }

        func digits(from k: Int) -> ArraySlice<UInt8> {
            var e = k
            while e < bytes.count && DigitRun.isDigit(bytes[e]) { e += 1 }
            return bytes[k..<e]
        }

        /// The first of `labels` found at `k`, and where it ends.
        func label(at k: Int, _ labels: [String]) -> (String, Int)? {
            for label in labels {
                let utf8 = Array(label.utf8)
                if k + utf8.count <= bytes.count && bytes[k..<(k + utf8.count)].elementsEqual(utf8) {
                    return (label, k + utf8.count)
                }
            }
            return nil
        }

        /// `[-_.]? label [-_.]? digits?` at `i`; on success moves past it.
        mutating func labelled(_ labels: [String]) -> (String, ArraySlice<UInt8>)? {
            var k = i
            if isSeparator(k) { k += 1 }
            guard let (name, afterLabel) = label(at: k, labels) else { return nil }
            k = afterLabel
            if isSeparator(k) { k += 1 }
            let number = digits(from: k)
            i = number.endIndex
            return (name, number.isEmpty ? [0x30] : number)
        }

        mutating func parse(into version: inout PEP440Version) -> Bool {
            if at(i) == UInt8(ascii: "v") { i += 1 }
            let first = digits(from: i)
            guard !first.isEmpty else { return false }
            if at(first.endIndex) == UInt8(ascii: "!") {
                version.epoch = first
                i = first.endIndex + 1
                guard isDigitAt(i) else { return false }
            }
            var release = [digits(from: i)]
            i = release[0].endIndex
            while at(i) == UInt8(ascii: "."), isDigitAt(i + 1) {
                let part = digits(from: i + 1)
                release.append(part)
                i = part.endIndex
            }
            while let last = release.last, last.allSatisfy({ $0 == 0x30 }) { release.removeLast() }
            version.release = release
            if let (name, number) = labelled(["alpha", "a", "beta", "b", "preview", "pre", "c", "rc"]) {
                let rank: Int
                switch name {
                case "alpha", "a": rank = 0
                case "beta", "b": rank = 1
                default: rank = 2
                }
                version.pre = (rank, number)
            }
            if at(i) == UInt8(ascii: "-"), isDigitAt(i + 1) {
                let number = digits(from: i + 1)
                version.post = number
                i = number.endIndex
            } else if let (_, number) = labelled(["post", "rev", "r"]) {
                version.post = number
            }
            if let (_, number) = labelled(["dev"]) {
                version.dev = number
            }
            if at(i) == UInt8(ascii: "+") {
                var parts: [ArraySlice<UInt8>] = []
                var k = i + 1
                while true {
                    var e = k
                    while let c = at(e), DigitRun.isDigit(c) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) { e += 1 }
                    guard e > k else { return false }
                    parts.append(bytes[k..<e])
                    k = e
                    guard isSeparator(k) else { break }
                    k += 1
                }
                version.local = parts
                i = k
            }
            return i == bytes.count
        }
    }

    /// packaging's _cmpkey order: epoch, release, pre (a dev release without pre or post sorts before every
    /// pre-release; no pre-release sorts after them), post (none first), dev (none last), local (none first).
    func order(_ other: PEP440Version) -> Int {
        var r = DigitRun.compare(epoch, other.epoch)
        if r != 0 { return r }
        for (x, y) in zip(release, other.release) {
            r = DigitRun.compare(x, y)
            if r != 0 { return r }
        }
        if release.count != other.release.count { return release.count < other.release.count ? -1 : 1 }
        r = PEP440Version.comparePre(preKey, other.preKey)
        if r != 0 { return r }
        r = PEP440Version.compareOptional(post, other.post, missing: -1)
        if r != 0 { return r }
        r = PEP440Version.compareOptional(dev, other.dev, missing: 1)
        if r != 0 { return r }
        return PEP440Version.compareLocal(local, other.local)
    }

    /// -1 for a dev release with neither pre nor post (before any pre-release), 1 for no pre-release, else 0
    /// with the label and number.
    private var preKey: (Int, (rank: Int, number: ArraySlice<UInt8>)?) {
        if let pre { return (0, pre) }
        if post == nil && dev != nil { return (-1, nil) }
        return (1, nil)
    }

    private static func comparePre(_ a: (Int, (rank: Int, number: ArraySlice<UInt8>)?), _ b: (Int, (rank: Int, number: ArraySlice<UInt8>)?)) -> Int {
        if a.0 != b.0 { return a.0 < b.0 ? -1 : 1 }
        guard let x = a.1, let y = b.1 else { return 0 }
        if x.rank != y.rank { return x.rank < y.rank ? -1 : 1 }
        return DigitRun.compare(x.number, y.number)
    }

    /// Compares optional numbers where a missing one is `missing` (-1: below all, 1: above all).
    private static func compareOptional(_ a: ArraySlice<UInt8>?, _ b: ArraySlice<UInt8>?, missing: Int) -> Int {
        switch (a, b) {
        case (nil, nil): return 0
        case (nil, _): return missing
        case (_, nil): return -missing
        case (let x?, let y?): return DigitRun.compare(x, y)
        }
    }

    private static func compareLocal(_ a: [ArraySlice<UInt8>]?, _ b: [ArraySlice<UInt8>]?) -> Int {
        guard let a, let b else { return a == nil ? (b == nil ? 0 : -1) : 1 }
        for (x, y) in zip(a, b) {
            let xNumeric = x.allSatisfy(DigitRun.isDigit)
            let yNumeric = y.allSatisfy(DigitRun.isDigit)
            let r: Int
            switch (xNumeric, yNumeric) {
            case (true, true): r = DigitRun.compare(x, y)
            case (true, false): r = 1
            case (false, true): r = -1
            case (false, false): r = DigitRun.compareBytes(x, y)
            }
            if r != 0 { return r }
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }
}
