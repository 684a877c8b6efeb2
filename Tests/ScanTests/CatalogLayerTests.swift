import Archive
import Foundation
import OCI
import Testing
@testable import Scan

/// Layers stacked: whiteouts and opaque directories, origin layers, diffID proof, damaged tars. What is
/// present is checked against the same layers applied to a directory by Archive's `LayerApplier` (held
/// to docker's behaviour by its own tests) and read there by dpkg-query and importlib.metadata.
@Suite struct CatalogLayerTests {
    static func status(_ packages: [(String, String)]) -> [UInt8] {
        Array(packages.map { "Package: \($0.0)\nStatus: install ok installed\nVersion: \($0.1)\nArchitecture: amd64\n" }
            .joined(separator: "\n").utf8)
    }

    static func metadata(_ name: String, _ version: String) -> [UInt8] {
        Array("Metadata-Version: 2.1\nName: \(name)\nVersion: \(version)\n".utf8)
    }

    static func packageJSON(_ name: String, _ version: String) -> [UInt8] {
        Array("{\"name\": \"\(name)\", \"version\": \"\(version)\", \"license\": \"MIT\"}".utf8)
    }

    static let site = "usr/lib/python3/dist-packages"

    static func stackedLayers() throws -> [[ScanTestSupport.LayerEntry]] {
        [
            [
                .directory("etc"), .symlink("etc/os-release", target: "../usr/lib/os-release"),
                .directory("usr/lib"), .file("usr/lib/os-release", Array("ID=debian\nVERSION_ID=\"12\"\n".utf8)),
                .directory("var/lib/dpkg"), .file("var/lib/dpkg/status", status([("alpha", "1.0"), ("beta", "1.0")])),
                .directory(site), .directory("\(site)/six-1.16.0.dist-info"),
                .file("\(site)/six-1.16.0.dist-info/METADATA", metadata("six", "1.16.0")),
                .directory("\(site)/gone-1.0.dist-info"), .file("\(site)/gone-1.0.dist-info/METADATA", metadata("gone", "1.0")),
                .directory("opt/app/node_modules/x"), .file("opt/app/node_modules/x/package.json", packageJSON("x", "1.0.0")),
                .directory("opt/app/node_modules/@s/y"), .file("opt/app/node_modules/@s/y/package.json", packageJSON("@s/y", "2.0.0")),
            ],
            [
                .file("var/lib/dpkg/status", status([("alpha", "1.0"), ("beta", "1.0"), ("gamma", "2.0")])),
                .file("\(site)/.wh.gone-1.0.dist-info", []),
                .directory("opt/app"), .file("opt/app/.wh..wh..opq", []),
                .directory("opt/app/node_modules/z"), .file("opt/app/node_modules/z/package.json", packageJSON("z", "3.0.0")),
            ],
            [
                .file("var/lib/dpkg/status", status([("alpha", "1.1"), ("gamma", "2.0")])),
                .directory("\(site)/new-0.1.dist-info"), .file("\(site)/new-0.1.dist-info/METADATA", metadata("new", "0.1")),
            ],
        ]
    }

    @Test func whiteoutsOpaqueDirectoriesAndOrigins() throws {
        let directory = try ScanTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tars = try Self.stackedLayers().map(ScanTestSupport.layerTar)
        let layers = try tars.enumerated().map { try CatalogTestLayers.layer($1, createdBy: "step \($0)", in: directory) }
        let inventory = try ImageCatalog.catalog(layers: layers)
        #expect(inventory.warnings.isEmpty, "\(inventory.warnings)")
        #expect(inventory.os?.id == "debian" && inventory.os?.versionID == "12")

        // The layer each package arrived in, by the construction of the layers above.
        let origins = Dictionary(uniqueKeysWithValues: inventory.packages.map { ("\($0.name) \($0.version)", $0.layer?.index) })
        #expect(origins == ["alpha 1.1": 2, "gamma 2.0": 1, "six 1.16.0": 0, "new 0.1": 2, "z 3.0.0": 1])
        #expect(inventory.packages.first { $0.name == "gamma" }?.layer == LayerOrigin(index: 1, diffID: layers[1].diffID, createdBy: "step 1"))

        // What is there once the layers are applied, as dpkg-query, importlib.metadata and find see it.
        let root = directory.appendingPathComponent("rootfs")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let applier = try LayerApplier(directory: root.path)
        for tar in tars { _ = try tar.withUnsafeBytes { try applier.apply(layerBytes: $0) } }
        guard ScanTestSupport.toolExists("dpkg-query"), ScanTestSupport.toolExists("python3"),
              let debs = try CatalogTestLayers.output(["dpkg-query", "--admindir=\(root.path)/var/lib/dpkg", "-W", "-f", "${Package} ${Version}\\n"]),
              let pythons = try CatalogTestLayers.output(["/usr/bin/python3", "-c",
                  "import importlib.metadata as m\nfor d in m.distributions(path=['\(root.path)/\(Self.site)']): print(d.metadata['Name'], d.version)"]),
              let npms = try CatalogTestLayers.output(["/bin/sh", "-c", "find opt -name package.json | sort"], directory: root)
        else { return }
        #expect(inventory.packages.filter { $0.type == .deb }.map { "\($0.name) \($0.version)" }.sorted() == debs.split(separator: "\n").map(String.init).sorted())
        #expect(inventory.packages.filter { $0.type == .python }.map { "\($0.name) \($0.version)" }.sorted() == pythons.split(separator: "\n").map(String.init).sorted())
        #expect(inventory.packages.filter { $0.type == .npm }.flatMap(\.locations).sorted() == npms.split(separator: "\n").map { "/" + $0 })
    }

