import Foundation
import Testing

/// Content trust (`DOCKER_CONTENT_TRUST=1` / `STRATA_CONTENT_TRUST=1`) under a containers-policy.json policy: pull,
/// run, build and copy take only what the policy admits, and a refused image leaves nothing in the store.
@Suite("trust enforcement", .enabled(if: RegistryFixture.shouldRun, "needs docker-registry"))
struct TrustEnforcementTests {
    @Test("signed images pass, unsigned and rejected ones leave nothing behind, --disable-content-trust turns it off")
    func enforcement() async throws {
        let w = try RegistryWorkspace()
        defer { w.remove() }
        try await RegistryFixture.with(.open) { registry in
            let env = ["STRATA_TRUST_PASSPHRASE": "pw"]
            let keys = w.path("keys")
            try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
            #expect(try await w.strata.run(["trust", "key", "generate", "k", "--dir", keys], environment: env).status == 0)
            let signed = "\(registry.host)/ct/app:signed", unsigned = "\(registry.host)/ct/app:unsigned"
            let blocked = "\(registry.host)/blocked/app:1"
            try await w.importBusybox(signed)
            try await w.importBusybox(unsigned, changes: ["ENV U=1"])
            try await w.importBusybox(blocked, changes: ["ENV B=1"])
            #expect(try await w.strata.run(["trust", "sign", signed], environment: env).status == 0)
            for name in [unsigned, blocked] { #expect(try await w.strata.run(["push", name]).status == 0) }
            let blockedDigest = try await Skopeo.manifestDigest("docker://\(blocked)")

            let policy = try w.file("policy.json", """
                {"default": [{"type": "insecureAcceptAnything"}],
                 "transports": {"docker": {
                   "\(registry.host)/ct": [{"type": "sigstoreSigned", "keyPath": "\(keys)/k.pub",
                                             "signedIdentity": {"type": "matchRepository"}}],
                   "\(registry.host)/blocked": [{"type": "reject"}]}}}
                """)
            let fresh = try RegistryWorkspace()
            defer { fresh.remove() }
            let trust = ["DOCKER_CONTENT_TRUST": "1"]
            func expectEmpty(sourceLocation: SourceLocation = #_sourceLocation) async throws {
                let images = try await fresh.strata.run(["images", "-q"])
                #expect(images.stdout.isEmpty, "\(images)", sourceLocation: sourceLocation)
                let blobs = (try? FileManager.default.contentsOfDirectory(atPath: fresh.strata.root.appendingPathComponent("blobs/sha256").path)) ?? []
                #expect(blobs.isEmpty, "\(blobs)", sourceLocation: sourceLocation)
            }

            let refusedPull = try await fresh.strata.run(["pull", "--signature-policy", policy, unsigned], environment: trust)
            #expect(refusedPull.status == 1 && refusedPull.stderr.contains("sigstoreSigned"), "\(refusedPull)")
            try await expectEmpty()
            let byDigest = try await fresh.strata.run(["pull", "--signature-policy", policy, "\(registry.host)/blocked/app@\(blockedDigest)"],
                                                      environment: ["STRATA_CONTENT_TRUST": "1"])
            #expect(byDigest.status == 1 && byDigest.stderr.contains("rejects"), "\(byDigest)")
            let run = try await fresh.strata.run(["run", "--rm", "--signature-policy", policy, unsigned, "true"], environment: trust)
            #expect(run.status != 0 && run.stderr.contains("sigstoreSigned"), "\(run)")
            let copy = try await fresh.strata.run(["copy", "--signature-policy", policy, "docker://\(unsigned)", "oci:\(fresh.path("layout")):1"],
                                                  environment: trust)
            #expect(copy.status == 1 && !FileManager.default.fileExists(atPath: fresh.path("layout/index.json")), "\(copy)")
            let context = fresh.path("ctx")
            try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
            try Data("FROM \(unsigned)\nRUN true\n".utf8).write(to: URL(fileURLWithPath: context + "/Dockerfile"))
            let build = try await fresh.strata.run(["build", "--signature-policy", policy, "-t", "x:1", context], environment: trust)
            #expect(build.status != 0 && build.stderr.contains("sigstoreSigned"), "\(build)")
            try await expectEmpty()
            try await fresh.expectCheckIsGreen()

            let admitted = try await fresh.strata.run(["pull", "--signature-policy", policy, signed], environment: trust)
            #expect(admitted.status == 0, "\(admitted)")
            let off = try await fresh.strata.run(["pull", "--disable-content-trust", "--signature-policy", policy, unsigned], environment: trust)
            #expect(off.status == 0, "\(off)")
            let unset = try await fresh.strata.run(["pull", "--signature-policy", policy, blocked])
            #expect(unset.status == 0, "content trust is off without the environment variable: \(unset)")
            let missingPolicy = try await fresh.strata.run(["pull", "--signature-policy", fresh.path("nope.json"), signed], environment: trust)
            #expect(missingPolicy.status == 1 && missingPolicy.stderr.contains("nope.json"), "\(missingPolicy)")
        }
    }
}
