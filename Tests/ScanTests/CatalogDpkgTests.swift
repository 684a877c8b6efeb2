import Foundation
import Testing
@testable import Scan

/// dpkg and the OS identity against dpkg-query and a shell sourcing os-release, on the Debian 12 rootfs.
@Suite struct CatalogDpkgTests {
    @Test func debianBaseMatchesDpkgQuery() throws {
        guard let rootfs = CatalogTestLayers.debianRootfs(), ScanTestSupport.toolExists("dpkg-query"),
              ScanTestSupport.toolExists("tar") else { return }
        let directory = try ScanTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let layer = try CatalogTestLayers.layer(file: rootfs, createdBy: "debootstrap")
        let clock = ContinuousClock()
        let start = clock.now
        let inventory = try ImageCatalog.catalog(layers: [layer])
        print("catalog of the Debian base (\(rootfs)): \(clock.now - start)")

        try ScanTestSupport.run(["tar", "-xf", rootfs, "-C", directory.path, "./var/lib/dpkg", "./usr/lib/os-release"])
        guard let listed = try CatalogTestLayers.output([
            "dpkg-query", "--admindir=\(directory.path)/var/lib/dpkg", "-W",
            "-f", "${db:Status-Status} ${Package} ${Version} ${source:Package} ${source:Version}\\n",
        ]) else { return }
        let expected = Set(listed.split(separator: "\n").filter { $0.hasPrefix("installed ") }.map { $0.dropFirst(10) }.map(String.init))
        let debs = inventory.packages.filter { $0.type == .deb }
        let found = Set(debs.map { "\($0.name) \($0.version) \($0.sourceName ?? $0.name) \($0.sourceVersion ?? $0.version)" })
        #expect(expected.count > 50)
        #expect(found == expected)
        #expect(debs.count == expected.count)
        #expect(inventory.warnings.isEmpty, "\(inventory.warnings)")
        for package in debs {
            #expect(package.layer?.index == 0 && package.layer?.createdBy == "debootstrap")
            #expect(package.locations.first == "/var/lib/dpkg/status")
        }
        // Package URLs as the purl-spec's Python implementation builds them.
        if let python = ScanTestSupport.requireVenvPython() {
            let script = "from packageurl import PackageURL\nimport sys\nfor line in sys.stdin.read().splitlines():\n"
                + "    n, v, a = line.split(' ')\n"
                + "    print(PackageURL(type='deb', namespace='debian', name=n, version=v, qualifiers={'arch': a, 'distro': 'debian-12'}).to_string())\n"
            let input = debs.map { "\($0.name) \($0.version) \($0.architecture ?? "")" }.joined(separator: "\n")
            let result = try ScanTestSupport.run([python, "-c", script], input: Array(input.utf8))
            #expect(String(decoding: result.output, as: UTF8.self).split(separator: "\n").map(String.init) == debs.map(\.purl))
        }

        // etc/os-release is a symlink to ../usr/lib/os-release: what a shell sourcing that file sees.
        guard let sourced = try CatalogTestLayers.output([
            "/bin/sh", "-c", ". ./usr/lib/os-release; printf '%s\\n%s\\n%s\\n%s\\n' \"$ID\" \"$VERSION_ID\" \"$VERSION_CODENAME\" \"$PRETTY_NAME\"",
        ], directory: directory) else { return }
        let fields = sourced.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(inventory.os == OSIdentity(id: fields[0], versionID: fields[1], versionCodename: fields[2], prettyName: fields[3]))
    }