    @Test func aLayerThatLiesAboutItsDiffIDIsAnError() throws {
        let directory = try ScanTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tars = try Self.stackedLayers().map(ScanTestSupport.layerTar)
        let lie = Digest.sha256(Array("something else".utf8))
        let layers = [
            try CatalogTestLayers.layer(tars[0], in: directory),
            try CatalogTestLayers.layer(tars[1], claimedDiffID: lie, in: directory),
        ]
        let error = #expect(throws: CatalogError.self) { try ImageCatalog.catalog(layers: layers) }
        #expect(error?.description == "layer 1 (diffID \(lie)) does not match its content: it hashes to \(Digest.sha256(tars[1]))")
    }

    /// gzip and zstd layers decode the same; the diffID is the uncompressed stream's.
    @Test func compressedLayers() throws {
        guard ScanTestSupport.toolExists("gzip"), ScanTestSupport.toolExists("zstd") || !ScanTestSupport.isCI else { return }
        let directory = try ScanTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tars = try Self.stackedLayers().map(ScanTestSupport.layerTar)
        var layers: [ImageLayerSource] = []
        for (index, tar) in tars.enumerated() {
            let tool = index == 1 && FileManager.default.isExecutableFile(atPath: "/usr/bin/zstd") ? ["zstd", "-q", "-c"] : ["gzip", "-c"]
            let compressed = try ScanTestSupport.run(tool, input: tar).output
            let plain = try CatalogTestLayers.layer(compressed, in: directory)
            layers.append(ImageLayerSource(diffID: Digest.sha256(tar), createdBy: nil, open: plain.open))
        }
        let inventory = try ImageCatalog.catalog(layers: layers)
        #expect(inventory.packages.map { "\($0.name) \($0.version) \($0.layer?.index ?? -1)" }.sorted()
                == ["alpha 1.1 2", "gamma 2.0 1", "new 0.1 2", "six 1.16.0 0", "z 3.0.0 1"])
    }

    /// A tar cut short: a one-line warning, and the packages read before the cut.
    @Test func truncatedLayerIsAWarning() throws {
        let directory = try ScanTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tar = try ScanTestSupport.layerTar([
            .file("var/lib/dpkg/status", Self.status([("alpha", "1.0")])),
            .file("usr/share/big", [UInt8](repeating: 7, count: 100_000)),
            .file("\(Self.site)/six-1.16.0.dist-info/METADATA", Self.metadata("six", "1.16.0")),
        ])
        for cut in [1536, 50_000, tar.count - 2048 + 100] {
            let layer = try CatalogTestLayers.layer(Array(tar.prefix(cut)), claimedDiffID: Digest.sha256(tar), in: directory)
            let inventory = try ImageCatalog.catalog(layers: [layer])
            #expect(inventory.packages.map(\.name).first == "alpha")
            #expect(inventory.warnings.count == 1 && !inventory.warnings[0].contains("\n"), "\(inventory.warnings)")
            #expect(inventory.warnings.first?.hasPrefix("layer 0 (\(Digest.sha256(tar))): ") == true)
        }
        // Garbage instead of a tar.
        var junk: [UInt8] = []
        for index in 0..<10_000 { junk.append(UInt8(truncatingIfNeeded: index &* 7919 >> 3)) }
        let inventory = try ImageCatalog.catalog(layers: [try CatalogTestLayers.layer(junk, in: directory)])
        #expect(inventory.packages.isEmpty && inventory.warnings.count == 1)
    }

    /// A file over the size limit is skipped with a warning naming it; the rest goes on.
    @Test func oversizedFileIsSkipped() throws {
        let directory = try ScanTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let layer = try CatalogTestLayers.layer([
            .file("var/lib/dpkg/status", Self.status((0..<200).map { ("p\($0)", "1.0") })),
            .file("\(Self.site)/six-1.16.0.dist-info/METADATA", Self.metadata("six", "1.16.0")),
        ], in: directory)
        let inventory = try ImageCatalog.catalog(layers: [layer], options: CatalogOptions(maxFileSize: 4096))
        #expect(inventory.packages.map(\.name) == ["six"])
        #expect(inventory.warnings.count == 1 && inventory.warnings[0].hasPrefix("/var/lib/dpkg/status: "))
    }
}
