import Foundation
import GoText
import OCI
import Testing

@testable import Scan

/// The SBOM writers validated by the formats' own tools (pyspdxtools for SPDX 2.3, cyclonedx-python-lib's strict
/// JSON validator for CycloneDX 1.5), read back by `SBOMDocument`, and the reader fed junk.
@Suite struct SBOMDocumentTests {
    typealias F = DocumentFixtures
    static let empty = ImageInventory(os: nil, packages: [])

    @Test func spdxValidatesWithPyspdxtools() throws {
        for inventory in [F.inventory, Self.empty] {
            let bytes = SPDXDocumentWriter.write(inventory: inventory, image: F.image, stamp: F.stamp)
            guard let verdict = try F.validate("spdx", bytes) else { return }
            #expect(verdict.ok, "pyspdxtools rejected the document: \(verdict.output)")
        }
    }

    @Test func cycloneDXValidatesWithTheStrictSchema() throws {
        for inventory in [F.inventory, Self.empty] {
            let bytes = CycloneDXDocumentWriter.write(inventory: inventory, image: F.image, stamp: F.stamp)
            guard let verdict = try F.validate("cyclonedx", bytes) else { return }
            #expect(verdict.ok, "CycloneDX 1.5 validation failed: \(verdict.output)")
        }
    }

