import GoText
import OCI

/// A scan report as SARIF 2.1.0 in the shape GitHub code scanning accepts: hand-written from the OASIS SARIF 2.1.0
/// specification and GitHub's documented requirements (one run; `tool.driver` with name, version, informationUri
/// (the stamp's `informationURI`, when set) and one rule per vulnerability carrying `properties.security-severity` and tags; results with `ruleId`, a
/// `level` from the severity, a message, and a physical location on the file that proves the package, line 1).
public enum SARIFReport {
    public static func write(findings: [VulnerabilityFinding], image: ScannedImage, os: OSIdentity?,
                             stamp: DocumentStamp) -> [UInt8] {
        let ordered = ScanTarget.group(findings, image: image, os: os).flatMap(\.findings)
        var ruleIndex: [String: Int] = [:]
        var rules: [JSONValue] = []
        for finding in ordered where ruleIndex[finding.id] == nil {
            ruleIndex[finding.id] = rules.count
            rules.append(rule(finding))
        }
        let results = ordered.map { result($0, ruleIndex: ruleIndex[$0.id] ?? 0) }

        var properties = JSONObjectBuilder()
        properties.add("imageName", image.reference)
        properties.add("imageID", image.imageID.description)
        properties.add("repoDigests", JSONValue.strings(image.repoDigests))
        properties.add("repoTags", JSONValue.strings(image.repoTags))

        var driver = JSONObjectBuilder()
        driver.add("name", stamp.toolName)
        driver.add("fullName", "\(stamp.toolName) vulnerability scanner")
        driver.add("version", stamp.toolVersion)
        driver.add("informationUri", stamp.informationURI)
        driver.add("rules", .array(rules))
        let run: JSONValue = .fields([
            "tool": .fields(["driver": driver.object]),
            "results": .array(results),
            "columnKind": .string("utf16CodeUnits"),
            "originalUriBaseIds": .fields(["ROOTPATH": .fields(["uri": .string("file:///")])]),
            "properties": properties.object,
        ])
        return DocumentJSON.encode(.fields([
            "version": .string("2.1.0"),
            "$schema": .string("https://json.schemastore.org/sarif-2.1.0.json"),
            "runs": .array([run]),
        ]))
    }

    /// error for critical and high, warning for medium, note below.
    static func level(_ severity: Severity) -> String {
        switch severity {
        case .critical, .high: return "error"
        case .medium: return "warning"
        case .low, .unknown: return "note"
        }
    }

    /// GitHub's `security-severity`: the CVSS score when known, else a score inside the severity's band.
    static func securitySeverity(_ finding: VulnerabilityFinding) -> String {
        let score: Double
        if let cvss = finding.cvssScore, (0...10).contains(cvss) {
            score = cvss
        } else {
            switch finding.severity {
            case .critical: score = 9.5
            case .high: score = 8.0
            case .medium: score = 5.5
            case .low: score = 2.0
            case .unknown: score = 0.0
            }
        }
        return oneDecimal(score)
    }

    private static func oneDecimal(_ score: Double) -> String {
        let tenths = Int((score * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    private static func link(_ finding: VulnerabilityFinding) -> String {
        finding.references.first { $0.hasPrefix("https://") || $0.hasPrefix("http://") }
            ?? "https://osv.dev/vulnerability/" + finding.id
    }

    private static func rule(_ finding: VulnerabilityFinding) -> JSONValue {
        let title = finding.title.flatMap { $0.isEmpty ? nil : $0 } ?? finding.id
        let description = finding.description.flatMap { $0.isEmpty ? nil : $0 } ?? title
        let help = "Vulnerability \(finding.id)\nSeverity: \(finding.severity.rawValue)\nPackage: \(finding.package.name)\n"
            + "Fixed Version: \(finding.fixedVersion ?? "")\nLink: [\(finding.id)](\(link(finding)))\n\(description)"
        let markdown = "**Vulnerability \(finding.id)**\n| Severity | Package | Fixed Version | Link |\n| --- | --- | --- | --- |\n"
            + "|\(finding.severity.rawValue)|\(finding.package.name)|\(finding.fixedVersion ?? "")|[\(finding.id)](\(link(finding)))|\n\n"
            + description
        return .fields([
            "id": .string(finding.id),
            "name": .string(finding.package.type.isOSPackage ? "OsPackageVulnerability" : "LanguageSpecificPackageVulnerability"),
            "shortDescription": .fields(["text": .string(title)]),
            "fullDescription": .fields(["text": .string(description)]),
            "defaultConfiguration": .fields(["level": .string(level(finding.severity))]),
            "helpUri": .string(link(finding)),
            "help": .fields(["text": .string(help), "markdown": .string(markdown)]),
            "properties": .fields([
                "precision": .string("very-high"),
                "security-severity": .string(securitySeverity(finding)),
                "tags": JSONValue.strings(["vulnerability", "security", finding.severity.rawValue]),
            ]),
        ])
    }

    private static func result(_ finding: VulnerabilityFinding, ruleIndex: Int) -> JSONValue {
        let package = finding.package
        let path = ScanTarget.evidencePath(package)
        let message = "Package: \(package.name)\nInstalled Version: \(finding.installedVersion)\n"
            + "Vulnerability \(finding.id)\nSeverity: \(finding.severity.rawValue)\n"
            + "Fixed Version: \(finding.fixedVersion ?? "")\nLink: [\(finding.id)](\(link(finding)))"
        return .fields([
            "ruleId": .string(finding.id),
            "ruleIndex": .integer(Int64(ruleIndex)),
            "level": .string(level(finding.severity)),
            "message": .fields(["text": .string(message)]),
            "locations": .array([.fields([
                "physicalLocation": .fields([
                    "artifactLocation": .fields(["uri": .string(uriReference(path)), "uriBaseId": .string("ROOTPATH")]),
                    "region": .fields([
                        "startLine": .integer(1), "startColumn": .integer(1), "endLine": .integer(1), "endColumn": .integer(1),
                    ]),
                ]),
                "message": .fields(["text": .string("\(path): \(package.name)@\(finding.installedVersion)")]),
            ])]),
        ])
    }

    /// A relative URI reference for a path inside the image: characters URIs do not allow are percent-encoded.
    static func uriReference(_ path: String) -> String {
        var out = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"), UInt8(ascii: "/"), UInt8(ascii: "@"), UInt8(ascii: "+"), UInt8(ascii: "="):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
            }
        }
        return out
    }
}
