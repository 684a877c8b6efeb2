import Foundation
import Format
import Scan

/// `strata sbom` in its own formats: a table (NAME, VERSION, TYPE, as syft prints it) and Strata's JSON (the
/// image, the OS and every package with its purl, licences, files and introducing layer). The SPDX and CycloneDX
/// documents are Scan's writers.
public enum SBOMView {
    public static func table(_ inventory: ImageInventory) -> String {
        guard !inventory.packages.isEmpty else { return "No packages discovered\n" }
        var table = TabWriter(minWidth: 4, tabWidth: 1, padding: 2, padChar: " ")
        table.write("NAME\tVERSION\tTYPE\n")
        let sorted = inventory.packages.sorted { ($0.name, $0.version, $0.type.rawValue) < ($1.name, $1.version, $1.type.rawValue) }
        for package in sorted {
            table.write("\(package.name)\t\(package.version)\t\(package.type.rawValue)\n")
        }
        return table.flush()
    }

    public static func json(_ inventory: ImageInventory, image: ScannedImage) throws -> String {
        struct Document: Encodable {
            struct Image: Encodable {
                var reference: String
                var id: String
                var manifestDigest: String?
                var repoTags: [String]
                var repoDigests: [String]
                var diffIDs: [String]
                var os: String?
                var architecture: String?
            }
            var image: Image
            var distro: OSIdentity?
            var packages: [CatalogedPackage]
            var warnings: [String]
        }
        let document = Document(
            image: .init(reference: image.reference, id: image.imageID.description, manifestDigest: image.manifestDigest?.description,
                         repoTags: image.repoTags, repoDigests: image.repoDigests, diffIDs: image.diffIDs.map(\.description),
                         os: image.os, architecture: image.architecture),
            distro: inventory.os, packages: inventory.packages, warnings: inventory.warnings)
        return try ImageAnalysisView.encode(document)
    }
}
