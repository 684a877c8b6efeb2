import GoText
import OCI

/// Writes an image's inventory as an SPDX 2.3 JSON document: hand-written from the SPDX 2.3 specification
/// (sections 6 creation information, 7 packages, 10 other licensing information, 11 relationships).
///
/// The document describes one root package for the image (purpose CONTAINER, its `pkg:oci` purl); each cataloged
/// package is a package the image CONTAINS, with its purl as an external reference, its licences as a
/// `licenseDeclared` expression (or NOASSERTION) and where it was found as `sourceInfo`. Licence text that is not a
/// certain SPDX identifier becomes a `LicenseRef-…` listed in `hasExtractedLicensingInfos`. SPDX IDs are derived
/// from content, so only `created` and the namespace's UUID differ between two runs.
public enum SPDXDocumentWriter {
    public static func write(inventory: ImageInventory, image: ScannedImage, stamp: DocumentStamp) -> [UInt8] {
        DocumentJSON.encode(document(inventory: inventory, image: image, stamp: stamp))
    }

    /// The document as a JSON tree (what an in-toto SBOM statement carries as its predicate).
    public static func document(inventory: ImageInventory, image: ScannedImage, stamp: DocumentStamp) -> JSONValue {
        let packages = DocumentPackages(inventory.packages)
        var licenses = ExtractedLicenses()
        let imageID = "SPDXRef-Image"

        var root = JSONObjectBuilder()
        root.add("name", image.reference)
        root.add("SPDXID", imageID)
        root.add("versionInfo", image.manifestDigest?.description ?? image.imageID.description)
        root.add("supplier", "NOASSERTION")
        root.add("downloadLocation", "NOASSERTION")
        root.add("filesAnalyzed", .bool(false))
        root.add("licenseConcluded", "NOASSERTION")
        root.add("licenseDeclared", "NOASSERTION")
        root.add("copyrightText", "NOASSERTION")
        root.add("comment", imageComment(image, os: inventory.os))
        root.add("externalRefs", .array([externalReference(image.packageURL)]))
        root.add("primaryPackagePurpose", "CONTAINER")
        if let created = image.created { root.add("builtDate", Timestamp(seconds: created.seconds).rawValue) }

        var packageObjects: [JSONValue] = [root.object]
        var relationships: [JSONValue] = [relationship("SPDXRef-DOCUMENT", "DESCRIBES", imageID)]
        for item in packages.items {
            let package = item.package
            var object = JSONObjectBuilder()
            object.add("name", package.name)
            object.add("SPDXID", item.spdxID)
            object.add("versionInfo", package.version.isEmpty ? "NOASSERTION" : package.version)
            object.add("supplier", "NOASSERTION")
            object.add("downloadLocation", "NOASSERTION")
            object.add("filesAnalyzed", .bool(false))
            object.add("licenseConcluded", "NOASSERTION")
            object.add("licenseDeclared", licenses.declared(package.licenses))
            object.add("copyrightText", "NOASSERTION")
            object.add("sourceInfo", DocumentPackages.provenance(package).map { "found in " + $0 })
            if !package.purl.isEmpty { object.add("externalRefs", .array([externalReference(package.purl)])) }
            packageObjects.append(object.object)
            relationships.append(relationship(imageID, "CONTAINS", item.spdxID))
        }

        var document = JSONObjectBuilder()
        document.add("spdxVersion", "SPDX-2.3")
        document.add("dataLicense", "CC0-1.0")
        document.add("SPDXID", "SPDXRef-DOCUMENT")
        document.add("name", image.reference)
        document.add("documentNamespace", "urn:uuid:" + stamp.uniqueID.uuidString.lowercased())
        document.add("creationInfo", .fields([
            "created": .string(stamp.created.rawValue),
            "creators": .array([.string("Tool: \(stamp.toolName)-\(stamp.toolVersion)")]),
        ]))
        if !licenses.entries.isEmpty { document.add("hasExtractedLicensingInfos", .array(licenses.entries)) }
        document.add("packages", .array(packageObjects))
        document.add("relationships", .array(relationships))
        return document.object
    }

    private static func imageComment(_ image: ScannedImage, os: OSIdentity?) -> String {
        var lines = ["image ID \(image.imageID)"]
        if let manifest = image.manifestDigest { lines.append("manifest \(manifest)") }
        if let os { lines.append(["distribution", os.id, os.versionID].compactMap { $0 }.joined(separator: " ")) }
        for (index, diffID) in image.diffIDs.enumerated() { lines.append("layer \(index) \(diffID)") }
        return lines.joined(separator: "\n")
    }

    private static func externalReference(_ purl: String) -> JSONValue {
        .fields([
            "referenceCategory": .string("PACKAGE-MANAGER"),
            "referenceType": .string("purl"),
            "referenceLocator": .string(purl),
        ])
    }

    private static func relationship(_ from: String, _ type: String, _ to: String) -> JSONValue {
        .fields([
            "spdxElementId": .string(from),
            "relationshipType": .string(type),
            "relatedSpdxElement": .string(to),
        ])
    }
}

/// The document's `LicenseRef-…` entries: one per distinct free-text licence, named after its text.
struct ExtractedLicenses {
    private(set) var entries: [JSONValue] = []
    private var idByText: [String: String] = [:]
    private var usedIDs: Set<String> = []

    /// One `licenseDeclared` expression for all of a package's licence strings (joined with AND), or NOASSERTION.
    mutating func declared(_ licenses: [String]) -> String {
        var parts: [String] = []
        for license in licenses where !license.allSatisfy(\.isWhitespace) {
            let part: String
            switch LicenseExpression.map(license) {
            case .identifier(let id): part = id
            case .expression(let expression): part = "(" + expression + ")"
            case .freeText(let text): part = reference(for: text)
            }
            if !parts.contains(part) { parts.append(part) }
        }
        if parts.isEmpty { return "NOASSERTION" }
        if parts.count == 1, parts[0].hasPrefix("(") { return String(parts[0].dropFirst().dropLast()) }
        return parts.joined(separator: " AND ")
    }

    private mutating func reference(for text: String) -> String {
        if let id = idByText[text] { return id }
        var id = "LicenseRef-" + DocumentPackages.idSafe(text)
        if usedIDs.contains(id) {
            id += "-" + String(Digest.sha256(Array(text.utf8)).encoded.prefix(8))
        }
        usedIDs.insert(id)
        idByText[text] = id
        entries.append(.fields(["licenseId": .string(id), "extractedText": .string(text), "name": .string(text)]))
        return id
    }
}
