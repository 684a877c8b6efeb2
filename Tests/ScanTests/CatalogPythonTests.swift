import Foundation
import Testing
@testable import Scan

/// Python distributions against importlib.metadata (Debian's python3) on real wheels installed by pip.
@Suite struct CatalogPythonTests {
    static let wheels = ["six", "attrs", "packaging", "idna", "certifi", "typing_extensions", "zope.interface"]

    /// Wheels downloaded once per checkout (.build/scan-test-wheels), then installed offline.
    static func downloadedWheels() throws -> URL? {
        let directory = ScanTestSupport.packageRoot.appendingPathComponent(".build/scan-test-wheels")
        let present = (try? FileManager.default.contentsOfDirectory(atPath: directory.path))?.filter { $0.hasSuffix(".whl") } ?? []
        if present.count >= wheels.count { return directory }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let result = try ScanTestSupport.run(["/usr/bin/python3", "-m", "pip", "download", "-q", "--disable-pip-version-check",
            "--only-binary=:all:", "--no-deps", "-d", directory.path] + wheels)
        guard result.status == 0 else {
            Issue.record("pip download of the test wheels failed (\(result.status))")
            return nil
        }
        return directory
    }

    @Test func installedWheelsMatchImportlibMetadata() throws {
        guard ScanTestSupport.toolExists("python3"), let wheelDirectory = try Self.downloadedWheels() else { return }
        let directory = try ScanTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let root = directory.appendingPathComponent("root")
        let sitePackages = root.appendingPathComponent("usr/lib/python3/site-packages")
        let wheels = try FileManager.default.contentsOfDirectory(atPath: wheelDirectory.path).filter { $0.hasSuffix(".whl") }
            .map { wheelDirectory.appendingPathComponent($0).path }
        let install = try ScanTestSupport.run(["/usr/bin/python3", "-m", "pip", "install", "-q", "--disable-pip-version-check",
            "--no-index", "--no-deps", "--break-system-packages", "--target", sitePackages.path] + wheels)
        try #require(install.status == 0)
        let layer = try CatalogTestLayers.layer(try CatalogTestLayers.entries(under: root), createdBy: "RUN pip install", in: directory)
        let inventory = try ImageCatalog.catalog(layers: [layer])

        guard let listed = try CatalogTestLayers.output(["/usr/bin/python3", "-c", """
            import importlib.metadata as m
            for d in m.distributions(path=[\(String(reflecting: sitePackages.path))]):
                print(d.metadata["Name"] + " " + d.version)
            """]) else { return }
        let expected = listed.split(separator: "\n").map(String.init).sorted()
        #expect(expected.count == wheels.count)
        #expect(inventory.packages.map { "\($0.name) \($0.version)" }.sorted() == expected)
        #expect(inventory.warnings.isEmpty, "\(inventory.warnings)")
        for package in inventory.packages {
            #expect(package.type == .python && package.layer?.createdBy == "RUN pip install")
            #expect(package.locations.count == 1 && package.locations[0].hasSuffix(".dist-info/METADATA"))
        }
        // Package URLs as the purl-spec's Python implementation builds them.
        if let python = ScanTestSupport.requireVenvPython() {
            let script = "from packageurl import PackageURL\nimport sys\nfor line in sys.stdin.read().splitlines():\n"
                + "    n, v = line.split(' ')\n    print(PackageURL(type='pypi', name=n, version=v).to_string())\n"
            let input = inventory.packages.map { "\($0.name) \($0.version)" }.joined(separator: "\n")
            let result = try ScanTestSupport.run([python, "-c", script], input: Array(input.utf8))
            #expect(String(decoding: result.output, as: UTF8.self).split(separator: "\n").map(String.init) == inventory.packages.map(\.purl))
        }
    }

    @Test func junkMetadataIsAWarning() throws {
        let directory = try ScanTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var junk: [UInt8] = [0xff, 0xfe, 0x00, 0x80]
        for index in 0..<4096 { junk.append(UInt8(truncatingIfNeeded: index &* 2654435761 >> 7)) }
        let good = "Metadata-Version: 2.1\nName: fine\nVersion: 1.0\nClassifier: License :: OSI Approved :: MIT License\n\nbody: ignored\n"
        let layer = try CatalogTestLayers.layer([
            .file("usr/lib/python3/site-packages/broken-1.0.dist-info/METADATA", junk),
            .file("usr/lib/python3/site-packages/empty-1.0.dist-info/METADATA", []),
            .file("usr/lib/python3/site-packages/fine-1.0.dist-info/METADATA", Array(good.utf8)),
        ], in: directory)
        let inventory = try ImageCatalog.catalog(layers: [layer])
        #expect(inventory.packages.map { "\($0.name) \($0.version) \($0.licenses)" } == ["fine 1.0 [\"MIT License\"]"])
        #expect(inventory.warnings.count == 2, "\(inventory.warnings)")
        #expect(inventory.warnings.allSatisfy { $0.contains(".dist-info/METADATA: ") && !$0.contains("\n") })
    }
}
