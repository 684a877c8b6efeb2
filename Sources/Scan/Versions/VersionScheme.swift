// The version orderings are hand-written: no Swift library implements them. Each scheme's file cites the
// specification or the reference implementation it follows, and the tests compare every scheme against that
// implementation (Tests/ScanTests/VersionOrderingTests.swift).

/// The version orderings of the ecosystems Strata matches advisories in. `compare` returns the sign of
/// `a - b` (-1, 0, 1), or nil when either string is not a version of the scheme.
public enum VersionScheme: String, Sendable, CaseIterable, Hashable {
    /// Debian and Ubuntu: epoch, upstream version and revision, `~` sorting before everything.
    case dpkg
    /// Alpine's apk-tools ordering (suffixes `_alpha` … `_p`, `~hash`, `-rN`).
    case apk
    /// rpmvercmp with epoch and release.
    case rpm
    /// Python's PEP 440.
    case pep440
    /// Semantic Versioning 2.0.0 (npm, crates.io, OSV `SEMVER` ranges).
    case semver
    /// Go modules: semver with a `v`, pseudo-versions, `+incompatible`.
    case go
    /// Maven's ComparableVersion.
    case maven

    /// The sign of `a - b` in this scheme (-1, 0 or 1); nil when `a` or `b` is not a version of the scheme.
    /// Lenient where the reference tool is: dpkg compares versions it only warns about, rpm and Maven
    /// order any string (rpm refuses only the empty one).
    public func compare(_ a: String, _ b: String) -> Int? {
        switch self {
        case .dpkg: return DpkgVersion.compare(a, b)
        case .apk: return ApkVersion.compare(a, b)
        case .rpm: return RpmVersion.compare(a, b)
        case .pep440: return PEP440Version.compare(a, b)
        case .semver: return SemanticVersion.compare(a, b)
        case .go: return GoModuleVersion.compare(a, b)
        case .maven: return MavenVersion.compare(a, b)
        }
    }

    /// Whether `version` is a version of this scheme (what `compare` accepts).
    public func isValid(_ version: String) -> Bool {
        compare(version, version) != nil
    }

    /// The ordering of an OSV `ecosystem` (https://ossf.github.io/osv-schema/#affectedpackage-field): the part
    /// before the first `:` names it ("Debian:12", "Alpine:v3.18", "Ubuntu:Pro:22.04:LTS"). Nil for ecosystems
    /// whose ordering is none of these (Packagist, RubyGems, NuGet, Pub… have their own).
    public static func forOSVEcosystem(_ ecosystem: String) -> VersionScheme? {
        let base = ecosystem.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        switch base {
        case "Debian", "Ubuntu": return .dpkg
        case "Alpine", "Wolfi", "Chainguard": return .apk
        case "Red Hat", "Rocky Linux", "AlmaLinux", "openSUSE", "SUSE", "Mageia", "openEuler", "Photon OS": return .rpm
        case "PyPI": return .pep440
        case "npm", "crates.io", "Hex": return .semver
        case "Go": return .go
        case "Maven": return .maven
        default: return nil
        }
    }
}

/// Runs of ASCII digits compared as numbers of any length, without parsing them into an integer.
enum DigitRun {
    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// The sign of `a - b` for two runs of ASCII digits (leading zeros ignored; an empty run is zero).
    static func compare<A: Collection, B: Collection>(_ a: A, _ b: B) -> Int where A.Element == UInt8, B.Element == UInt8 {
        let a = a.drop { $0 == 0x30 }
        let b = b.drop { $0 == 0x30 }
        if a.count != b.count { return a.count < b.count ? -1 : 1 }
        for (x, y) in zip(a, b) where x != y { return x < y ? -1 : 1 }
        return 0
    }

    /// The sign of a byte-wise comparison, a shorter prefix first (C's memcmp then length; strcmp without NULs).
    static func compareBytes<A: Collection, B: Collection>(_ a: A, _ b: B) -> Int where A.Element == UInt8, B.Element == UInt8 {
        var i = a.makeIterator()
        var j = b.makeIterator()
        while true {
            switch (i.next(), j.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case (let x?, let y?): if x != y { return x < y ? -1 : 1 }
            }
        }
    }
}
