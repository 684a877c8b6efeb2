import GoText
import OCI

/// Writes an image's inventory as a CycloneDX 1.5 JSON BOM: hand-written from the CycloneDX 1.5 specification
/// (bom-1.5.schema.json).
///
/// `metadata.component` is the image (type `container`, its `pkg:oci` purl, its ID, digests and layers as
/// properties); the distribution is an `operating-system` component; each cataloged package is a `library`
/// component with its purl, licences (SPDX identifiers as `id`, compound expressions as `expression`, anything
/// uncertain as `name`) and `strata:` properties for its ecosystem, layer and locations. `dependencies` ties the
/// image to the distribution and the language packages, and the distribution to its packages. bom-refs are derived
/// from content, so only the timestamp and the serial number differ between two runs.
public enum CycloneDXDocumentWriter {
    public static func write(inventory: ImageInventory, image: ScannedImage, stamp: DocumentStamp) -> [UInt8] {
        DocumentJSON.encode(bom(inventory: inventory, image: image, stamp: stamp, vulnerabilities: nil))
    }

    static let imageRef = "image"

    static func bom(inventory: ImageInventory, image: ScannedImage, stamp: DocumentStamp,
                    vulnerabilities: [JSONValue]?) -> JSONValue {
        let packages = DocumentPackages(inventory.packages)
        var components: [JSONValue] = []
        var osRef: String?
        if let os = inventory.os {
            let ref = "os:" + DocumentPackages.idSafe(os.id) + (os.versionID.map { "-" + DocumentPackages.idSafe($0) } ?? "")
            osRef = ref
            var component = JSONObjectBuilder()
            component.add("bom-ref", ref)
            component.add("type", "operating-system")
            component.add("name", os.id)
            component.add("version", os.versionID)
            component.add("description", os.prettyName)
            components.append(component.object)
        }
        components += packages.items.map(component)

        var dependencies: [JSONValue] = []
        let osPackages = packages.items.filter { $0.package.type.isOSPackage }.map(\.bomRef)
        let others = packages.items.filter { osRef == nil || !$0.package.type.isOSPackage }.map(\.bomRef)
        dependencies.append(.fields([
            "ref": .string(imageRef), "dependsOn": JSONValue.strings((osRef.map { [$0] } ?? []) + others),
        ]))
        if let osRef { dependencies.append(.fields(["ref": .string(osRef), "dependsOn": JSONValue.strings(osPackages)])) }

        var bom = JSONObjectBuilder()
        bom.add("$schema", "http://cyclonedx.org/schema/bom-1.5.schema.json")
        bom.add("bomFormat", "CycloneDX")
        bom.add("specVersion", "1.5")
        bom.add("serialNumber", "urn:uuid:" + stamp.uniqueID.uuidString.lowercased())
        bom.add("version", .integer(1))
        bom.add("metadata", .fields([
            "timestamp": .string(stamp.created.rawValue),
            "tools": .fields(["components": .array([.fields([
                "type": .string("application"), "name": .string(stamp.toolName), "version": .string(stamp.toolVersion),
            ])])]),
            "component": imageComponent(image),
        ]))
        bom.add("components", .array(components))
        bom.add("dependencies", .array(dependencies))
        if let vulnerabilities { bom.add("vulnerabilities", .array(vulnerabilities)) }
        return bom.object
    }

    private static func imageComponent(_ image: ScannedImage) -> JSONValue {
        var component = JSONObjectBuilder()
        component.add("bom-ref", imageRef)
        component.add("type", "container")
        component.add("name", image.reference)
        component.add("version", image.manifestDigest?.description ?? image.imageID.description)
        component.add("purl", image.packageURL)
        var properties: [(String, String)] = [("strata:image:id", image.imageID.description)]
        if let manifest = image.manifestDigest { properties.append(("strata:image:manifestDigest", manifest.description)) }
        properties += image.repoDigests.map { ("strata:image:repoDigest", $0) }
        properties += image.repoTags.map { ("strata:image:repoTag", $0) }
        properties += image.diffIDs.map { ("strata:image:diffID", $0.description) }
        if let created = image.created { properties.append(("strata:image:created", created.rawValue)) }
        if let architecture = image.architecture { properties.append(("strata:image:architecture", architecture)) }
        if let os = image.os { properties.append(("strata:image:os", os)) }
        component.add("properties", Self.properties(properties))
        return component.object
    }

    static func component(_ item: DocumentPackages.Item) -> JSONValue {
        let package = item.package
        var component = JSONObjectBuilder()
        component.add("bom-ref", item.bomRef)
        component.add("type", "library")
        if let namespace = package.namespace, !namespace.isEmpty { component.add("group", namespace) }
        component.add("name", package.name)
        if !package.version.isEmpty { component.add("version", package.version) }
        if let licenses = licenses(package.licenses) { component.add("licenses", licenses) }
        if !package.purl.isEmpty { component.add("purl", package.purl) }
        var properties: [(String, String)] = [("strata:package:type", package.type.rawValue)]
        if let source = package.sourceName { properties.append(("strata:package:sourceName", source)) }
        if let version = package.sourceVersion { properties.append(("strata:package:sourceVersion", version)) }
        if let architecture = package.architecture { properties.append(("strata:package:architecture", architecture)) }
        if let layer = package.layer {
            properties.append(("strata:layer:index", String(layer.index)))
            properties.append(("strata:layer:diffID", layer.diffID.description))
            if let createdBy = layer.createdBy { properties.append(("strata:layer:createdBy", createdBy)) }
        }
        properties += package.locations.map { ("strata:location", $0) }
        component.add("properties", Self.properties(properties))
        return component.object
    }

    /// CycloneDX 1.5 allows either a list of licences (each an SPDX `id` or a free `name`) or exactly one SPDX
    /// expression; several strings with a compound expression among them become one AND expression when all are
    /// known, else every string is carried as a name.
    static func licenses(_ strings: [String]) -> JSONValue? {
        var texts: [String] = []
        for string in strings where !string.allSatisfy(\.isWhitespace) && !texts.contains(string) { texts.append(string) }
        guard !texts.isEmpty else { return nil }
        let mapped = texts.map(LicenseExpression.map)
        let hasExpression = mapped.contains { if case .expression = $0 { return true } else { return false } }
        let hasFreeText = mapped.contains { if case .freeText = $0 { return true } else { return false } }
        if hasExpression && !hasFreeText {
            let parts = mapped.map { mapping -> String in
                switch mapping {
                case .identifier(let id): return id
                case .expression(let expression): return mapped.count == 1 ? expression : "(" + expression + ")"
                case .freeText(let text): return text
                }
            }
            return .array([.fields(["expression": .string(parts.joined(separator: " AND "))])])
        }
        var seenIDs: Set<String> = []
        var items: [JSONValue] = []
        for (text, mapping) in zip(texts, mapped) {
            if case .identifier(let id) = mapping, !hasExpression {
                if seenIDs.insert(id).inserted { items.append(.fields(["license": .fields(["id": .string(id)])])) }
            } else {
                items.append(.fields(["license": .fields(["name": .string(text)])]))
            }
        }
        return .array(items)
    }

    static func properties(_ pairs: [(String, String)]) -> JSONValue {
        .array(pairs.map { .fields(["name": .string($0.0), "value": .string($0.1)]) })
    }
}