    @Test func spdxContent() throws {
        let bytes = SPDXDocumentWriter.write(inventory: F.inventory, image: F.image, stamp: F.stamp)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(document["documentNamespace"] as? String == "urn:uuid:6f9619ff-8b86-d011-b42d-00c04fc964ff")
        let packages = try #require(document["packages"] as? [[String: Any]])
        #expect(packages.count == F.packages.count + 1)
        let ids = packages.compactMap { $0["SPDXID"] as? String }
        #expect(Set(ids).count == ids.count, "SPDX IDs are unique, duplicates included")
        let libc = try #require(packages.first { $0["name"] as? String == "libc6" })
        #expect((libc["licenseDeclared"] as? String)?.hasPrefix("GPL-2.0-or-later AND LGPL-2.1-or-later AND LicenseRef-") == true)
        let gcc = try #require(packages.first { $0["name"] as? String == "libgcc-s1" })
        #expect(gcc["licenseDeclared"] as? String == "GPL-3.0-or-later WITH GCC-exception-3.1")
        let go = try #require(packages.first { $0["name"] as? String == "github.com/sirupsen/logrus" })
        #expect(go["licenseDeclared"] as? String == "NOASSERTION")
        let extracted = try #require(document["hasExtractedLicensingInfos"] as? [[String: Any]])
        #expect(Set(extracted.compactMap { $0["extractedText"] as? String })
            == ["public-domain", "BSD", "Custom: see LICENSE ©2024 Ünïcode Corp — \"quoted\"", "MIT AND BSD-3-Clause AND NotAKnownLicense"])
        let relationships = try #require(document["relationships"] as? [[String: Any]])
        #expect(relationships.filter { $0["relationshipType"] as? String == "CONTAINS" }.count == F.packages.count)
    }

    @Test func outputIsDeterministicApartFromTheStamp() {
        let other = DocumentStamp(toolVersion: F.stamp.toolVersion, created: Timestamp(seconds: 1_720_000_000), uniqueID: UUID())
        let shuffled = ImageInventory(os: F.os, packages: F.packages.reversed())
        for write in [SPDXDocumentWriter.write, CycloneDXDocumentWriter.write] {
            let first = write(F.inventory, F.image, F.stamp)
            #expect(first == write(shuffled, F.image, F.stamp))
            let restamped = write(F.inventory, F.image, other)
            let changed = zip(String(decoding: first, as: UTF8.self).split(separator: "\n"),
                              String(decoding: restamped, as: UTF8.self).split(separator: "\n")).filter { $0 != $1 }
            #expect(changed.count == 2, "only the time and the namespace or serial differ: \(changed)")
        }
    }

    @Test(arguments: [SBOMDocument.Format.spdx, .cycloneDX])
    func roundTrip(format: SBOMDocument.Format) throws {
        let bytes = format == .spdx
            ? SPDXDocumentWriter.write(inventory: F.inventory, image: F.image, stamp: F.stamp)
            : CycloneDXDocumentWriter.write(inventory: F.inventory, image: F.image, stamp: F.stamp)
        #expect(SBOMDocument.detect(bytes) == format)
        let read = try SBOMDocument.read(bytes)
        func identity(_ package: CatalogedPackage) -> String { "\(package.type) \(package.name) \(package.version) \(package.purl)" }
        #expect(read.packages.map(identity).sorted() == F.packages.map(identity).sorted())
        #expect(read.os?.id == "debian" && read.os?.versionID == "12")
        #expect(read.warnings.isEmpty)
        for package in read.packages {
            var original = try #require(F.packages.first { identity($0) == identity(package) && (package.locations.isEmpty || $0.locations == package.locations) })
            // Licences come back as the documents carry them: SPDX identifiers where the mapping was certain.
            original.licenses = original.licenses.map { text in
                switch LicenseExpression.map(text) {
                case .identifier(let id): return id
                case .expression(let expression): return expression
                case .freeText(let text): return text
                }
            }
            #expect(package.licenses == original.licenses, "licences of \(package.name)")
            #expect(package.architecture == original.architecture && package.namespace == original.namespace)
            if format == .cycloneDX {
                #expect(package == original, "CycloneDX keeps everything Strata knows of \(package.name)")
            }
        }
    }

    @Test func readsForeignPurlsAndQualifiers() throws {
        let bom = #"""
        {"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
          {"type": "library", "name": "musl", "version": "1.2.4-r2", "purl": "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=3.18.4",
           "licenses": [{"license": {"id": "MIT"}}], "properties": [{"name": "aquasecurity:trivy:SrcName", "value": "musl"}]},
          {"type": "library", "name": "left-pad", "purl": "pkg:npm/left-pad@1.3.0"},
          {"type": "library", "name": "no purl here"},
          {"type": "library", "name": "weird", "purl": "pkg:cargo/weird@1"},
          {"type": "application", "name": "app", "components": [{"type": "library", "name": "x", "purl": "pkg:golang/example.com/x@v1.0.0"}]}
        ]}
        """#
        let inventory = try SBOMDocument.read(Array(bom.utf8))
        #expect(inventory.packages.map(\.name) == ["musl", "left-pad", "x"])
        #expect(inventory.packages[1].version == "1.3.0")
        #expect(inventory.packages[2].namespace == "example.com")
        #expect(inventory.os == OSIdentity(id: "alpine", versionID: "3.18.4"))
        #expect(inventory.warnings.count == 3, "no purl (twice), a type Strata does not scan: \(inventory.warnings)")
    }

    @Test func junkIsAnErrorNotATrap() throws {
        #expect(throws: SBOMReadError.self) { try SBOMDocument.read([]) }
        #expect(throws: SBOMReadError.self) { try SBOMDocument.read(Array("[1,2]".utf8)) }
        #expect(throws: SBOMReadError.self) { try SBOMDocument.read(Array(#"{"spdxVersion": 5}"#.utf8)) }
        #expect(throws: SBOMReadError.self) { try SBOMDocument.read(Array(String(repeating: "[", count: 100_000).utf8)) }
        let odd = #"{"spdxVersion": "SPDX-2.3", "packages": [{"name": 7, "externalRefs": "x"}, 3, {"externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:"}]}]}"#
        #expect(try SBOMDocument.read(Array(odd.utf8)).packages.isEmpty)
        var generator = SystemRandomNumberGenerator()
        for document in [SPDXDocumentWriter.write(inventory: F.inventory, image: F.image, stamp: F.stamp),
                         CycloneDXDocumentWriter.write(inventory: F.inventory, image: F.image, stamp: F.stamp)] {
            for length in stride(from: 0, to: document.count - 2, by: max(1, document.count / 300)) {
                #expect(throws: SBOMReadError.self) { try SBOMDocument.read(Array(document[..<length])) }
            }
            for _ in 0..<200 {
                var damaged = document
                damaged[Int.random(in: 0..<damaged.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                _ = try? SBOMDocument.read(damaged)
            }
        }
    }

    @Test func licenceMapping() throws {
        #expect(LicenseExpression.map("GPL-2+") == .identifier("GPL-2.0-or-later"))
        #expect(LicenseExpression.map("mit") == .identifier("MIT"))
        #expect(LicenseExpression.map("License :: OSI Approved :: BSD License") == .freeText("License :: OSI Approved :: BSD License"))
        #expect(LicenseExpression.map("(MIT OR Apache-2.0)") == .expression("MIT OR Apache-2.0"))
        #expect(LicenseExpression.map("GPL-1+ or Artistic-2.0") == .expression("GPL-1.0-or-later OR Artistic-2.0"))
        #expect(LicenseExpression.map("(MIT OR X11) AND (Zlib OR ISC)") == .expression("(MIT OR X11) AND (Zlib OR ISC)"))
        #expect(LicenseExpression.map("GPL-2.0-only WITH Linux-syscall-note") == .expression("GPL-2.0-only WITH Linux-syscall-note"))
        #expect(LicenseExpression.map("LicenseRef-Proprietary") == .identifier("LicenseRef-Proprietary"))
                #expect(LicenseExpression.map("((((MIT))))") == .identifier("MIT"))
        let deep = "MIT AND " + String(repeating: "(", count: 30) + "MIT" + String(repeating: ")", count: 30)
        for text in ["BSD", "GPL", "Apache Software License", "MIT AND (", "MIT WITH Nonsense", "MIT OR", deep] {
            if case .freeText = LicenseExpression.map(text) {} else { Issue.record("\(text) should stay free text") }
        }
        let ids = ["licenses": LicenseExpression.knownIdentifiers, "exceptions": LicenseExpression.knownExceptions]
        guard let verdict = try F.validate("license-ids", Array(try JSONEncoder().encode(ids))) else { return }
        #expect(verdict.ok, "not SPDX identifiers: \(verdict.output)")
    }

    @Test func packageURLs() throws {
        let purl = try ParsedPackageURL("pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12#sub/path")
        #expect(purl.type == "deb" && purl.namespace == "debian" && purl.name == "libc6" && purl.version == "2.36-9+deb12u4")
        #expect(purl.qualifiers == ["arch": "amd64", "distro": "debian-12"] && purl.subpath == "sub/path")
        #expect(purl.distribution == OSIdentity(id: "debian", versionID: "12"))
        let npm = try ParsedPackageURL("pkg:npm/%40babel/core@7.23.0")
        #expect(npm.namespace == "@babel" && npm.name == "core")
        #expect(try ParsedPackageURL("pkg:golang/github.com/a/b@v1").namespace == "github.com/a")
        for bad in ["", "pkg:", "pkg:deb", "pkg:/x", "http://x/y", "pkg:deb/@1"] {
            #expect(throws: ParsedPackageURL.ParseError.self) { try ParsedPackageURL(bad) }
        }
        #expect(F.image.packageURL.hasPrefix("pkg:oci/app@sha256:"))
        #expect(F.image.packageURL.contains("repository_url=registry.example.com/team/app"))
    }
}
