import Archive
import ArgumentParser
import DockerViews
import Foundation
import ImageService
import Scan

/// `strata scan`: offline vulnerability scanning with trivy's flags, against the OSV database `scan db import` made.
struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Scan images and SBOMs for known vulnerabilities (offline, OSV advisories)",
        discussion: """
            Examples:
              strata scan db import Debian-all.zip PyPI-all.zip   # OSV zips as osv.dev publishes them
              strata scan python:3.9-alpine                        # = strata scan image python:3.9-alpine
              strata scan image --severity CRITICAL,HIGH --exit-code 1 myapp:latest
              strata scan image --format sarif -o results.sarif myapp:latest
              strata scan sbom app.spdx.json
            """,
        subcommands: [ScanImageCommand.self, ScanSBOMCommand.self, ScanDatabaseCommand.self],
        defaultSubcommand: ScanImageCommand.self)
}

/// The flags `scan image` and `scan sbom` share, spelled as trivy spells them.
struct ScanReportOptions: ParsableArguments {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, sarif, cyclonedx
    }

    @Option(help: "Severities to report, comma-separated (UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL)") var severity: String?
    @Option(name: .customLong("exit-code"), help: "Exit with this code when vulnerabilities are found") var exitCode: Int32 = 0
    @Flag(name: .customLong("ignore-unfixed"), help: "Report only vulnerabilities with a fixed version") var ignoreUnfixed = false
    @Option(name: [.customShort("f"), .long], help: "Output format: table, json, sarif or cyclonedx") var format: Format = .table
    @Option(name: .shortAndLong, help: "Write the report to FILE") var output: String?
    @Option(help: "Vulnerability IDs to ignore, one per line (default .trivyignore when present)") var ignorefile: String?
    @Option(name: .customLong("pkg-types"), help: "Package kinds to scan: os, library (comma-separated)") var pkgTypes: String?
    @Flag(name: .customLong("skip-db-update"), help: "Accepted for trivy users: the database is only ever updated by 'scan db import'")
    var skipDBUpdate = false
    @Flag(name: .customLong("offline-scan"), help: "Accepted for trivy users: scans never use the network") var offlineScan = false

    func filter() throws -> FindingFilter {
        var filter = FindingFilter(ignoreUnfixed: ignoreUnfixed)
        do {
            if let severity { filter.severities = try FindingFilter.severities(severity) }
            if let pkgTypes { filter.packageKinds = try FindingFilter.packageKinds(pkgTypes) }
            let path = ignorefile ?? (FileManager.default.fileExists(atPath: ".trivyignore") ? ".trivyignore" : nil)
            if let path {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw CLIError(message: "Error: cannot read the ignore file \(path)", code: 1)
                }
                filter.ignored = try IgnoreList(parsing: String(decoding: data, as: UTF8.self))
            }
        } catch let error as ScanOptionError {
            throw CLIError(message: "Error: \(error)", code: 1)
        }
        return filter
    }

    /// Writes the report, then exits with `--exit-code` when anything was found.
    func emit(_ result: ScanResult) async throws {
        let stamp = DocumentStamp(toolVersion: HostFacts.strataVersion)
        let os = result.inventory.os
        let report: [UInt8]
        switch format {
        case .table: report = Array(ScanTable.render(findings: result.findings, image: result.subject, os: os).utf8)
        case .json: report = TrivyJSONReport.write(findings: result.findings, image: result.subject, os: os, stamp: stamp)
        case .sarif: report = SARIFReport.write(findings: result.findings, image: result.subject, os: os, stamp: stamp)
        case .cyclonedx:
            report = CycloneDXVulnerabilityReport.write(findings: result.findings, inventory: result.inventory,
                                                        image: result.subject, os: os, stamp: stamp)
        }
        for warning in result.inventory.warnings { Output.error("WARNING: \(warning)\n") }
        if let output {
            try await OutputFile.write(to: output, action: "failed to write the report") { fd in
                try report.withUnsafeBytes { try FileDescriptorIO.writeAll(fd, $0) }
            }
        } else {
            Output.write(String(decoding: report, as: UTF8.self))
        }
        if exitCode != 0 && !result.findings.isEmpty { throw ExitCode(exitCode) }
    }
}

struct ScanImageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Scan an image's packages for known vulnerabilities",
        discussion: "Example: strata scan image --severity CRITICAL,HIGH --exit-code 1 debian:12")

    @OptionGroup var options: ScanReportOptions
    @Argument(help: "IMAGE") var image: String

    func run() async throws {
        let filter = try options.filter()
        let service = try GlobalOptions.service()
        let result: ScanResult
        do {
            result = try await service.scan(image, filter: filter)
        } catch let error as VulnerabilityDatabaseError {
            throw CLIError(message: "Error: \(error)", code: 1)
        } catch {
            throw RuntimeErrorText.daemon(error, name: image)
        }
        try await options.emit(result)
    }
}

struct ScanSBOMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sbom",
        abstract: "Scan the packages of an SPDX or CycloneDX JSON document",
        discussion: "Example: strata sbom --format cyclonedx-json -o app.cdx.json app:1 && strata scan sbom app.cdx.json")

    @OptionGroup var options: ScanReportOptions
    @Argument(help: "FILE (- for stdin)") var file: String

    func run() async throws {
        let filter = try options.filter()
        let bytes: [UInt8]
        if file == "-" {
            bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
        } else {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CLIError(message: "Error: cannot read \(file)", code: 1)
            }
            bytes = Array(data)
        }
        let service = try GlobalOptions.service()
        do {
            try await options.emit(try await service.scan(sbom: bytes, name: file, filter: filter))
        } catch let error as ExitCode {
            throw error
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError(message: "Error: \(RuntimeErrorText.describe(error))", code: 1)
        }
    }
}

struct ScanDatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Manage the offline vulnerability database",
        subcommands: [ScanDatabaseImportCommand.self, ScanDatabaseStatusCommand.self])
}

struct ScanDatabaseImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import OSV advisories: zips (as osv.dev publishes per ecosystem), directories or JSON files",
        discussion: """
            Example: strata scan db import Debian-all.zip PyPI-all.zip ./my-advisories/

            The import is atomic: a failed import leaves the previous database in use. Records that are not valid OSV are skipped and counted; withdrawn records are skipped.
            """)

    @Argument(help: "PATH...") var paths: [String] = []

    func run() async throws {
        guard !paths.isEmpty else { throw CLIError(message: "Error: scan db import needs at least one PATH", code: 1) }
        let service = try GlobalOptions.service()
        let summary: ImportSummary
        do {
            summary = try await service.importVulnerabilities(paths)
        } catch {
            throw CLIError(message: "Error: \(RuntimeErrorText.describe(error))", code: 1)
        }
        for source in summary.sources {
            Output.write("\(source.name): \(source.records) records imported, \(source.malformed) malformed skipped, "
                         + "\(source.withdrawn) withdrawn skipped (\(source.ecosystems.count) ecosystems)\n")
        }
        Output.write(String(format: "Imported %d records in %.1f s\n", summary.importedRecords, summary.seconds))
    }
}

struct ScanDatabaseStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the database's sources and record counts")

    func run() async throws {
        let status: DatabaseStatus
        do {
            status = try GlobalOptions.service().vulnerabilityDatabaseStatus()
        } catch {
            throw CLIError(message: "Error: \(RuntimeErrorText.describe(error))", code: 1)
        }
        Output.write(ScanDatabaseView.render(status))
    }
}
