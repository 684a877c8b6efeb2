import Foundation
import OCI
import Testing
@testable import Scan

@Suite struct FindingFilterTests {
    private func finding(_ id: String, aliases: [String] = [], severity: Severity = .high, fixed: String? = "2",
                         type: PackageType = .deb) -> VulnerabilityFinding {
        let package = CatalogedPackage(name: "p", version: "1", type: type, purl: "pkg:\(type.purlType)/p@1")
        return VulnerabilityFinding(id: id, aliases: aliases, package: package, installedVersion: "1", fixedVersion: fixed,
                                    severity: severity, title: nil, ecosystem: "Debian:12")
    }

    @Test func severityAndPackageKindListsParseLikeTrivy() throws {
        #expect(try FindingFilter.severities("critical, HIGH") == [.critical, .high])
        #expect(throws: ScanOptionError.self) { try FindingFilter.severities("HIGH,SEVERE") }
        #expect(throws: ScanOptionError.self) { try FindingFilter.severities(",") }
        #expect(try FindingFilter.packageKinds("library") == [.library])
        #expect(throws: ScanOptionError.self) { try FindingFilter.packageKinds("os,lang") }
    }

    @Test func filtersBySeverityFixAndKind() {
        let filter = FindingFilter(severities: [.critical, .high], ignoreUnfixed: true, packageKinds: [.os])
        #expect(filter.keeps(finding("CVE-1")))
        #expect(!filter.keeps(finding("CVE-1", severity: .medium)))
        #expect(!filter.keeps(finding("CVE-1", fixed: nil)))
        #expect(!filter.keeps(finding("CVE-1", type: .python)))
        #expect(filter.scans(.apk) && !filter.scans(.npm))
    }

    @Test func ignoreFileMatchesIDsAndAliasesUntilExpiry() throws {
        let list = try IgnoreList(parsing: """
            # accepted risks
            CVE-2023-0001
            GHSA-aaaa-bbbb-cccc   exp:2024-06-30
              DSA-5000-1 # trailing comment

            """)
        #expect(list.entries.map(\.id) == ["CVE-2023-0001", "GHSA-aaaa-bbbb-cccc", "DSA-5000-1"])
        let before = ISO8601DateFormatter().date(from: "2024-06-29T12:00:00Z")!
        let after = ISO8601DateFormatter().date(from: "2024-07-01T00:00:00Z")!
        #expect(list.ignores(finding("CVE-2023-0001"), now: after))
        #expect(list.ignores(finding("CVE-2024-9", aliases: ["DSA-5000-1"]), now: after))
        #expect(list.ignores(finding("CVE-2024-7", aliases: ["GHSA-aaaa-bbbb-cccc"]), now: before))
        #expect(!list.ignores(finding("CVE-2024-7", aliases: ["GHSA-aaaa-bbbb-cccc"]), now: after))
        #expect(!list.ignores(finding("CVE-2023-0002"), now: before))
        #expect(throws: ScanOptionError.self) { try IgnoreList(parsing: "CVE-1 exp:2024-02-30") }
        #expect(throws: ScanOptionError.self) { try IgnoreList(parsing: "CVE-1 exp:tomorrow") }
    }
}
