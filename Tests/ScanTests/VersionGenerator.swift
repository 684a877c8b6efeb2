import Scan
import TestKit



/// Random versions of each scheme: realistic shapes (what distributions and registries publish) and adversarial
/// ones (epochs, `~`, empty parts, leading zeros, very long digit runs, stray letters, non-ASCII junk), and pairs
/// of them where the second is often a small edit of the first, so comparisons reach deep into both strings.
/// Strings never hold a tab, newline, carriage return or NUL (the oracles read tab-separated lines) and are
/// never empty (dpkg's command line gives the empty string a meaning of its own).
struct VersionGenerator {
    var rng: SeededGenerator

    init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

    static let junk = ["é", "ß", "€", "中", "😀", "Ω", "\u{301}", "٣", "１", "\u{212A}", "\u{A0}", "İ", "ſ"]

    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &rng) < percent }
    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &rng)] }
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }

    /// A number: mostly small, sometimes with leading zeros, sometimes far beyond 64 bits.
    mutating func number(leadingZeros: Bool = true) -> String {
        switch int(0...99) {
        case 0..<55: return String(int(0...12))
        case 55..<75: return String(int(0...2025))
        case 75..<85: return leadingZeros ? String(repeating: "0", count: int(1...3)) + String(int(0...99)) : String(int(100...99999))
        case 85..<93: return String((0..<int(19...45)).map { _ in pick(Array("0123456789")) })
        default: return String(int(0...9))
        }
    }

    mutating func dotted(_ count: ClosedRange<Int>, leadingZeros: Bool = true) -> String {
        (0..<int(count)).map { _ in number(leadingZeros: leadingZeros) }.joined(separator: ".")
    }

    mutating func randomString(_ alphabet: String, length: ClosedRange<Int>, junk: Bool = true) -> String {
        let characters = Array(alphabet)
        var out = ""
        for _ in 0..<int(length) {
            if junk && chance(4) { out += pick(Self.junk) } else { out.append(pick(characters)) }
        }
        return out.isEmpty ? "0" : out
    }

    mutating func realistic(_ scheme: VersionScheme) -> String {
        switch scheme {
        case .dpkg:
            var v = chance(15) ? "\(number()):" : ""
            v += dotted(1...4)
            if chance(30) { v += pick(["~rc", "~beta", "+dfsg", "+really", "~", "+ds", "a", "b", "+git20240101", "~~", ".", "+"]) + (chance(50) ? number() : "") }
            if chance(70) { v += "-" + pick([number(), "\(number())ubuntu\(number())", "0+deb12u\(number())", "\(number())~bpo11+1", "\(number()).\(number())", "\(number())build\(number())"]) }
            return v
        case .apk:
            var v = dotted(1...4, leadingZeros: chance(20))
            if chance(15) { v += pick(["a", "b", "c", "z"]) }
            for _ in 0..<(chance(35) ? int(1...2) : 0) { v += "_" + pick(["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"]) + (chance(60) ? number() : "") }
            if chance(10) { v += "~" + randomString("0123456789abcdef", length: 4...12, junk: false) }
            if chance(70) { v += "-r" + number() }
            return v
        case .rpm:
            var v = chance(20) ? "\(number()):" : ""
            v += dotted(1...4)
            if chance(25) { v += pick(["~rc", "~beta", "^git", "^", "~", "a", "b", "_", "+"]) + (chance(50) ? number() : "") }
            if chance(80) { v += "-" + pick([number(), "\(number()).el9", "\(number()).el8_\(number())", "\(number()).fc39", "\(number())mdv2010", "\(number()).\(number())"]) }
            return v
        case .pep440:
            var v = chance(5) ? pick(["v", "V"]) : ""
            if chance(10) { v += "\(number())!" }
            v += dotted(1...4)
            let separators = ["", ".", "-", "_"]
            if chance(35) { v += pick(separators) + pick(["a", "b", "rc", "c", "alpha", "beta", "pre", "preview", "RC", "Alpha"]) + pick(separators) + (chance(70) ? number() : "") }
            if chance(25) { v += chance(30) ? "-\(number())" : pick(separators) + pick(["post", "rev", "r", "Post"]) + pick(separators) + (chance(70) ? number() : "") }
            if chance(25) { v += pick(separators) + pick(["dev", "DEV"]) + pick(separators) + (chance(70) ? number() : "") }
            if chance(15) { v += "+" + (0..<int(1...3)).map { _ in chance(50) ? number() : randomString("abcxyzUBUNTU", length: 1...5, junk: false) }.joined(separator: pick([".", "-", "_"])) }
            if chance(3) { v = pick([" ", "\u{A0}", "\u{0B}"]) + v + pick([" ", "", "\u{2003}"]) }
            return v
        case .semver, .go:
            var v = scheme == .go ? (chance(80) ? "v" : "") : (chance(10) ? pick(["v", "=", "=v"]) : "")
            v += "\(number(leadingZeros: false)).\(number(leadingZeros: false)).\(number(leadingZeros: false))"
            if scheme == .go && chance(15) {
                // Pseudo-versions: vX.0.0-yyyymmddhhmmss-hash, vX.Y.(Z+1)-0.yyyymmddhhmmss-hash, vX.Y.Z-pre.0.yyyymmddhhmmss-hash.
                let stamp = "20\(int(10...29))\(String(format2: int(1...12)))\(String(format2: int(1...28)))\(String(format2: int(0...23)))\(String(format2: int(0...59)))\(String(format2: int(0...59)))"
                let hash = randomString("0123456789abcdef", length: 12...12, junk: false)
                v += pick(["-\(stamp)-\(hash)", "-0.\(stamp)-\(hash)", "-rc.1.0.\(stamp)-\(hash)"])
            } else if chance(35) {
                v += "-" + (0..<int(1...3)).map { _ in chance(50) ? number(leadingZeros: false) : pick(["alpha", "beta", "rc", "pre", "x-y", "-", "0a", "SNAPSHOT", "Beta"]) }.joined(separator: ".")
            }
            if chance(15) { v += "+" + pick(["build.1", "incompatible", "001", "sha.5114f85", "x-y-z"]) }
            if scheme == .go && chance(10) { v = "v" + dotted(1...2, leadingZeros: false) }
            return v
        case .maven:
            var v = dotted(1...4)
            if chance(45) {
                v += pick(["-", ".", ""]) + pick(["alpha", "beta", "milestone", "rc", "cr", "snapshot", "SNAPSHOT", "ga", "final", "Final", "release", "RELEASE", "sp", "a", "b", "m", "jre", "android", "GA", "M", "RC", "x"])
                if chance(60) { v += pick(["", "-", "."]) + number() }
            }
            if chance(10) { v += "-" + number() }
            return v
        }
    }

    mutating func adversarial(_ scheme: VersionScheme) -> String {
        switch scheme {
        case .dpkg: return randomString("0123456789.:-~+abzAZ_ ", length: 1...14)
        case .apk: return randomString("0123456789._-~rabcdefpglhsvz", length: 1...14)
        case .rpm: return randomString("0123456789.:-~^+_abzAZ", length: 1...14)
        case .pep440: return randomString("0123456789.!+-_abcdeilnoprstvABCRPV", length: 1...14)
        case .semver: return randomString("0123456789.-+abczAZ=v", length: 1...14)
        case .go: return randomString("0123456789.-+abczAZv", length: 1...14)
        case .maven: return randomString("0123456789.-abcmrsptxyzAZ_", length: 0...14)
        }
    }

    /// A small edit of `version`: a changed, removed or added character, a `.0` or `~` more, a zero in front
    /// of a number, a different case.
    mutating func mutate(_ version: String, _ scheme: VersionScheme) -> String {
        var characters = Array(version)
        let inserts: [String] = ["0", "1", ".", "-", "~", "^", "_", "+", "a", "z", ".0", "-0", "~rc1", "_p1", "-r1", "9999999999999999999999", "00"]
        switch int(0...7) {
        case 0 where !characters.isEmpty:
            characters.remove(at: int(0...(characters.count - 1)))
        case 1:
            characters.insert(contentsOf: pick(inserts), at: int(0...characters.count))
        case 2:
            characters.append(contentsOf: pick([".0", "~", "-0", ".00", "0", "a", "-1", "^", "-", ".", "+1", "_rc"]))
        case 3 where !characters.isEmpty:
            let index = int(0...(characters.count - 1))
            characters[index] = pick(Array("0123456789.-~az"))
        case 4:
            return version.uppercased()
        case 5:
            if let index = characters.firstIndex(where: { $0.isNumber }) { characters.insert("0", at: index) }
        case 6:
            return realistic(scheme)
        default:
            break
        }
        let result = String(characters)
        return result.isEmpty || result.contains(where: { $0 == "\t" || $0 == "\n" || $0 == "\r" }) ? version : result
    }

    mutating func version(_ scheme: VersionScheme) -> String {
        chance(70) ? realistic(scheme) : adversarial(scheme)
    }

    /// `count` pairs: 10% equal strings, 50% a version and an edit of it, 40% two independent versions.
    mutating func pairs(_ scheme: VersionScheme, count: Int) -> [(String, String)] {
        (0..<count).map { _ in
            let a = version(scheme)
            switch int(0...9) {
            case 0: return (a, a)
            case 1...5:
                var b = mutate(a, scheme)
                if chance(30) { b = mutate(b, scheme) }
                return chance(50) ? (a, b) : (b, a)
            default: return (a, version(scheme))
            }
        }
    }
}

extension String {
    /// Two digits with a leading zero.
    init(format2 value: Int) { self = value < 10 ? "0\(value)" : String(value) }
}
