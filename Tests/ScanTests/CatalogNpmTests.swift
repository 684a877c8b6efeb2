import Archive
import Foundation
import OCI
import Testing
@testable import Scan

/// npm: installed package.json files and lockfiles of each version, and a layer with 100,000 packages.
@Suite struct CatalogNpmTests {
    @Test func lockfilesOfEachVersion() throws {
        let directory = try ScanTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let version1 = """
            {"name": "app", "version": "1.0.0", "lockfileVersion": 1, "dependencies": {
              "left-pad": {"version": "1.3.0"},
              "@types/node": {"version": "20.1.0", "dependencies": {"undici-types": {"version": "5.26.5"}}},
              "local": {"version": "file:../local"}}}
            """
        let version3 = """
            {"name": "web", "version": "2.0.0", "lockfileVersion": 3, "packages": {
              "": {"name": "web", "version": "2.0.0"},
              "node_modules/left-pad": {"version": "1.3.0", "license": "WTFPL"},
              "node_modules/@babel/core": {"version": "7.24.0", "license": "MIT"},
              "node_modules/@babel/core/node_modules/semver": {"version": "6.3.1", "license": "ISC"},
              "node_modules/linked": {"resolved": "packages/linked", "link": true},
              "packages/linked": {"name": "linked", "version": "0.0.1"}}}
            """
        let layer = try CatalogTestLayers.layer([
            .file("srv/one/package-lock.json", Array(version1.utf8)),
            .file("srv/three/package-lock.json", Array(version3.utf8)),
            .file("srv/three/node_modules/left-pad/package.json", Array("{\"name\":\"left-pad\",\"version\":\"1.3.0\",\"license\":\"WTFPL\"}".utf8)),
            .file("srv/three/node_modules/.package-lock.json", Array(version3.utf8)),
            .file("srv/broken/package-lock.json", Array("{\"lockfileVersion\": 3, \"packages\": {".utf8)),
        ], in: directory)
        let inventory = try ImageCatalog.catalog(layers: [layer])
        // What the lockfiles above pin, written out by hand from their text.
        #expect(inventory.packages.map(\.purl).sorted() == [
            "pkg:npm/%40babel/core@7.24.0", "pkg:npm/%40types/node@20.1.0", "pkg:npm/left-pad@1.3.0",
            "pkg:npm/semver@6.3.1", "pkg:npm/undici-types@5.26.5",
        ])
        let leftPad = inventory.packages.first { $0.name == "left-pad" }
        #expect(leftPad?.locations.sorted() == ["/srv/one/package-lock.json", "/srv/three/node_modules/left-pad/package.json", "/srv/three/package-lock.json"])
        #expect(leftPad?.licenses == ["WTFPL"])
        #expect(inventory.warnings == ["/srv/broken/package-lock.json: invalid JSON, skipped"])
    }

    /// 100,000 installed packages in one gzip layer: time and memory stay bounded.
    @Test func hundredThousandPackages() throws {
        guard ScanTestSupport.toolExists("gzip") else { return }
        let directory = try ScanTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let count = 100_000
        let file = directory.appendingPathComponent("npm.tar.gz")
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", "-1", "-c"]
        let pipe = Pipe()
        FileManager.default.createFile(atPath: file.path, contents: nil)
        let output = try FileHandle(forWritingTo: file)
        gzip.standardInput = pipe
        gzip.standardOutput = output
        try gzip.run()
        let sink = pipe.fileHandleForWriting
        var hasher = SHA256Hasher()
        let writer = TarWriter(bufferSize: 1 << 20) { bytes in
            hasher.update(bufferPointer: bytes)
            try? sink.write(contentsOf: Data(bytes))
        }
        for index in 0..<count {
            let name = index % 10 == 0 ? "@scope\(index % 7)/pkg\(index)" : "pkg\(index)"
            let json = "{\"name\":\"\(name)\",\"version\":\"1.\(index % 13).\(index % 101)\",\"license\":\"MIT\",\"main\":\"index.js\"}"
            try writer.writeEntry(TarEntryHeader(name: "app/node_modules/\(name)/package.json", kind: .regular), data: Array(json.utf8))
        }
        try writer.finish()
        try sink.close()
        gzip.waitUntilExit()
        try output.close()
        let tarSize = try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int ?? 0
        let diffID = hasher.finalize()
        let layer = ImageLayerSource(diffID: diffID, createdBy: nil) { open(file.path, O_RDONLY) }

        let before = Self.peakResidentBytes()
        let clock = ContinuousClock()
        let start = clock.now
        let inventory = try ImageCatalog.catalog(layers: [layer])
        let elapsed = clock.now - start
        let growth = Self.peakResidentBytes() - before
        print("100,000 npm packages (\(tarSize) bytes gzip): \(elapsed), peak RSS growth \(growth >> 20) MiB")
        #expect(inventory.packages.count == count)
        #expect(inventory.warnings.isEmpty)
        #expect(inventory.packages.filter { $0.namespace != nil }.count == count / 10)
        #expect(elapsed < .seconds(60))
        #expect(growth < 512 << 20)
    }

    /// Peak resident set of this process (getrusage's ru_maxrss, KiB on Linux).
    static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return usage.ru_maxrss * 1024
    }
}
