// Debian's version ordering, hand-written (no Swift library implements it). It follows deb-version(7) and
// Debian Policy §5.6.12, and matches dpkg's parseversion and verrevcmp (lib/dpkg/parsehelp.c, version.c) in
// what it accepts and how it orders; the tests compare it with `dpkg --compare-versions`.

/// A Debian version `[epoch:]upstream[-revision]`.
struct DpkgVersion {
    /// The epoch's digits (no sign, maybe leading zeros).
    var epoch: ArraySlice<UInt8>
    var upstream: ArraySlice<UInt8>
    var revision: ArraySlice<UInt8>

    static func compare(_ a: String, _ b: String) -> Int? {
        guard let x = DpkgVersion(a), let y = DpkgVersion(b) else { return nil }
        let epochs = DigitRun.compare(x.epoch, y.epoch)
        if epochs != 0 { return epochs }
        let upstreams = orderFragments(x.upstream, y.upstream)
        if upstreams != 0 { return upstreams }
        return orderFragments(x.revision, y.revision)
    }

    /// Parses as dpkg does. Errors (nil): empty, embedded blanks, a bad epoch, nothing after the colon, an empty
    /// revision or upstream version. What dpkg only warns about (a first character that is no digit, characters
    /// outside the allowed set) is accepted, since `dpkg --compare-versions` still compares such versions.
    init?(_ text: String) {
        let bytes = Array(text.utf8)
        if bytes.isEmpty || text == "<unknown>" { return nil }
        func isBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }
        var start = 0
        while start < bytes.count && isBlank(bytes[start]) { start += 1 }
        var end = start
        while end < bytes.count && !isBlank(bytes[end]) { end += 1 }
        if bytes[end...].contains(where: { !isBlank($0) }) { return nil }
        // dpkg works on C strings: a NUL ends the version.
        if let nul = bytes[start..<end].firstIndex(of: 0) { end = nul }
        var rest = bytes[start..<end]

        var epochDigits = ArraySlice<UInt8>([0x30])
        if let colon = rest.firstIndex(of: UInt8(ascii: ":")) {
            guard let digits = DpkgVersion.epochDigits(rest[rest.startIndex..<colon]) else { return nil }
            epochDigits = digits
            rest = rest[(colon + 1)...]
            if rest.isEmpty { return nil }
        }
        var revision = ArraySlice<UInt8>()
        if let hyphen = rest.lastIndex(of: UInt8(ascii: "-")) {
            revision = rest[(hyphen + 1)...]
            if revision.isEmpty { return nil }
            rest = rest[rest.startIndex..<hyphen]
        }
        if rest.isEmpty { return nil }
        epoch = epochDigits
        upstream = rest
        self.revision = revision
    }

    /// The epoch as strtol reads it (leading white space, a sign), refused when empty, not wholly a number,
    /// negative or above INT_MAX.
    private static func epochDigits(_ text: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        var i = text.startIndex
        while i < text.endIndex && (text[i] == 0x20 || (text[i] >= 0x09 && text[i] <= 0x0D)) { i += 1 }
        var negative = false
        if i < text.endIndex && (text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: "-")) {
            negative = text[i] == UInt8(ascii: "-")
            i += 1
        }
        let digits = text[i...]
        guard !digits.isEmpty, digits.allSatisfy(DigitRun.isDigit) else { return nil }
        let significant = digits.drop { $0 == 0x30 }
        if negative && !significant.isEmpty { return nil }
        if DigitRun.compare(significant, Array("2147483647".utf8)) > 0 { return nil }
        return digits
    }

    /// A character's weight outside digit runs: `~` lowest, then the end of the string, letters, then
    /// everything else (dpkg's `order`, where bytes above 0x7F are negative chars shifted by 256).
    private static func weight(_ c: UInt8?) -> Int {
        guard let c else { return 0 }
        if DigitRun.isDigit(c) { return 0 }
        if (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) { return Int(c) }
        if c == UInt8(ascii: "~") { return -1 }
        return c >= 0x80 ? Int(c) : Int(c) + 256
    }

    /// dpkg's verrevcmp: alternate non-digit runs (compared by weight) and digit runs (compared as numbers).
    static func orderFragments(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Int {
        var i = a.startIndex
        var j = b.startIndex
        func at(_ s: ArraySlice<UInt8>, _ k: Int) -> UInt8? { k < s.endIndex ? s[k] : nil }
        while i < a.endIndex || j < b.endIndex {
            while (at(a, i).map { !DigitRun.isDigit($0) } ?? false) || (at(b, j).map { !DigitRun.isDigit($0) } ?? false) {
                let wa = weight(at(a, i))
                let wb = weight(at(b, j))
                if wa != wb { return wa < wb ? -1 : 1 }
                i += 1
                j += 1
            }
            let digitsA = a[i...].prefix(while: DigitRun.isDigit)
            let digitsB = b[j...].prefix(while: DigitRun.isDigit)
            let order = DigitRun.compare(digitsA, digitsB)
            if order != 0 { return order }
            i = digitsA.endIndex
            j = digitsB.endIndex
        }
        return 0
    }
}
