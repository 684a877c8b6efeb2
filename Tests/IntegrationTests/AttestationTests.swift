import Foundation
import Testing

/// `buildx build --provenance/--sbom/--attest`: SLSA v1 provenance and an SPDX 2.3 SBOM per platform image, stored as
/// BuildKit stores them (an attestation manifest per image in the index, and a referrer of the image). Read back
/// without Strata: Fixtures/attestation-check.py (plain HTTP GETs or a layout's files, the in-toto attestation
/// framework's Statement v1 and SLSA Provenance v1 models), pyspdxtools, skopeo, oci-image-tool and
/// Fixtures/referrers-client.py.
@Suite("build attestations", .enabled(if: RegistryFixture.shouldRun && TestEnvironment.canMakeVenv, "needs docker-registry and python3-venv"),
       .serialized)
struct AttestationTests {
    static let checker = RegistryFixture.fixturesDirectory.appendingPathComponent("attestation-check.py").path
    static let referrersClient = RegistryFixture.fixturesDirectory.appendingPathComponent("referrers-client.py").path
    static let secretValue = "s3cret-value-never-in-provenance"
    static let slsa = "https://slsa.dev/provenance/v1"
    static let spdx = "https://spdx.dev/Document"

    /// A COPY-only context (arm64 needs no emulation) whose image holds a dpkg status file with one package.
    static func context(from base: String) throws -> URL {
        let context = try Files.tempDirectory("attest")
        try Data("payload\n".utf8).write(to: context.appendingPathComponent("a"))
        try Data("""
            Package: hello-attest
            Status: install ok installed
            Priority: optional
            Section: misc
            Installed-Size: 10
            Maintainer: Strata Tests <tests@example.invalid>
            Architecture: all
            Version: 1.2.3-1
            Description: a package the SBOM must list

            """.utf8).write(to: context.appendingPathComponent("status"))
        try Data("""
            FROM \(base)
            ARG TARGETPLATFORM
            COPY status /var/lib/dpkg/status
            COPY a /a
            LABEL built.for=$TARGETPLATFORM

            """.utf8).write(to: context.appendingPathComponent("Dockerfile"))
        try Data(secretValue.utf8).write(to: context.appendingPathComponent("secret.txt"))
        return context
    }

    /// Runs attestation-check.py; its JSON summary.
    static func check(_ arguments: [String]) async throws -> (images: [String: String], attestations: [String: [String: Any]]) {
        let python = try TestEnvironment.requireVenvPython()
        let result = try await ProcessRunner.run(python, [checker] + arguments)
        guard result.status == 0, let summary = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
              let images = summary["images"] as? [String: String], let attestations = summary["attestations"] as? [String: [String: Any]] else {
            throw FixtureError("attestation-check.py \(arguments.first ?? ""): \(result)")
        }
        return (images, attestations)
    }

