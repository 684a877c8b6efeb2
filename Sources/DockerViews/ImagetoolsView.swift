import Foundation
import Format
import GoText
import OCI

/// `buildx imagetools inspect`: the human listing of a manifest or index, laid out with buildx's tabwriters (an
/// attestation entry shows its annotations, which widen the block it ends), and the `.Provenance` and `.SBOM` of the
/// template data, shaped as buildx's stubs: one platform's alone, several keyed by platform.
public enum ImagetoolsView {
    /// The statements of one image's attestation manifest.
    public struct Attested: Sendable {
        public var platform: Platform
        public var statements: [(predicateType: String, data: Data)]
        public init(platform: Platform, statements: [(predicateType: String, data: Data)]) {
            self.platform = platform
            self.statements = statements
        }
    }

    public static func text(reference: ImageReference, mediaType: String, digest: Digest, entries: [Descriptor]) -> String {
        func writer() -> TabWriter { TabWriter(minWidth: 0, tabWidth: 0, padding: 1, padChar: " ") }
        var head = writer()
        head.write("Name:\t\(reference.description)\nMediaType:\t\(mediaType)\nDigest:\t\(digest)\n")
        var out = head.flush()
        guard MediaType.isIndex(mediaType) else { return out }
        var title = writer()
        title.write("\t\nManifests:\t\n")
        out += title.flush()
        var list = writer()
        let prefix = "  "
        for (position, entry) in entries.enumerated() {
            if position != 0 { list.write("\t\n") }
            list.write("\(prefix)Name:\t\(reference.repository.withDigest(entry.digest).description)\n")
            list.write("\(prefix)MediaType:\t\(entry.mediaType)\n")
            guard let platform = entry.platform else { continue }
            list.write("\(prefix)Platform:\t\(platform.description)\n")
            if let version = platform.osVersion, !version.isEmpty { list.write("\(prefix)OSVersion:\t\(version)\n") }
            if let features = platform.osFeatures, !features.isEmpty {
                list.write("\(prefix)OSFeatures:\t\(features.joined(separator: ", "))\n")
            }
            if let urls = entry.urls, !urls.isEmpty { list.write("\(prefix)URLs:\t\(urls.joined(separator: ", "))\n") }
            if let annotations = entry.annotations, !annotations.isEmpty {
                list.write("\(prefix)Annotations:\t\n")
                out += list.flush()
                var pairs = writer()
                for key in annotations.keys.sorted(by: goKeyOrder) { pairs.write("\(prefix)\(prefix)\(key):\t\(annotations[key]!)\n") }
                out += pairs.flush()
            }
        }
        return out + list.flush()
    }

    /// `.Provenance`: buildx's `{"SLSA": predicate}` for each image with a SLSA statement.
    public static func provenance(_ attested: [Attested], imageCount: Int) -> TemplateValue {
        shaped(attested, imageCount: imageCount, typeName: "imagetools.provenanceStub") { statements in
            let slsa = statements.first { $0.type.hasPrefix("https://slsa.dev/provenance/") }?.predicate
            return [TemplateStruct.Field("SLSA", slsa ?? .null, typeName: "interface {}", omitEmpty: true)]
        }
    }

    /// `.SBOM`: buildx's `{"SPDX": document}` (further SPDX documents as `AdditionalSPDXs`) for each image.
    public static func sbom(_ attested: [Attested], imageCount: Int) -> TemplateValue {
        shaped(attested, imageCount: imageCount, typeName: "imagetools.sbomStub") { statements in
            let documents = statements.filter { $0.type == "https://spdx.dev/Document" }.map(\.predicate)
            return [TemplateStruct.Field("SPDX", documents.first ?? .null, typeName: "interface {}", omitEmpty: true),
                    TemplateStruct.Field("AdditionalSPDXs", documents.count > 1 ? .array(Array(documents.dropFirst())) : .typedNil(.slice, typeName: "[]interface {}"),
                                         typeName: "[]interface {}", omitEmpty: true)]
        }
    }

    /// One stub per image, keyed by platform (a single image's stub alone, empty when it has none).
    private static func shaped(_ attested: [Attested], imageCount: Int, typeName: String,
                               fields: ([(type: String, predicate: TemplateValue)]) -> [TemplateStruct.Field]) -> TemplateValue {
        func stub(_ image: Attested?) -> TemplateValue {
            let statements = (image?.statements ?? []).compactMap { statement -> (type: String, predicate: TemplateValue)? in
                guard case .map(let map)? = try? TemplateValue(jsonBytes: Array(statement.data)), let predicate = map["predicate"] else {
                    return nil
                }
                return (statement.predicateType, goOrdered(predicate))
            }
            return .structure(TemplateStruct(typeName: typeName, fields: fields(statements)))
        }
        guard imageCount > 1 else { return stub(attested.first) }
        return .map(TemplateMap(attested.map { ($0.platform.description, stub($0)) }, typeName: "map[string]" + typeName,
                                jsonKeyOrder: .sorted))
    }

    /// A decoded predicate as Go holds it (`map[string]interface{}`): `{{json}}` writes its keys sorted.
    private static func goOrdered(_ value: TemplateValue) -> TemplateValue {
        switch value {
        case .map(let map):
            return .map(TemplateMap(map.keys.map { ($0, goOrdered(map[$0]!)) }, typeName: map.typeName, jsonKeyOrder: .sorted))
        case .array(let items): return .array(items.map(goOrdered))
        default: return value
        }
    }
}
