import Foundation
import OCI

/// Why an SBOM could not be read.
public struct SBOMReadError: Error, Sendable, Hashable, CustomStringConvertible, KindedError {
    public let message: String
    public var description: String { message }
    public var kind: ErrorKind { .invalidArgument }
}

/// Reads an SBOM (SPDX 2.x JSON or CycloneDX 1.x JSON, as Strata, syft and trivy write them) back into an
/// inventory, for `strata scan sbom FILE`. Packages are known by their purls: the purl's type gives the ecosystem,
/// its `arch` and `distro` qualifiers the architecture and the distribution. Packages without a purl of a known
/// type are skipped with a warning. Hand-written against the SPDX 2.3 and CycloneDX 1.5 specifications.
public enum SBOMDocument {
    public enum Format: String, Sendable { case spdx, cycloneDX }

    /// Which format `bytes` hold, or nil when they are neither (or not JSON).
    public static func detect(_ bytes: [UInt8]) -> Format? {
        guard let object = try? parse(bytes) else { return nil }
        return format(of: object)
    }

    public static func read(_ bytes: [UInt8]) throws -> ImageInventory {
        let object = try parse(bytes)
        switch format(of: object) {
        case .spdx: return readSPDX(object)
        case .cycloneDX: return readCycloneDX(object)
        case nil: throw SBOMReadError(message: "not an SPDX or CycloneDX JSON document")
        }
    }

    private static func parse(_ bytes: [UInt8]) throws -> [String: Any] {
        let value: Any
        do { value = try JSONSerialization.jsonObject(with: Data(bytes)) } catch {
            throw SBOMReadError(message: "the SBOM is not valid JSON")
        }
        guard let object = value as? [String: Any] else { throw SBOMReadError(message: "the SBOM is not a JSON object") }
        return object
    }

    private static func format(of object: [String: Any]) -> Format? {
        if let version = object["spdxVersion"] as? String, version.hasPrefix("SPDX-") { return .spdx }
        if object["bomFormat"] as? String == "CycloneDX" { return .cycloneDX }
        return nil
    }

    static func packageType(purlType: String) -> PackageType? {
        PackageType.allCases.first { $0.purlType == purlType }
    }

    // MARK: - SPDX

    private static func readSPDX(_ document: [String: Any]) -> ImageInventory {
        var extracted: [String: String] = [:]
        for info in document["hasExtractedLicensingInfos"] as? [[String: Any]] ?? [] {
            guard let id = info["licenseId"] as? String else { continue }
            extracted[id] = (info["name"] as? String).flatMap { $0.isEmpty || $0 == "NOASSERTION" ? nil : $0 }
                ?? info["extractedText"] as? String
        }
        var builder = InventoryBuilder()
        for package in document["packages"] as? [[String: Any]] ?? [] {
            let name = package["name"] as? String ?? ""
            let refs = package["externalRefs"] as? [[String: Any]] ?? []
            let purl = refs.first { ($0["referenceType"] as? String)?.lowercased() == "purl" }?["referenceLocator"] as? String
            if package["primaryPackagePurpose"] as? String == "CONTAINER" { continue }
            var licenses: [String] = []
            for key in ["licenseDeclared", "licenseConcluded"] {
                guard licenses.isEmpty, let expression = package[key] as? String else { continue }
                licenses = splitConjunction(expression).map { extracted[$0] ?? $0 }
            }
            var version = package["versionInfo"] as? String
            if version == "NOASSERTION" { version = nil }
            builder.add(name: name, version: version, purl: purl, licenses: licenses, properties: [:])
        }
        return builder.inventory(os: nil)
    }

    /// The top-level AND operands of an expression (`(MIT OR X) AND Y` → `MIT OR X`, `Y`): the SPDX writer
    /// joins a package's licence strings that way. NOASSERTION and NONE are no licence.
    static func splitConjunction(_ expression: String) -> [String] {
        let trimmed = expression.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty || trimmed == "NOASSERTION" || trimmed == "NONE" { return [] }
        var parts: [String] = []
        var depth = 0
        var current = ""
        let words = trimmed.replacingOccurrences(of: "(", with: " ( ").replacingOccurrences(of: ")", with: " ) ")
            .split(separator: " ")
        for word in words {
            if word == "(" { depth += 1 }
            if word == ")" { depth -= 1 }
            if depth == 0 && word == "AND" {
                parts.append(current)
                current = ""
                continue
            }
            current += current.isEmpty ? String(word) : " " + word
        }
        parts.append(current)
        return parts.map { part in
            var text = part.replacingOccurrences(of: "( ", with: "(").replacingOccurrences(of: " )", with: ")")
            if text.hasPrefix("("), text.hasSuffix(")"), !text.dropFirst().dropLast().contains("(") {
                text = String(text.dropFirst().dropLast())
            }
            return text
        }.filter { !$0.isEmpty }
    }

