import Foundation
import Testing
@testable import Scan

/// Go build info against `go version -m`, on a program built here (a module with a local replacement)
/// and on Debian's skopeo.
@Suite struct CatalogGoTests {
    /// `go version -m` read as the catalog reports it: the main module, each dependency (a versioned
    /// `=>` replacement by a module standing in for it) and the standard library at the toolchain's version.
    static func expectedModules(_ output: String) -> [String] {
        var modules: [(path: String, version: String)] = []
        var goVersion = ""
        for (index, line) in output.split(separator: "\n").enumerated() {
            if index == 0 { goVersion = String(line.split(separator: " ").last ?? ""); continue }
            let fields = line.drop { $0 == "\t" }.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            switch fields.first {
            case "mod", "dep": modules.append((fields[1], fields.count > 2 ? fields[2] : ""))
            case "=>":  // a module replacement stands in; a local directory (./dep (devel)) does not
                if fields.count > 2, !fields[2].isEmpty, !fields[1].hasPrefix(".") && !fields[1].hasPrefix("/") {
                    modules[modules.count - 1] = (fields[1], fields[2])
                }
            default: break
            }
        }
        return (modules.map { "\($0.path) \($0.version)" } + ["stdlib \(goVersion)"]).sorted()
    }

    @Test func builtProgramMatchesGoVersionM() throws {
        guard ScanTestSupport.toolExists("go") else { return }
        let directory = try ScanTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("src")
        try FileManager.default.createDirectory(at: source.appendingPathComponent("dep"), withIntermediateDirectories: true)
        try "module example.com/hello\n\ngo 1.19\n\nrequire example.com/dep v1.2.3\n\nreplace example.com/dep => ./dep\n"
            .write(to: source.appendingPathComponent("go.mod"), atomically: true, encoding: .utf8)
        try "package main\n\nimport \"example.com/dep\"\n\nfunc main() { println(dep.Greeting()) }\n"
            .write(to: source.appendingPathComponent("main.go"), atomically: true, encoding: .utf8)
        try "module example.com/dep\n\ngo 1.19\n".write(to: source.appendingPathComponent("dep/go.mod"), atomically: true, encoding: .utf8)
        try "package dep\n\nfunc Greeting() string { return \"hi\" }\n"
            .write(to: source.appendingPathComponent("dep/dep.go"), atomically: true, encoding: .utf8)
        let binary = directory.appendingPathComponent("hello")
        let build = try ScanTestSupport.run(["/usr/bin/env", "GOPROXY=off", "GOFLAGS=-mod=mod -buildvcs=false", "GOTOOLCHAIN=local",
                                             "go", "build", "-o", binary.path, "."], directory: source)
        try #require(build.status == 0)
        guard let reported = try CatalogTestLayers.output(["go", "version", "-m", binary.path]) else { return }
        let expected = Self.expectedModules(reported)
        #expect(expected.contains("example.com/hello (devel)") && expected.contains("example.com/dep v1.2.3"))

        let layer = try CatalogTestLayers.layer([
            .file("usr/local/bin/hello", Array(try Data(contentsOf: binary)), mode: 0o755),
            .file("usr/bin/true", Array(try Data(contentsOf: URL(fileURLWithPath: "/usr/bin/true"))), mode: 0o755),
            .file("usr/bin/script", Array("#!/bin/sh\necho \u{ff} Go buildinf:\n".utf8), mode: 0o755),
            // Not executable: not looked at.
            .file("usr/share/hello.copy", Array(try Data(contentsOf: binary)), mode: 0o644),
        ], createdBy: "COPY hello", in: directory)
        let inventory = try ImageCatalog.catalog(layers: [layer])
        #expect(inventory.packages.map { "\($0.name) \($0.version)" }.sorted() == expected)
        #expect(inventory.packages.allSatisfy { $0.type == .goModule && $0.locations == ["/usr/local/bin/hello"] })
        #expect(inventory.packages.first { $0.name == "example.com/dep" }?.purl == "pkg:golang/example.com/dep@v1.2.3")
        #expect(inventory.warnings.isEmpty, "\(inventory.warnings)")
    }

    @Test func debianSkopeoMatchesGoVersionM() throws {
        let skopeo = "/usr/bin/skopeo"
        guard ScanTestSupport.toolExists("go"), ScanTestSupport.toolExists("skopeo") else { return }
        guard let reported = try CatalogTestLayers.output(["go", "version", "-m", skopeo]) else { return }
        let directory = try ScanTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let layer = try CatalogTestLayers.layer([.file("usr/bin/skopeo", Array(try Data(contentsOf: URL(fileURLWithPath: skopeo))), mode: 0o755)], in: directory)
        let inventory = try ImageCatalog.catalog(layers: [layer])
        #expect(inventory.packages.map { "\($0.name) \($0.version)" }.sorted() == Self.expectedModules(reported))
    }

    /// A file cut short right after the magic, a magic with a bad header, a varint running off: no trap.
    @Test func damagedBuildInfoIsNotATrap() throws {
        var elf: [UInt8] = [0x7f, 0x45, 0x4c, 0x46] + [UInt8](repeating: 0, count: 60)
        elf += [UInt8](repeating: 0, count: 64)
        let magic = GoBuildInfoScanner.magic
        var cases: [[UInt8]] = []
        cases.append(elf + magic)  // truncated header
        cases.append(elf + magic + [8, 2] + [UInt8](repeating: 0, count: 16) + [0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
        cases.append(elf + magic + [8, 2] + [UInt8](repeating: 0, count: 16) + [200, 1] + Array("go1.22".utf8))
        cases.append(elf + magic + [3, 0x80] + [UInt8](repeating: 0, count: 64))
        for bytes in cases {
            var offset = 0
            let outcome = try GoBuildInfoScanner.scan { buffer in
                let count = min(buffer.count, bytes.count - offset)
                bytes.withUnsafeBytes { source in
                    buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + count)]))
                }
                offset += count
                return count
            }
            #expect(outcome == .notGo)
        }
    }
}
