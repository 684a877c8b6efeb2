import Foundation
import Testing
@testable import Scan

/// RPM packages from an rpmdb.sqlite made by Debian's rpm, against `rpm -qa --dbpath`.
@Suite struct CatalogRpmTests {
    static func spec(name: String, epoch: String?, license: String) -> String {
        """
        Name: \(name)
        Version: 1.2.3
        Release: 4.fc39
        \(epoch.map { "Epoch: \($0)" } ?? "")
        Summary: a test package
        License: \(license)
        BuildArch: noarch
        %description
        A package for the catalog tests.
        %files

        """
    }

    @Test func sqliteRpmdbMatchesRpmQueryAll() throws {
        guard ScanTestSupport.toolExists("rpm"), ScanTestSupport.toolExists("rpmbuild") else { return }
        let directory = try ScanTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var rpms: [String] = []
        for (name, epoch, license) in [("strata-one", "2", "MIT and BSD"), ("strata-two", nil as String?, "GPL-2.0-or-later")] {
            let specFile = directory.appendingPathComponent("\(name).spec")
            try Self.spec(name: name, epoch: epoch, license: license).write(to: specFile, atomically: true, encoding: .utf8)
            let build = try ScanTestSupport.run(["rpmbuild", "--quiet", "--define", "_topdir \(directory.path)/build",
                                                 "-bb", specFile.path])
            try #require(build.status == 0)
            rpms.append("\(directory.path)/build/RPMS/noarch/\(name)-1.2.3-4.fc39.noarch.rpm")
        }
        let database = directory.appendingPathComponent("db")
        try #require(try ScanTestSupport.run(["rpm", "--initdb", "--dbpath", database.path, "--define", "_db_backend sqlite"]).status == 0)
        try #require(try ScanTestSupport.run(["rpm", "-i", "--justdb", "--nodeps", "--noscripts", "--ignoreos", "--ignorearch",
                                              "--dbpath", database.path, "--define", "_db_backend sqlite"] + rpms).status == 0)
        guard let listed = try CatalogTestLayers.output(["rpm", "-qa", "--dbpath", database.path, "--define", "_db_backend sqlite",
            "--qf", "%{NAME}|%{EPOCH}|%{VERSION}-%{RELEASE}|%{ARCH}|%{LICENSE}|%{SOURCERPM}\\n"]) else { return }

        let sqlite = Array(try Data(contentsOf: database.appendingPathComponent("rpmdb.sqlite")))
        let layer = try CatalogTestLayers.layer([
            .file("etc/os-release", Array("NAME=Fedora\nID=fedora\nVERSION_ID=39\n".utf8)),
            .file("var/lib/rpm/rpmdb.sqlite", sqlite),
        ], in: directory)
        let inventory = try ImageCatalog.catalog(layers: [layer])
        #expect(inventory.warnings.isEmpty, "\(inventory.warnings)")
        var expected: [String] = []
        var purlInputs: [String] = []
        for line in listed.split(separator: "\n") {
            let f = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            let version = (f[1] == "(none)" ? "" : f[1] + ":") + f[2]
            expected.append("\(f[0]) \(version) \(f[3]) \(f[4]) \(f[5])")
            purlInputs.append([f[0], f[2], f[3], f[1] == "(none)" ? "" : f[1]].joined(separator: "|"))
        }
        #expect(expected.count == 2)
        #expect(inventory.packages.map { "\($0.name) \($0.version) \($0.architecture ?? "") \($0.licenses.joined()) \($0.sourceName ?? $0.name)-\($0.sourceVersion ?? String($0.version.split(separator: ":").last!)).src.rpm" }.sorted() == expected.sorted())
        #expect(inventory.packages.allSatisfy { $0.locations == ["/var/lib/rpm/rpmdb.sqlite"] })
        if let python = ScanTestSupport.requireVenvPython() {
            let script = """
                import sys
                from packageurl import PackageURL
                for line in sys.stdin.read().splitlines():
                    n, v, a, e = line.split('|')
                    q = {'arch': a, 'distro': 'fedora-39'}
                    if e: q['epoch'] = e
                    print(PackageURL(type='rpm', namespace='fedora', name=n, version=v, qualifiers=q).to_string())
                """
            let result = try ScanTestSupport.run([python, "-c", script], input: Array(purlInputs.sorted().joined(separator: "\n").utf8))
            #expect(String(decoding: result.output, as: UTF8.self).split(separator: "\n").map(String.init) == inventory.packages.map(\.purl))
        }
    }

    @Test func berkeleyDatabaseIsReportedUnsupported() throws {
        let directory = try ScanTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let layer = try CatalogTestLayers.layer([.file("var/lib/rpm/Packages", [UInt8](repeating: 0x61, count: 4096))], in: directory)
        let inventory = try ImageCatalog.catalog(layers: [layer])
        #expect(inventory.packages.isEmpty)
        #expect(inventory.warnings == ["/var/lib/rpm/Packages: unsupported rpmdb format (BerkeleyDB or NDB; only SQLite rpmdbs are read)"])
    }

    @Test func corruptSqliteIsAWarning() throws {
        let directory = try ScanTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let junk = Array("SQLite format 3\u{0}".utf8) + [UInt8](repeating: 0x5a, count: 8192)
        let layer = try CatalogTestLayers.layer([.file("usr/lib/sysimage/rpm/rpmdb.sqlite", junk)], in: directory)
        let inventory = try ImageCatalog.catalog(layers: [layer])
        #expect(inventory.packages.isEmpty)
        #expect(inventory.warnings.count == 1 && inventory.warnings[0].hasPrefix("/usr/lib/sysimage/rpm/rpmdb.sqlite: cannot read the rpmdb"))
    }
}
