import Foundation
import Scan
import Testing
import TestKit

/// Every version ordering against the reference implementation of its ecosystem, on 10,000 seeded random
/// pairs each (VersionGenerator), plus apk-tools' own vectors, random bytes (nothing traps), and the OSV
/// ecosystem names.
@Suite struct VersionOrderingTests {
    /// STRATA_VERSION_PAIRS and STRATA_VERSION_SEED widen a local run (more pairs, other seeds).
    static let pairCount = ProcessInfo.processInfo.environment["STRATA_VERSION_PAIRS"].flatMap { Int($0) } ?? 10_000
    static let seedOffset = ProcessInfo.processInfo.environment["STRATA_VERSION_SEED"].flatMap { UInt64($0) } ?? 0

    /// Our answer in the oracles' notation: nil (not a version) is "x", written here as nil.
    static func ours(_ scheme: VersionScheme, _ pairs: [(String, String)]) -> [Int?] {
        pairs.map { scheme.compare($0.0, $0.1) }
    }

    /// Compares with the oracle and records the first 20 disagreements with their pairs.
    static func checkAgainstOracle(_ scheme: VersionScheme, seed: UInt64, excluding excluded: ((String, String)) -> Bool = { _ in false },
                                   sourceLocation: SourceLocation = #_sourceLocation) throws {
        var generator = VersionGenerator(seed: seed &+ seedOffset)
        let pairs = generator.pairs(scheme, count: pairCount).filter { !excluded($0) }
        guard let expected = try VersionOracles.answers(for: scheme, pairs) else { return }
        try #require(expected.count == pairs.count, "the \(scheme) oracle answered \(expected.count) of \(pairs.count) pairs", sourceLocation: sourceLocation)
        let actual = ours(scheme, pairs)
        var disagreements: [String] = []
        var compared = 0
        for (index, pair) in pairs.enumerated() {
            if expected[index] != nil { compared += 1 }
            if actual[index] != expected[index] {
                disagreements.append("\(pair.0.debugDescription) vs \(pair.1.debugDescription): ours \(actual[index].map { "\($0)" } ?? "invalid"), oracle \(expected[index].map { "\($0)" } ?? "invalid")")
            }
        }
        #expect(disagreements.count == 0, "\(scheme): \(disagreements.count) of \(pairs.count) pairs disagree with the oracle; first 20:\n\(disagreements.prefix(20).joined(separator: "\n"))", sourceLocation: sourceLocation)
        // The generator must reach the interesting part: most pairs are versions, and all three answers occur.
        #expect(compared > pairs.count / 3, "\(scheme): only \(compared) of \(pairs.count) pairs were valid versions", sourceLocation: sourceLocation)
        for answer in [-1, 0, 1] {
            #expect(expected.contains(answer), "\(scheme): no pair compared \(answer)", sourceLocation: sourceLocation)
        }
    }

    @Test func dpkgMatchesLibdpkg() throws { try Self.checkAgainstOracle(.dpkg, seed: 0xD9C6) }

    /// The dpkg command itself (one process per comparison, so 1,000 pairs) agrees too.
    @Test func dpkgMatchesDpkgCompareVersions() throws {
        var generator = VersionGenerator(seed: 0xD9C7)
        let pairs = generator.pairs(.dpkg, count: 1_000)
        guard let expected = try VersionOracles.dpkgCommand(pairs) else { return }
        try #require(expected.count == pairs.count)
        let disagreements = pairs.indices.filter { VersionScheme.dpkg.compare(pairs[$0].0, pairs[$0].1) != expected[$0] }
            .prefix(20).map { "\(pairs[$0].0.debugDescription) vs \(pairs[$0].1.debugDescription): oracle \(expected[$0].map { "\($0)" } ?? "invalid")" }
        #expect(disagreements.count == 0, "dpkg --compare-versions disagrees:\n\(disagreements.joined(separator: "\n"))")
    }
    @Test func rpmMatchesRpmVer() throws { try Self.checkAgainstOracle(.rpm, seed: 0x4E3) }
    @Test func pep440MatchesPackaging() throws { try Self.checkAgainstOracle(.pep440, seed: 0x440) }
    @Test func semverMatchesPythonSemver() throws { try Self.checkAgainstOracle(.semver, seed: 0x5E3) }
    @Test func goMatchesXModSemver() throws { try Self.checkAgainstOracle(.go, seed: 0x60) }
    @Test func mavenMatchesComparableVersion() throws { try Self.checkAgainstOracle(.maven, seed: 0x3A7) }

