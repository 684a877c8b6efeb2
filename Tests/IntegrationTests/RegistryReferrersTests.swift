import Foundation
import Testing

/// `copy --referrers` against distribution 2.8 (no referrers API: the sha256-<hex> tag schema), with an independent
/// client written from the distribution spec (Fixtures/referrers-client.py) attaching and listing the artifacts.
@Suite("registry referrers", .enabled(if: RegistryFixture.shouldRun, "needs docker-registry (see RegistryFixture)"))
struct RegistryReferrersTests {
    static let client = RegistryFixture.fixturesDirectory.appendingPathComponent("referrers-client.py").path

    static func python(_ arguments: [String]) async throws -> [String] {
        let result = try await ProcessRunner.run("/usr/bin/python3", [client] + arguments)
        guard result.status == 0 else { throw FixtureError("referrers-client.py \(arguments.first ?? ""): \(result)") }
        return result.stdout.lines
    }

    @Test("artifacts attached by another client travel registry -> store -> registry with their digests")
    func referrersRoundTrip() async throws {
        let w = try RegistryWorkspace()
        defer { w.remove() }
        try await RegistryFixture.with(.open) { registry in
            let tar = w.path("layer.tar")
            let made = try await ProcessRunner.run("/bin/sh", ["-c", "mkdir -p \"$1/t\" && echo signed > \"$1/t/f\" && tar -C \"$1/t\" -cf \"$2\" .",
                                                               "sh", w.directory.path, tar])
            #expect(made.status == 0, "\(made)")
            let name = "\(registry.host)/ref/app:1"
            try await w.strata.importImage(tar, name)
            let pushed = try await w.strata.run(["push", name])
            #expect(pushed.status == 0, "\(pushed)")
            let subject = try await Skopeo.manifestDigest("docker://\(name)")
            let raw = try await Skopeo.run(["inspect", "--raw", "--tls-verify=false", "docker://\(name)"])
            let size = String(raw.stdout.utf8.count)
            let signature = try await Self.python(["attach", registry.host, "ref/app", subject, "application/vnd.oci.image.manifest.v1+json",
                                                   size, "application/vnd.example.signature", "sig-1"])
            let sbom = try await Self.python(["attach", registry.host, "ref/app", subject, "application/vnd.oci.image.manifest.v1+json",
                                              size, "application/spdx+json", "sbom-1"])
            let attached = Set(signature + sbom)
            #expect(attached.count == 2)

            // Into a fresh store with the image.
            let fresh = try RegistryWorkspace()
            defer { fresh.remove() }
            let pulled = try await fresh.strata.run(["copy", "--referrers", "docker://\(name)", "strata:ref/app:1"])
            #expect(pulled.status == 0, "\(pulled)")
            let reported = Set(pulled.stderr.lines.filter { $0.hasPrefix("Copied referrer ") }.map { $0.split(separator: " ")[2] }.map(String.init))
            #expect(reported == attached, "\(pulled)")
            // A prune keeps them, and the store checks green.
            let pruned = try await fresh.strata.run(["image", "prune", "-f"])
            #expect(pruned.status == 0, "\(pruned)")
            try await fresh.expectCheckIsGreen()

            // Out of the store into another repository: the independent client finds both, by the tag schema.
            let copied = try await fresh.strata.run(["copy", "--referrers", "strata:ref/app:1", "docker://\(registry.host)/ref/copy:1"])
            #expect(copied.status == 0, "\(copied)")
            let listed = try await Self.python(["list", registry.host, "ref/copy", subject])
            #expect(Set(listed.map { String($0.split(separator: " ")[0]) }) == attached, "\(listed)")
            #expect(Set(listed.map { String($0.split(separator: " ")[1]) }) == ["application/vnd.example.signature", "application/spdx+json"])

            // Copying again sends nothing new and keeps one entry per artifact.
            let again = try await fresh.strata.run(["copy", "--referrers", "strata:ref/app:1", "docker://\(registry.host)/ref/copy:1"])
            #expect(again.status == 0, "\(again)")
            #expect(try await Self.python(["list", registry.host, "ref/copy", subject]).count == 2)

            // A transport that cannot carry referrers says so.
            let layout = w.path("layout")
            let refused = try await fresh.strata.run(["copy", "--referrers", "strata:ref/app:1", "oci:\(layout):x"])
            #expect(refused.status != 0 && refused.stderr.contains("referrers"), "\(refused)")
        }
    }
}
