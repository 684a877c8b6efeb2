import Archive
import Foundation
import OCI
import Scan

/// What a vulnerability scan found: the image (or SBOM) looked at, its packages, and the findings the filter kept.
public struct ScanResult: Sendable {
    public var subject: ScannedImage
    public var inventory: ImageInventory
    public var findings: [VulnerabilityFinding]
}

/// Vulnerability scans, offline by design: advisories come only from the OSV database imported under the store root
/// (`scan db import`); nothing here touches the network.
extension ImageService {
    /// Where the vulnerability database lives: `<root>/scan/vulnerabilities.sqlite`.
    public var vulnerabilityDatabase: VulnerabilityDatabase {
        VulnerabilityDatabase(path: environment.root.path + "/scan/vulnerabilities.sqlite")
    }

    /// `scan db import`: OSV zips, directories or JSON files, replacing the sources of the same names, atomically.
    public func importVulnerabilities(_ paths: [String]) async throws -> ImportSummary {
        let database = vulnerabilityDatabase
        try FileManager.default.createDirectory(atPath: environment.root.path + "/scan", withIntermediateDirectories: true)
        return try await BlockingWork.run(named: "strata.osv-import") { try database.import(paths: paths) }
    }

    /// `scan db status`.
    public func vulnerabilityDatabaseStatus() throws -> DatabaseStatus {
        try vulnerabilityDatabase.status()
    }

    /// `scan image`: catalogs the image's layers and matches the packages the filter scans.
    public func scan(_ nameOrID: String, filter: FindingFilter) async throws -> ScanResult {
        let database = vulnerabilityDatabase
        _ = try database.status()   // a missing database says how to import one before any layer is read
        let (subject, layers) = try inspected(nameOrID)
        return try await match(try await inventory(of: subject.imageID, layers: layers), subject: subject, database: database, filter: filter)
    }

    /// `scan sbom`: the packages of an SPDX or CycloneDX document, matched the same way.
    public func scan(sbom document: [UInt8], name: String, filter: FindingFilter) async throws -> ScanResult {
        let database = vulnerabilityDatabase
        _ = try database.status()
        let inventory = try SBOMDocument.read(document)
        let subject = ScannedImage(reference: name, imageID: Digest.sha256(document))
        return try await match(inventory, subject: subject, database: database, filter: filter)
    }

    private func match(_ inventory: ImageInventory, subject: ScannedImage, database: VulnerabilityDatabase,
                       filter: FindingFilter) async throws -> ScanResult {
        var scanned = inventory
        scanned.packages = inventory.packages.filter { filter.scans($0.type) }
        let matched = try await BlockingWork.run(named: "strata.match") { [scanned] in
            try VulnerabilityMatcher(database: database).findings(for: scanned)
        }
        let now = Date()
        return ScanResult(subject: subject, inventory: inventory, findings: matched.filter { filter.keeps($0, now: now) })
    }
}