    // MARK: - CycloneDX

    private static func readCycloneDX(_ bom: [String: Any]) -> ImageInventory {
        var builder = InventoryBuilder()
        var os: OSIdentity?
        var queue: [[String: Any]] = bom["components"] as? [[String: Any]] ?? []
        var next = 0
        while next < queue.count, next < 1_000_000 {
            let component = queue[next]
            next += 1
            queue += component["components"] as? [[String: Any]] ?? []
            let type = component["type"] as? String
            let name = component["name"] as? String ?? ""
            if type == "operating-system" {
                if os == nil, !name.isEmpty {
                    os = OSIdentity(id: name.lowercased(), versionID: component["version"] as? String,
                                    prettyName: component["description"] as? String)
                }
                continue
            }
            if type == "container" { continue }
            var licenses: [String] = []
            for choice in component["licenses"] as? [[String: Any]] ?? [] {
                if let expression = choice["expression"] as? String {
                    licenses.append(expression)
                } else if let license = choice["license"] as? [String: Any],
                          let text = license["id"] as? String ?? license["name"] as? String {
                    licenses.append(text)
                }
            }
            var properties: [String: [String]] = [:]
            for property in component["properties"] as? [[String: Any]] ?? [] {
                guard let key = property["name"] as? String, let value = property["value"] as? String else { continue }
                properties[key, default: []].append(value)
            }
            if let group = component["group"] as? String, !group.isEmpty { properties["group"] = [group] }
            builder.add(name: name, version: component["version"] as? String, purl: component["purl"] as? String,
                        licenses: licenses, properties: properties)
        }
        return builder.inventory(os: os)
    }
}

/// Collects packages read from an SBOM; `properties` are Strata's own (`strata:…`) and the few of trivy's and
/// syft's that say the same things.
private struct InventoryBuilder {
    var packages: [CatalogedPackage] = []
    var warnings: [String] = []
    var distribution: OSIdentity?

    mutating func add(name: String, version: String?, purl: String?, licenses: [String], properties: [String: [String]]) {
        guard let purl, !purl.isEmpty else {
            warnings.append("package \"\(name)\" has no purl: skipped")
            return
        }
        guard let parsed = try? ParsedPackageURL(purl) else {
            warnings.append("package \"\(name)\": invalid purl \"\(purl.prefix(200))\": skipped")
            return
        }
        if parsed.type == "oci" || parsed.type == "docker" { return }
        let declaredType = properties["strata:package:type"]?.first.flatMap(PackageType.init(rawValue:))
        guard let type = declaredType ?? SBOMDocument.packageType(purlType: parsed.type) else {
            warnings.append("package \"\(name)\": purl type \"\(parsed.type)\" is not one Strata scans: skipped")
            return
        }
        let first = { (keys: [String]) in keys.lazy.compactMap { properties[$0]?.first }.first }
        var layer: LayerOrigin?
        if let diffIDText = first(["strata:layer:diffID", "aquasecurity:trivy:LayerDiffID"]),
           let diffID = try? Digest(diffIDText) {
            let index = first(["strata:layer:index"]).flatMap { Int($0) } ?? -1
            layer = LayerOrigin(index: index, diffID: diffID, createdBy: first(["strata:layer:createdBy"]))
        }
        var locations = properties["strata:location"] ?? []
        if locations.isEmpty {
            locations = properties.filter { $0.key.hasPrefix("syft:location:") && $0.key.hasSuffix(":path") }
                .sorted { $0.key < $1.key }.flatMap(\.value)
        }
        if locations.isEmpty, let path = first(["aquasecurity:trivy:FilePath"]) { locations = [path] }
        let namespace = properties["group"]?.first
            ?? ([.javaArchive, .npm, .goModule].contains(type) ? parsed.namespace : nil)
        let packageName = name.isEmpty ? parsed.name : name
        let packageVersion = version.flatMap { $0.isEmpty ? nil : $0 } ?? parsed.version ?? ""
        packages.append(CatalogedPackage(
            name: packageName, version: packageVersion, type: type, purl: purl, licenses: licenses,
            locations: locations, layer: layer,
            sourceName: first(["strata:package:sourceName", "aquasecurity:trivy:SrcName"]) ?? parsed.qualifiers["upstream"],
            sourceVersion: first(["strata:package:sourceVersion", "aquasecurity:trivy:SrcVersion"]),
            architecture: first(["strata:package:architecture"]) ?? parsed.qualifiers["arch"],
            namespace: namespace))
        if distribution == nil, type.isOSPackage { distribution = parsed.distribution }
    }

    func inventory(os: OSIdentity?) -> ImageInventory {
        ImageInventory(os: os ?? distribution, packages: packages, warnings: warnings)
    }
}
