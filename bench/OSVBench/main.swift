// Import and match timing in a release build (the benchmark test measures a debug build). Not part of the package:
// to run it, add `.executableTarget(name: "OSVBench", dependencies: ["Scan"], path: "bench/OSVBench")` to
// Package.swift for the occasion, then
//   swift build -c release --product OSVBench --scratch-path /tmp/osvbench && /tmp/osvbench/release/OSVBench OUT.zip
// with OUT.zip from bench/osv-generate.py.
import Foundation
import Scan

let zip = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "all.zip"
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("osvbench-\(getpid())")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }
let database = VulnerabilityDatabase(path: directory.appendingPathComponent("vulnerabilities.sqlite").path)
let summary = try database.import(paths: [zip])
print("import: \(summary.importedRecords) records in \(String(format: "%.1f", summary.seconds)) s "
    + "(\(Int(Double(summary.importedRecords) / summary.seconds)) records/s)")
let size = (try? FileManager.default.attributesOfItem(atPath: database.path)[.size] as? Int) ?? 0
print("database: \(size / 1_000_000) MB")

let sources = ["glibc", "openssl", "zlib", "minizip"]
let packages = (0..<90).map { n in
    CatalogedPackage(name: "bin\(n)", version: n % 2 == 0 ? "1.0-1" : "2.36-9+deb12u1", type: .deb, purl: "pkg:deb/debian/bin\(n)",
                     sourceName: "\(sources[n % 4])-\(n * 7 % 2000)")
}
let matcher = VulnerabilityMatcher(database: database)
for _ in 0..<3 {
    let started = Date()
    let found = try matcher.findings(for: ImageInventory(os: OSIdentity(id: "debian", versionID: "12"), packages: packages))
    print("match: \(packages.count) packages, \(found.count) findings in \(String(format: "%.3f", Date().timeIntervalSince(started))) s")
}
