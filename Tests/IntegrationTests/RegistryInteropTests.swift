import Foundation
import Testing

/// Images pushed by Strata read back by skopeo and docker 20.10, images pushed by docker pulled by Strata, and a
/// multi-platform index pushed by `skopeo copy --all`: image IDs and manifest digests must agree everywhere.
@Suite("registry interop", .enabled(if: RegistryFixture.shouldRun, "needs docker-registry, skopeo, umoci (see RegistryFixture)"))
struct RegistryInteropTests {
    /// `<tag>: digest: sha256:… size: N` → the digest.
    static func pushedDigest(_ output: String) -> String? {
        output.lines.compactMap { $0.firstMatch(of: /: digest: (sha256:[0-9a-f]{64}) size: \d+$/).map { String($0.1) } }.last
    }

    @Test("strata push, then skopeo (into an OCI layout) and docker pull see the same image ID and manifest digest",
          .enabled(if: DockerPeer.shouldRun))
    func pushedByStrata() async throws {
        let w = try RegistryWorkspace()
        defer { w.remove() }
        let docker = try DockerPeer.require()
        try await RegistryFixture.with(.open) { registry in
            let repository = "\(registry.host)/interop/from-strata"
            let reference = "\(repository):v1"
            let id = try await w.importBusybox(reference)
            let push = try await w.strata.run(["push", reference])
            #expect(push.status == 0, "\(push)")
            let digest = try #require(Self.pushedDigest(push.stdout), "\(push)")
            #expect(try await w.idAndDigests(reference) == "\(id) [\(repository)@\(digest)]")

            #expect(try await Skopeo.manifestDigest("docker://\(reference)") == digest)
            let layout = w.path("skopeo-layout")
            let copied = try await Skopeo.run(["--insecure-policy", "copy", "--src-tls-verify=false", "docker://\(reference)", "oci:\(layout):v1"])
            #expect(copied.status == 0, "\(copied)")
            #expect(try await Skopeo.configDigest("oci:\(layout):v1") == id, "skopeo's copy keeps the config blob")

            let pulled = try await docker.run(["pull", reference])
            #expect(pulled.status == 0, "\(pulled)")
            #expect(pulled.stdout.contains("Digest: \(digest)"), "\(pulled)")
            let seen = try await docker.run(["inspect", "--format", "{{.Id}} {{.RepoDigests}}", reference])
            #expect(seen.stdout.trimmingCharacters(in: .newlines) == "\(id) [\(repository)@\(digest)]", "\(seen)")
            await docker.remove([reference])
        }
    }

    @Test("docker push, then strata pull: same image ID and RepoDigest as docker's, store check green",
          .enabled(if: DockerPeer.shouldRun))
    func pushedByDocker() async throws {
        let w = try RegistryWorkspace()
        defer { w.remove() }
        let docker = try DockerPeer.require()
        try await RegistryFixture.with(.open) { registry in
            let reference = "\(registry.host)/interop/from-docker:v1"
            try await docker.importImage(try Files.busyboxRootfs(), reference, changes: ["ENV FROM=docker"])
            let pushed = try await docker.run(["push", reference])
            #expect(pushed.status == 0, "\(pushed)")
            // Size too: strata decodes the pulled layer only when asked (here by inspect), docker during its pull.
            let format = "{{.Id}} {{.RepoDigests}} {{.Size}}"
            let dockerView = try await docker.run(["inspect", "--format", format, reference])
            await docker.remove([reference])

            let pull = try await w.strata.run(["pull", reference])
            #expect(pull.status == 0, "\(pull)")
            #expect(try await w.strata.run(["inspect", "--format", format, reference]).stdout == dockerView.stdout)
            #expect(try await w.strata.run(["inspect", "--format", "{{.Config.Env}}", reference]).stdout.contains("FROM=docker"))
            try await w.expectCheckIsGreen()
        }
    }

    @Test("multi-platform index from skopeo copy --all: --platform picks the manifest, RepoDigest is the index digest")
    func multiPlatformIndex() async throws {
        let w = try RegistryWorkspace()
        defer { w.remove() }
        let built = try await MultiPlatformLayout.make(in: w.directory)
        try await RegistryFixture.with(.open) { registry in
            let repository = "\(registry.host)/interop/multi"
            let copied = try await Skopeo.run([
                "--insecure-policy", "copy", "--all", "--preserve-digests", "--dest-tls-verify=false",
                "oci:\(built.layout):\(built.tag)", "docker://\(repository):latest",
            ])
            #expect(copied.status == 0, "\(copied)")
            #expect(try await Skopeo.manifestDigest("docker://\(repository):latest") == built.indexDigest)
            let arm = try #require(built.imageIDs["linux/arm64/v8"])
            let amd = try #require(built.imageIDs["linux/amd64"])

            let armPull = try await w.strata.run(["pull", "--platform", "linux/arm64", repository])
            #expect(armPull.status == 0, "\(armPull)")
            #expect(armPull.stdout.contains("Digest: \(built.indexDigest)"), "\(armPull)")
            #expect(try await w.idAndDigests(repository) == "\(arm) [\(repository)@\(built.indexDigest)]")

            // A second store: the default platform (this host, linux/amd64) from scratch.
            let other = try RegistryWorkspace()
            defer { other.remove() }
            let amdPull = try await other.strata.run(["pull", repository])
            #expect(amdPull.status == 0, "\(amdPull)")
            #expect(try await other.idAndDigests(repository) == "\(amd) [\(repository)@\(built.indexDigest)]")

            // The same store again, now for the host platform: docker re-resolves the index and retags.
            let switched = try await w.strata.run(["pull", repository])
            #expect(switched.status == 0, "\(switched)")
            #expect(try await w.idAndDigests(repository).hasPrefix(amd), "\(switched)")
            try await w.expectCheckIsGreen()
        }
    }
}
