// RPM's version ordering, hand-written (no Swift library implements it). It follows rpm's rpmvercmp
// (rpmio/rpmvercmp.c: alphanumeric segments, `~` before everything, `^` after the base version) and rpmver's
// EVR split and comparison (rpmio/rpmver.c, rpm 4.18); the tests compare it with python3-rpm's `rpm.ver`.

/// An `[epoch:]version[-release]` string as rpm splits it.
struct RpmVersion {
    /// Digits only; nil when the string has no `epoch:` (then compared as "0").
    var epoch: ArraySlice<UInt8>?
    var version: ArraySlice<UInt8>
    /// Nil when there is no `-`; a missing release orders before any release, even an empty one.
    var release: ArraySlice<UInt8>?

    static func compare(_ a: String, _ b: String) -> Int? {
        guard let x = RpmVersion(a), let y = RpmVersion(b) else { return nil }
        let zero = ArraySlice<UInt8>([0x30])
        let epochs = segmentCompare(x.epoch ?? zero, y.epoch ?? zero)
        if epochs != 0 { return epochs }
        let versions = segmentCompare(x.version, y.version)
        if versions != 0 { return versions }
        switch (x.release, y.release) {
        case (nil, nil): return 0
        case (nil, _): return -1
        case (_, nil): return 1
        case (let r?, let s?): return segmentCompare(r, s)
        }
    }

    /// rpm's parseEVR: leading digits then `:` make the epoch (empty → "0"); the last `-` after them starts
    /// the release. Only the empty string is refused (rpmverParse returns nothing for it).
    init?(_ text: String) {
        var bytes = ArraySlice(Array(text.utf8))
        // rpm works on C strings: a NUL ends the version.
        if let nul = bytes.firstIndex(of: 0) { bytes = bytes[..<nul] }
        if bytes.isEmpty { return nil }
        let epochEnd = bytes.firstIndex { !DigitRun.isDigit($0) } ?? bytes.endIndex
        let hyphen = bytes[epochEnd...].lastIndex(of: UInt8(ascii: "-"))
        var versionStart = bytes.startIndex
        if epochEnd < bytes.endIndex && bytes[epochEnd] == UInt8(ascii: ":") {
            let digits = bytes[..<epochEnd]
            epoch = digits.isEmpty ? ArraySlice([0x30]) : digits
            versionStart = epochEnd + 1
        } else {
            epoch = nil
        }
        if let hyphen {
            version = bytes[versionStart..<hyphen]
            release = bytes[(hyphen + 1)...]
        } else {
            version = bytes[versionStart...]
            release = nil
        }
    }

    private static func isAlpha(_ c: UInt8) -> Bool { (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) }
    private static func isAlnum(_ c: UInt8) -> Bool { isAlpha(c) || DigitRun.isDigit(c) }

    /// rpmvercmp: skip separators, `~` sorts before anything (even the end), `^` after the end but before
    /// anything else; digit runs compare as numbers and beat letter runs; letter runs compare bytewise;
    /// when all segments agree, the string with something left over is newer.
    static func segmentCompare(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Int {
        if a.elementsEqual(b) { return 0 }
        let tilde = UInt8(ascii: "~")
        let caret = UInt8(ascii: "^")
        var i = a.startIndex
        var j = b.startIndex
        func at(_ s: ArraySlice<UInt8>, _ k: Int) -> UInt8? { k < s.endIndex ? s[k] : nil }
        while i < a.endIndex || j < b.endIndex {
            while let c = at(a, i), !isAlnum(c), c != tilde, c != caret { i += 1 }
            while let c = at(b, j), !isAlnum(c), c != tilde, c != caret { j += 1 }
            let ca = at(a, i)
            let cb = at(b, j)
            if ca == tilde || cb == tilde {
                if ca != tilde { return 1 }
                if cb != tilde { return -1 }
                i += 1
                j += 1
                continue
            }
            if ca == caret || cb == caret {
                if ca == nil { return -1 }
                if cb == nil { return 1 }
                if ca != caret { return 1 }
                if cb != caret { return -1 }
                i += 1
                j += 1
                continue
            }
            guard let first = ca, cb != nil else { break }
            let numeric = DigitRun.isDigit(first)
            let run: (UInt8) -> Bool = { numeric ? DigitRun.isDigit($0) : isAlpha($0) }
            let segmentA = a[i...].prefix(while: run)
            let segmentB = b[j...].prefix(while: run)
            if segmentB.isEmpty { return numeric ? 1 : -1 }
            let order = numeric ? DigitRun.compare(segmentA, segmentB) : DigitRun.compareBytes(segmentA, segmentB)
            if order != 0 { return order }
            i = segmentA.endIndex
            j = segmentB.endIndex
        }
        let endA = i >= a.endIndex
        let endB = j >= b.endIndex
        if endA && endB { return 0 }
        return endA ? -1 : 1
    }
}