    static func json(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    /// The predicate's resolved dependencies as (uri, sha256 digest) pairs.
    static func dependencies(_ provenance: [String: Any]) -> [String: String] {
        let definition = provenance["buildDefinition"] as? [String: Any]
        let list = definition?["resolvedDependencies"] as? [[String: Any]] ?? []
        return Dictionary(list.compactMap { entry in
            guard let uri = entry["uri"] as? String, let digest = (entry["digest"] as? [String: String])?["sha256"] else { return nil }
            return (uri, "sha256:" + digest)
        }, uniquingKeysWith: { a, _ in a })
    }

    static func requestParameters(_ provenance: [String: Any]) -> [String: Any] {
        let definition = provenance["buildDefinition"] as? [String: Any]
        let external = definition?["externalParameters"] as? [String: Any]
        return external?["request"] as? [String: Any] ?? [:]
    }

    static func pyspdxtools() throws -> String {
        (try TestEnvironment.requireVenvPython() as NSString).deletingLastPathComponent + "/pyspdxtools"
    }

    @Test("two platforms, provenance max and an SBOM, pushed: the index, the statements and the referrers read back")
    func twoPlatformsPushed() async throws {
        let strata = try StrataRunner()
        let work = try Files.tempDirectory("attest-out")
        defer { try? FileManager.default.removeItem(at: work) }
        // A two-platform base in the store, so that each platform's provenance names the base it started from.
        let baseContext = try Files.tempDirectory("attest-base")
        defer { try? FileManager.default.removeItem(at: baseContext) }
        try Data("base\n".utf8).write(to: baseContext.appendingPathComponent("b"))
        try Data("FROM scratch\nCOPY b /b\n".utf8).write(to: baseContext.appendingPathComponent("Dockerfile"))
        let baseIID = work.appendingPathComponent("base.iid").path
        let base = try await strata.run(["build", "-q", "--platform", "linux/amd64,linux/arm64", "-t", "att/base:1",
                                         "--iidfile", baseIID, baseContext.path])
        #expect(base.status == 0, "\(base)")
        let baseIndex = try String(contentsOfFile: baseIID, encoding: .utf8)
        let context = try Self.context(from: "att/base:1")
        defer { try? FileManager.default.removeItem(at: context) }
        let secretPath = context.appendingPathComponent("secret.txt").path

        try await RegistryFixture.with(.open) { registry in
            let name = "\(registry.host)/att/app:1"
            let built = try await strata.run(["buildx", "build", "--progress", "plain", "--platform", "linux/amd64,linux/arm64",
                                              "--provenance=mode=max", "--sbom=true", "--secret", "id=tok,src=\(secretPath)",
                                              "--build-arg", "FOO=bar", "--push", "-t", name, context.path])
            #expect(built.status == 0, "\(built)")

            // The index as another client reads it: two images, and one attestation manifest for each.
            let out = work.appendingPathComponent("registry").path
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let summary = try await Self.check(["registry", registry.host, "att/app", "1", out])
            #expect(Set(summary.images.keys) == ["linux/amd64", "linux/arm64"], "\(summary)")
            #expect(Set(summary.attestations.keys) == ["linux/amd64", "linux/arm64"], "\(summary)")
            var invocations = Set<String>()
            for platform in ["linux/amd64", "linux/arm64"] {
                #expect(summary.attestations[platform]?["predicates"] as? [String] == [Self.slsa, Self.spdx], "\(summary)")
                let stem = out + "/" + platform.replacingOccurrences(of: "/", with: "-")
                let provenanceText = try String(contentsOfFile: stem + ".provenance.json", encoding: .utf8)
                #expect(!provenanceText.contains(Self.secretValue) && !provenanceText.contains(secretPath), "\(provenanceText)")
                let provenance = try Self.json(stem + ".provenance.json")
                let request = Self.requestParameters(provenance)
                #expect((request["args"] as? [String: String])?["build-arg:FOO"] == "bar", "\(request)")
                #expect((request["secrets"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["tok"], "\(request)")
                #expect(request["frontend"] as? String == "dockerfile.v0")
                let escaped = platform.replacingOccurrences(of: "/", with: "%2F")
                #expect(Self.dependencies(provenance) == ["pkg:docker/att/base@1?platform=\(escaped)": baseIndex], "\(provenance)")
                let metadata = (provenance["runDetails"] as? [String: Any])?["metadata"] as? [String: Any]
                invocations.insert(metadata?["invocationId"] as? String ?? "")

                let sbom = stem + ".sbom.json"
                let validated = try await ProcessRunner.run(try Self.pyspdxtools(), ["-i", sbom])
                #expect(validated.status == 0, "\(validated)")
                let packages = try Self.json(sbom)["packages"] as? [[String: Any]] ?? []
                #expect(packages.contains { $0["name"] as? String == "hello-attest" && $0["versionInfo"] as? String == "1.2.3-1" },
                        "\(packages)")
            }
            #expect(invocations.count == 1 && !invocations.contains(""), "one invocation for both platforms: \(invocations)")

            // buildx imagetools: the predicates by platform, and the attestation entries in the listing.
            let provenance = try await strata.run(["buildx", "imagetools", "inspect", "--format", "{{json .Provenance}}", name])
            let provenanceByPlatform = try JSONSerialization.jsonObject(with: Data(provenance.stdout.utf8)) as? [String: [String: Any]]
            #expect(Set(provenanceByPlatform?.keys ?? [:].keys) == ["linux/amd64", "linux/arm64"], "\(provenance)")
            let slsa = provenanceByPlatform?["linux/arm64"]?["SLSA"] as? [String: Any]
            #expect((slsa?["buildDefinition"] as? [String: Any])?["buildType"] as? String != nil, "\(provenance)")
            let sbom = try await strata.run(["buildx", "imagetools", "inspect", "--format", "{{json .SBOM}}", name])
            let sbomByPlatform = try JSONSerialization.jsonObject(with: Data(sbom.stdout.utf8)) as? [String: [String: Any]]
            #expect((sbomByPlatform?["linux/amd64"]?["SPDX"] as? [String: Any])?["spdxVersion"] as? String == "SPDX-2.3", "\(sbom)")
            let listing = try await strata.run(["buildx", "imagetools", "inspect", name])
            #expect(listing.stdout.contains("  Platform:    unknown/unknown\n  Annotations: \n    vnd.docker.reference.digest: sha256:"),
                    "\(listing)")
            #expect(listing.stdout.contains("    vnd.docker.reference.type:   attestation-manifest\n"), "\(listing)")
            #expect(listing.stdout.contains("  Platform:    linux/arm64\n"), "\(listing)")

            // Each attestation is a referrer of its image too (distribution 2.8: through the sha256-<hex> tag index).
            let amd64 = try #require(summary.images["linux/amd64"])
            let referrers = try await ProcessRunner.run("/usr/bin/python3", [Self.referrersClient, "list", registry.host, "att/app", amd64])
            #expect(referrers.stdout.lines == ["\(summary.attestations["linux/amd64"]?["digest"] as? String ?? "?") "
                                               + "application/vnd.docker.attestation.manifest.v1+json"], "\(referrers)")

            // The store names the index once and resolves the tag to this host's image, never the unknown/unknown entry.
            let listed = try await strata.run(["images", "--format", "{{.Repository}}:{{.Tag}}", "\(registry.host)/att/app"])
            #expect(listed.stdout == "\(name)\n", "\(listed)")
            let inspected = try await strata.run(["inspect", "-f", "{{.Architecture}} {{index .Config.Labels \"built.for\"}}", name])
            #expect(inspected.stdout == "amd64 linux/amd64\n", "\(inspected)")

            // Copied out of the store whole; one platform with its referrers (the attestation follows as a referrer);
            // then by skopeo, an independent reader.
            let copied = try await strata.run(["copy", "--all", "strata:\(name)", "docker://\(registry.host)/att/copy:1"])
            #expect(copied.status == 0, "\(copied)")
            let copiedSummary = try await Self.check(["registry", registry.host, "att/copy", "1", out])
            #expect(copiedSummary.attestations.count == 2 && copiedSummary.images == summary.images, "\(copiedSummary)")
            let single = try await strata.run(["copy", "--referrers", "strata:\(name)", "docker://\(registry.host)/att/single:1"])
            #expect(single.status == 0, "\(single)")
            let followed = try await ProcessRunner.run("/usr/bin/python3", [Self.referrersClient, "list", registry.host, "att/single", amd64])
            #expect(followed.stdout.lines == referrers.stdout.lines, "\(followed)")
            let skopeo = try await Skopeo.run(["copy", "--all", "--src-tls-verify=false", "docker://\(name)", "oci:\(work.path)/skopeo:1"])
            #expect(skopeo.status == 0, "\(skopeo)")

            // Pulled whole into a fresh store: the attestations are kept as the images' referrers, checked green, and
            // pushed again unchanged.
            let fresh = try StrataRunner()
            let pulled = try await fresh.run(["pull", "--all-platforms", name])
            #expect(pulled.status == 0, "\(pulled)")
            let freshCheck = try await fresh.run(["system", "check"])
            #expect(freshCheck.status == 0, "\(freshCheck)")
            #expect(try await fresh.run(["tag", name, "\(registry.host)/att/again:1"]).status == 0)
            let again = try await fresh.run(["push", "\(registry.host)/att/again:1"])
            #expect(again.status == 0, "\(again)")
            let againSummary = try await Self.check(["registry", registry.host, "att/again", "1", out])
            #expect(againSummary.images == summary.images && againSummary.attestations.count == 2, "\(againSummary)")
        }
        let checked = try await strata.run(["system", "check"])
        #expect(checked.status == 0, "\(checked)")
    }

    @Test("one platform, provenance min: an index all the same; save and -o type=oci carry it; inspect and run take the image")
    func onePlatformLayouts() async throws {
        let strata = try StrataRunner()
        try await strata.importImage(try Files.busyboxRootfs(), "att/busybox:1")
        let context = try Self.context(from: "att/busybox:1")
        defer { try? FileManager.default.removeItem(at: context) }
        let work = try Files.tempDirectory("attest-layout")
        defer { try? FileManager.default.removeItem(at: work) }
        let secretPath = context.appendingPathComponent("secret.txt").path
        let built = try await strata.run(["buildx", "build", "-q", "--provenance=true", "--sbom=true", "--build-arg", "FOO=bar",
                                          "--secret", "id=tok,src=\(secretPath)", "-t", "att/one:1", context.path])
        #expect(built.status == 0, "\(built)")
        let listed = try await strata.run(["images", "--format", "{{.Repository}}:{{.Tag}}"])
        #expect(listed.stdout.lines.filter { $0.hasPrefix("att/one") } == ["att/one:1"], "\(listed)")
        let inspected = try await strata.run(["inspect", "-f", "{{.Os}}/{{.Architecture}}", "att/one:1"])
        #expect(inspected.stdout == "linux/amd64\n", "\(inspected)")
        let ran = try await strata.run(["run", "--rm", "att/one:1", "cat", "/a"])
        #expect(ran.status == 0 && ran.stdout == "payload\n", "\(ran)")

        // save keeps the index whole.
        let saved = work.appendingPathComponent("saved").path
        #expect(try await strata.run(["save", "--format", "oci-dir", "-o", saved, "att/one:1"]).status == 0)
        let out = work.appendingPathComponent("predicates").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let summary = try await Self.check(["layout", saved, out])
        #expect(summary.attestations["linux/amd64"]?["predicates"] as? [String] == [Self.slsa, Self.spdx], "\(summary)")
        let provenanceText = try String(contentsOfFile: out + "/linux-amd64.provenance.json", encoding: .utf8)
        #expect(!provenanceText.contains(Self.secretValue) && !provenanceText.contains(secretPath))
        let provenance = try Self.json(out + "/linux-amd64.provenance.json")
        // min: no build arguments, no secret ids.
        let request = Self.requestParameters(provenance)
        #expect((request["args"] as? [String: String])?["build-arg:FOO"] == nil && request["secrets"] == nil, "\(request)")
        #expect(Self.dependencies(provenance).keys.contains("pkg:docker/att/busybox@1?platform=linux%2Famd64"), "\(provenance)")
        let validated = try await ProcessRunner.run(try Self.pyspdxtools(), ["-i", out + "/linux-amd64.sbom.json"])
        #expect(validated.status == 0, "\(validated)")

        // -o type=oci: the exported layout, read by attestation-check, oci-image-tool and skopeo.
        let tar = work.appendingPathComponent("oci.tar").path
        let exported = try await strata.run(["buildx", "build", "-q", "--attest", "type=provenance,mode=max", "--attest", "type=sbom",
                                             "-o", "type=oci,dest=\(tar)", context.path])
        #expect(exported.status == 0, "\(exported)")
        let layout = work.appendingPathComponent("layout").path
        try FileManager.default.createDirectory(atPath: layout, withIntermediateDirectories: true)
        #expect(try await ProcessRunner.run("/bin/tar", ["-xf", tar, "-C", layout]).status == 0)
        let exportedSummary = try await Self.check(["layout", layout, out])
        #expect(exportedSummary.attestations.count == 1 && exportedSummary.images.count == 1, "\(exportedSummary)")
        // oci-image-tool 1.0.0-rc1 predates artifacts: its `--type image` walk refuses any manifest whose layers are not
        // tar layers (BuildKit's attested layouts as much as these) and `--type imageLayout` is unimplemented, so it
        // checks the index and each image manifest against the image-spec schemas; skopeo reads the whole layout.
        if let validator = try MultiPlatformBuildTests.tool("oci-image-tool") {
            let index = try Self.json(layout + "/index.json")
            let indexDigest = try #require(((index["manifests"] as? [[String: Any]])?.first?["digest"] as? String))
            let indexCheck = try await ProcessRunner.run(validator, ["validate", "--type", "imageIndex",
                                                                     layout + "/blobs/sha256/" + indexDigest.dropFirst(7)])
            #expect(indexCheck.status == 0, "\(indexCheck)")
            for digest in exportedSummary.images.values {
                let manifestCheck = try await ProcessRunner.run(validator, ["validate", "--type", "manifest",
                                                                            layout + "/blobs/sha256/" + digest.dropFirst(7)])
                #expect(manifestCheck.status == 0, "\(manifestCheck)")
            }
        }
        let skopeo = try await Skopeo.run(["copy", "--all", "oci:\(layout)", "oci:\(work.path)/skopeo:1"])
        #expect(skopeo.status == 0, "\(skopeo)")
        // Exported to the client: nothing of it stays named in the store.
        #expect(try await strata.run(["images", "-q", "--filter", "dangling=true"]).stdout.isEmpty)

        // Removing the tag drops the index, the image and its attestations; the store checks green.
        #expect(try await strata.run(["rmi", "att/one:1"]).status == 0)
        let checked = try await strata.run(["system", "check"])
        #expect(checked.status == 0, "\(checked)")
    }

    @Test("bad attestation flags fail in one line before anything is built or stored")
    func badInput() async throws {
        let strata = try StrataRunner()
        let context = try Self.context(from: "scratch")
        defer { try? FileManager.default.removeItem(at: context) }
        let local = context.appendingPathComponent("out").path
        for (flags, words) in [(["--provenance=mode=bogus"], "bogus"), (["--attest", "type=nope"], "nope"),
                               (["--attest", "mode=max"], "type"), (["--sbom=generator=docker/scout-sbom-indexer"], "generator"),
                               (["--sbom=true", "-o", "type=local,dest=\(local)"], "type=local")] {
            let refused = try await strata.run(["buildx", "build", "-t", "att/bad:1"] + flags + [context.path])
            #expect(refused.status != 0 && refused.stderr.lines.count == 1 && refused.stderr.contains(words), "\(flags): \(refused)")
        }
        #expect(!FileManager.default.fileExists(atPath: local))
        #expect(try await strata.run(["images", "-a", "-q"]).stdout.isEmpty)
        // false spellings build a plain image, as before.
        let plain = try await strata.run(["buildx", "build", "-q", "--provenance=false", "--sbom=false", "-t", "att/plain:1", context.path])
        #expect(plain.status == 0, "\(plain)")
        let id = try await strata.run(["inspect", "-f", "{{.Id}}", "att/plain:1"])
        #expect(plain.stdout == id.stdout, "a plain build prints its image ID: \(plain) \(id)")
    }
}
