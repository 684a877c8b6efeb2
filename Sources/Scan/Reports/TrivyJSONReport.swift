import GoText
import OCI

/// A scan report in trivy's JSON layout (`trivy image -f json`, schema version 2), so tools that read trivy's
/// reports read Strata's: `ArtifactName`, `ArtifactType`, `Metadata` (OS, image ID, diffIDs, repo tags and
/// digests) and one `Results` entry per target with its `Vulnerabilities`. Written from trivy's documented output
/// fields; CVSS is keyed by the source `osv`, where Strata's advisories come from.
public enum TrivyJSONReport {
    public static func write(findings: [VulnerabilityFinding], image: ScannedImage, os: OSIdentity?,
                             stamp: DocumentStamp) -> [UInt8] {
        let targets = ScanTarget.group(findings, image: image, os: os)
        var metadata = JSONObjectBuilder()
        if let os {
            var osObject = JSONObjectBuilder()
            osObject.add("Family", os.id)
            osObject.add("Name", os.versionID)
            metadata.add("OS", osObject.object)
        }
        metadata.add("ImageID", image.imageID.description)
        metadata.add("DiffIDs", JSONValue.strings(image.diffIDs.map(\.description)))
        if !image.repoTags.isEmpty { metadata.add("RepoTags", JSONValue.strings(image.repoTags)) }
        if !image.repoDigests.isEmpty { metadata.add("RepoDigests", JSONValue.strings(image.repoDigests)) }

        var report = JSONObjectBuilder()
        report.add("SchemaVersion", .integer(2))
        report.add("CreatedAt", stamp.created.rawValue)
        report.add("ArtifactName", image.reference)
        report.add("ArtifactType", "container_image")
        report.add("Metadata", metadata.object)
        report.add("Results", .array(targets.map(result)))
        return DocumentJSON.encode(report.object)
    }

    private static func result(_ target: ScanTarget) -> JSONValue {
        var object = JSONObjectBuilder()
        object.add("Target", target.name)
        object.add("Class", target.targetClass.rawValue)
        object.add("Type", target.type)
        if !target.findings.isEmpty {
            object.add("Vulnerabilities", .array(target.findings.map { vulnerability($0, target: target) }))
        }
        return object.object
    }

    private static func vulnerability(_ finding: VulnerabilityFinding, target: ScanTarget) -> JSONValue {
        let package = finding.package
        var object = JSONObjectBuilder()
        object.add("VulnerabilityID", finding.id)
        let vendorIDs = finding.aliases.filter { $0 != finding.id && !$0.hasPrefix("CVE-") }
        if !vendorIDs.isEmpty { object.add("VendorIDs", JSONValue.strings(vendorIDs)) }
        object.add("PkgID", package.name + "@" + finding.installedVersion)
        object.add("PkgName", package.name)
        if target.targetClass == .languagePackages, let path = ScanTarget.relativePath(package.locations.first) {
            object.add("PkgPath", path)
        }
        if !package.purl.isEmpty { object.add("PkgIdentifier", .fields(["PURL": .string(package.purl)])) }
        object.add("InstalledVersion", finding.installedVersion)
        object.addNonEmpty("FixedVersion", finding.fixedVersion)
        object.add("Status", finding.fixedVersion == nil ? "affected" : "fixed")
        if let layer = package.layer { object.add("Layer", .fields(["DiffID": .string(layer.diffID.description)])) }
        object.add("SeveritySource", "osv")
        object.add("PrimaryURL", finding.references.first ?? "https://osv.dev/vulnerability/" + finding.id)
        object.add("DataSource", .fields([
            "ID": .string("osv"), "Name": .string("OSV (\(finding.ecosystem))"), "URL": .string("https://osv.dev"),
        ]))
        object.addNonEmpty("Title", finding.title)
        object.addNonEmpty("Description", finding.description)
        object.add("Severity", finding.severity.rawValue)
        if let cvss = cvss(finding) { object.add("CVSS", .fields(["osv": cvss])) }
        if !finding.references.isEmpty { object.add("References", JSONValue.strings(finding.references)) }
        return object.object
    }

    private static func cvss(_ finding: VulnerabilityFinding) -> JSONValue? {
        guard finding.cvssVector != nil || finding.cvssScore != nil else { return nil }
        let vector = finding.cvssVector ?? ""
        let version = vector.hasPrefix("CVSS:4") ? "V40" : vector.hasPrefix("CVSS:3") || vector.isEmpty ? "V3" : "V2"
        var object = JSONObjectBuilder()
        if !vector.isEmpty { object.add(version + "Vector", vector) }
        if let score = finding.cvssScore { object.add(version + "Score", .double(score)) }
        return object.object
    }
}