    /// apk-tools' own vectors. Lines whose one side apk refuses ("1.0 < 1.0bc", "23_foo > 4_beta": apk still
    /// orders them) are refused here: such a string is not a version to match advisories against.
    @Test func apkMatchesApkToolsVectors() {
        var checked = 0
        for fact in ApkVersionVectors.comparisons.split(whereSeparator: { $0 == ";" || $0 == "\n" }) {
            let parts = fact.split(separator: " ").map(String.init)
            guard parts.count == 3 else { Issue.record("bad vector \(fact)"); continue }
            let expected = ["<": -1, "=": 0, ">": 1][parts[1]]
            let result = VersionScheme.apk.compare(parts[0], parts[2])
            if VersionScheme.apk.isValid(parts[0]) && VersionScheme.apk.isValid(parts[2]) {
                #expect(result == expected, "\(fact): got \(result.map { "\($0)" } ?? "invalid")")
                #expect(VersionScheme.apk.compare(parts[2], parts[0]) == expected.map { -$0 }, "\(fact) reversed")
                checked += 1
            } else {
                #expect(result == nil, "\(fact): one side is not a valid apk version")
            }
        }
        #expect(checked >= 730)
        for version in ApkVersionVectors.valid { #expect(VersionScheme.apk.isValid(version), "\(version) is valid") }
        for version in ApkVersionVectors.invalid { #expect(!VersionScheme.apk.isValid(version), "\(version) is invalid") }
    }

    /// apk on random pairs: without an oracle, the ordering must at least be a total order on them
    /// (antisymmetric and transitive), which a hand-written comparison easily breaks. With STRATA_APK_ORACLE
    /// (see VersionOracles) the pairs are also checked against apk-tools itself.
    @Test func apkIsATotalOrderOnRandomVersions() throws {
        if ProcessInfo.processInfo.environment["STRATA_APK_ORACLE"] != nil {
            // apk reads numbers into a uint64_t that wraps; numbers of 20 digits or more are left out.
            let longNumber = try Regex("[0-9]{20}")
            try Self.checkAgainstOracle(.apk, seed: 0xA9D) { $0.0.contains(longNumber) || $0.1.contains(longNumber) }
        }
        var generator = VersionGenerator(seed: 0xA9C)
        let versions = (0..<600).map { _ in generator.version(.apk) }.filter { VersionScheme.apk.isValid($0) }
        #expect(versions.count > 200)
        let sorted = versions.sorted { VersionScheme.apk.compare($0, $1) == -1 }
        for (x, y) in zip(sorted, sorted.dropFirst()) {
            #expect(VersionScheme.apk.compare(x, y) != 1, "\(x) sorted before \(y)")
        }
        for i in stride(from: 0, to: versions.count - 1, by: 1) {
            let (x, y) = (versions[i], versions[i + 1])
            #expect(VersionScheme.apk.compare(x, y) == VersionScheme.apk.compare(y, x).map { -$0 })
        }
    }

    /// Known orderings the specifications state, one per rule, for every scheme.
    @Test(arguments: [
        (VersionScheme.dpkg, "1.0~rc1", "1.0", -1), (.dpkg, "1.0", "1.0+b1", -1), (.dpkg, "1:0.9", "2.0", 1),
        (.dpkg, "1.0-1", "1.0-1~bpo1", 1), (.dpkg, "1.00", "1.0", 0), (.dpkg, "0:1.0", "1.0", 0), (.dpkg, "1.0a", "1.0.", -1),
        (.dpkg, "99999999999999999999999.1", "99999999999999999999998.9", 1),
        (.apk, "1.2.3-r1", "1.2.3", 1), (.apk, "1.0_rc1", "1.0", -1), (.apk, "1.0_p1", "1.0", 1), (.apk, "1.0a", "1.0", 1),
        (.rpm, "1.0~rc1", "1.0", -1), (.rpm, "1.0^git1", "1.0", 1), (.rpm, "1.0^git1", "1.0.1", -1), (.rpm, "1:1.0-1", "2.0-1", 1),
        (.rpm, "1.0a", "1.0", 1), (.rpm, "1.0-1.el9", "1.0-1.el9_1", -1), (.rpm, "1.10", "1.9", 1),
        (.pep440, "1.0.dev0", "1.0a0", -1), (.pep440, "1.0a1", "1.0b1", -1), (.pep440, "1.0rc1", "1.0", -1),
        (.pep440, "1.0", "1.0.post1", -1), (.pep440, "1.0-1", "1.0.post1", 0), (.pep440, "1.0RC1", "1.0rc1", 0),
        (.pep440, "1!0.1", "2.0", 1), (.pep440, "1.0+local.1", "1.0", 1), (.pep440, "1.0+abc", "1.0+1", -1), (.pep440, "1.0", "1.0.0", 0),
        (.semver, "1.0.0-alpha", "1.0.0-alpha.1", -1), (.semver, "1.0.0-alpha.beta", "1.0.0-beta", -1),
        (.semver, "1.0.0-beta.11", "1.0.0-rc.1", -1), (.semver, "1.0.0-rc.1", "1.0.0", -1), (.semver, "1.0.0+build", "1.0.0", 0),
        (.semver, "v1.2.3", "1.2.3", 0), (.semver, "1.0.0-2", "1.0.0-11", -1),
        (.go, "v1.2", "v1.2.0", 0), (.go, "v0.0.0-20210101000000-abcdef123456", "v0.0.1", -1),
        (.go, "v1.2.4-0.20210101000000-abcdef123456", "v1.2.3", 1), (.go, "v2.0.0+incompatible", "v2.0.0", 0), (.go, "1.2.3", "v1.2.3", 0),
        (.maven, "1.0-alpha1", "1.0-beta1", -1), (.maven, "1.0-rc1", "1.0-cr1", 0), (.maven, "1.0-SNAPSHOT", "1.0", -1),
        (.maven, "1.0", "1.0-sp1", -1), (.maven, "1.0.0", "1", 0), (.maven, "1.0-ga", "1.0", 0), (.maven, "1.0-final", "1.0.0", 0),
        (.maven, "1.0-m3", "1.0-milestone-3", 0), (.maven, "1.0-xyz", "1.0-sp", 1), (.maven, "1.0.1", "1.0-1", 1),
    ])
    func specifiedOrderings(_ scheme: VersionScheme, _ a: String, _ b: String, _ expected: Int) {
        #expect(scheme.compare(a, b) == expected, "\(scheme): \(a) vs \(b)")
        #expect(scheme.compare(b, a) == -expected, "\(scheme): \(b) vs \(a)")
    }

    @Test(arguments: [
        (VersionScheme.dpkg, ""), (.dpkg, "1.0 beta"), (.dpkg, "a:1.0"), (.dpkg, "1.0-"), (.dpkg, "1:"), (.dpkg, "2147483648:1"),
        (.apk, ""), (.apk, "1.0-r"), (.apk, "a"), (.rpm, ""), (.pep440, ""), (.pep440, "1.0-"), (.pep440, "one"),
        (.semver, "1.0"), (.semver, "01.0.0"), (.semver, "1.0.0-01"), (.go, "v1.2-pre"), (.go, "v01.0.0"), (.go, ""),
    ])
    func refusedVersions(_ scheme: VersionScheme, _ text: String) {
        #expect(scheme.compare(text, "1.0.0") == nil, "\(scheme) refuses \(text.debugDescription)")
        #expect(!scheme.isValid(text))
    }

    /// Random bytes (as lossy UTF-8 strings) and random scheme characters never trap, and every answer is
    /// antisymmetric and reflexive.
    @Test func randomInputNeverTraps() {
        var rng = SeededGenerator(seed: 0xB17E5)
        let alphabet = Array("0123456789.:-~^+_!=vrapbe ".utf8)
        for round in 0..<20_000 {
            func text() -> String {
                let length = Int.random(in: 0...40, using: &rng)
                let bytes: [UInt8] = (0..<length).map { _ in
                    round % 2 == 0 ? UInt8.random(in: 0...255, using: &rng) : alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]
                }
                return String(decoding: bytes, as: UTF8.self)
            }
            let a = text()
            let b = text()
            for scheme in VersionScheme.allCases {
                let forward = scheme.compare(a, b)
                if forward.map({ $0 < -1 || $0 > 1 }) == true { Issue.record("\(scheme) answered \(forward!)") }
                if forward != scheme.compare(b, a).map({ -$0 }) { Issue.record("\(scheme) is not antisymmetric on \(a.debugDescription), \(b.debugDescription)") }
                if let self = scheme.compare(a, a), self != 0 { Issue.record("\(scheme): \(a.debugDescription) differs from itself") }
            }
        }
        let long = String(repeating: "9", count: 5_000)
        for scheme in VersionScheme.allCases {
            #expect(scheme.compare("1.\(long)", "1.\(long)0") != 1, "\(scheme) on long digit runs")
        }
    }

    @Test func osvEcosystems() {
        let expected: [String: VersionScheme?] = [
            "Debian": .dpkg, "Debian:12": .dpkg, "Ubuntu:22.04": .dpkg, "Ubuntu:Pro:18.04:LTS": .dpkg,
            "Alpine:v3.18": .apk, "Wolfi": .apk, "Chainguard": .apk, "PyPI": .pep440, "npm": .semver, "crates.io": .semver,
            "Go": .go, "Maven": .maven, "Red Hat": .rpm, "Red Hat:enterprise_linux:9::baseos": .rpm, "Rocky Linux:9": .rpm,
            "AlmaLinux:8": .rpm, "openSUSE": .rpm, "SUSE:Linux Enterprise Server 15 SP5": .rpm,
            "Packagist": nil, "RubyGems": nil, "NuGet": nil, "Pub": nil, "debian": nil, "": nil,
        ]
        for (ecosystem, scheme) in expected {
            #expect(VersionScheme.forOSVEcosystem(ecosystem) == scheme, "\(ecosystem)")
        }
    }

    /// compare() throughput per scheme on realistic pairs (printed for the record); every realistic pair of a
    /// scheme whose versions are always valid must compare.
    @Test func throughput() {
        for scheme in VersionScheme.allCases {
            var generator = VersionGenerator(seed: 0x7A57)
            let pairs = (0..<20_000).map { _ in (generator.realistic(scheme), generator.realistic(scheme)) }
            let clock = ContinuousClock()
            var answered = 0
            let elapsed = clock.measure {
                for (a, b) in pairs where scheme.compare(a, b) != nil { answered += 1 }
            }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print("compare throughput \(scheme): \(Int(Double(pairs.count) / max(seconds, 1e-9))) pairs/s")
            if [.rpm, .maven].contains(scheme) { #expect(answered == pairs.count, "\(scheme)") }
            #expect(answered > pairs.count / 2, "\(scheme): \(answered) of \(pairs.count) realistic pairs compared")
        }
    }
}