    /// Licences: every `License:` field's first line of the package's DEP-5 copyright file, as grep sees them.
    @Test func debianLicencesComeFromCopyrightFiles() throws {
        guard let rootfs = CatalogTestLayers.debianRootfs(), ScanTestSupport.toolExists("tar") else { return }
        let directory = try ScanTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try ScanTestSupport.run(["tar", "-xf", rootfs, "-C", directory.path, "./usr/share/doc/bash/copyright", "./usr/share/doc/apt/copyright", "./usr/share/doc/libc6/copyright", "./var/lib/dpkg/status"])
        let inventory = try ImageCatalog.catalog(layers: [try CatalogTestLayers.layer(file: rootfs)])
        // bash's and apt's files are DEP-5; libc6's is free text (no licence read from it, none grepped).
        for name in ["bash", "apt", "libc6"] {
            guard let grepped = try CatalogTestLayers.output(["/bin/sh", "-c", "grep '^License:' usr/share/doc/\(name)/copyright | sed 's/^License: *//; s/ *$//' | awk '!seen[$0]++'"], directory: directory) else { return }
            let expected = grepped.split(separator: "\n").map(String.init)
            #expect(expected.isEmpty == (name == "libc6"))
            #expect(inventory.packages.first { $0.type == .deb && $0.name == name }?.licenses == expected)
        }
    }

    @Test func corruptStatusKeepsTheReadableStanzas() throws {
        let directory = try ScanTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let status = """
            Package: good-one
            Status: install ok installed
            Version: 1.0-1
            Architecture: amd64

            \u{0}\u{1}garbage line without a colon
            Package: removed-one
            Status: deinstall ok config-files
            Version: 2.0

            Status: install ok installed
            Version: 9

            Package: good-two
            Status: install ok installed
            Source: good-src (0.9-1)
            Version: 1:2.0+dfsg-3
            Architecture: all
            """
        let layer = try CatalogTestLayers.layer([.file("var/lib/dpkg/status", Array(status.utf8))], in: directory)
        let inventory = try ImageCatalog.catalog(layers: [layer])
        #expect(inventory.packages.map(\.name) == ["good-one", "good-two"])
        #expect(inventory.packages.last?.sourceName == "good-src" && inventory.packages.last?.sourceVersion == "0.9-1")
        #expect(inventory.warnings.count == 2, "\(inventory.warnings)")
        #expect(inventory.warnings.allSatisfy { $0.hasPrefix("/var/lib/dpkg/status: ") && !$0.contains("\n") })
    }

    /// Distroless keeps one stanza per file under status.d (the .md5sums beside them are not packages).
    @Test func distrolessStatusDirectory() throws {
        guard let rootfs = CatalogTestLayers.debianRootfs(), ScanTestSupport.toolExists("dpkg-query") else { return }
        let directory = try ScanTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try ScanTestSupport.run(["tar", "-xf", rootfs, "-C", directory.path, "./var/lib/dpkg/status"])
        // Split the real status into per-package files, as distroless does.
        let status = try String(contentsOf: directory.appendingPathComponent("var/lib/dpkg/status"), encoding: .utf8)
        var entries: [ScanTestSupport.LayerEntry] = []
        for stanza in status.components(separatedBy: "\n\n").prefix(20) where stanza.hasPrefix("Package: ") {
            let name = stanza.dropFirst(9).prefix { $0 != "\n" }
            entries.append(.file("var/lib/dpkg/status.d/\(name)", Array((stanza + "\n").utf8)))
            entries.append(.file("var/lib/dpkg/status.d/\(name).md5sums", Array("d41d8cd98f00b204e9800998ecf8427e  usr/bin/x\n".utf8)))
        }
        let inventory = try ImageCatalog.catalog(layers: [try CatalogTestLayers.layer(entries, in: directory)])
        guard let listed = try CatalogTestLayers.output([
            "dpkg-query", "--admindir=\(directory.path)/var/lib/dpkg", "-W", "-f", "${Package} ${Version}\\n",
        ]) else { return }
        let expected = Set(listed.split(separator: "\n").map(String.init)).intersection(Set(inventory.packages.map { "\($0.name) \($0.version)" }))
        #expect(inventory.packages.count == entries.count / 2)
        #expect(expected.count == inventory.packages.count)
        #expect(inventory.packages.allSatisfy { $0.locations == ["/var/lib/dpkg/status.d/\($0.name)"] })
    }
}
