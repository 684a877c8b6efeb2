import Foundation
import Testing

/// `strata copy` between registries, OCI layouts, OCI archives, docker archives and the store, checked with
/// skopeo and docker 20.10: manifests travel byte for byte, so digests are the same at both registry ends.
@Suite("registry copy", .enabled(if: RegistryFixture.shouldRun, "needs docker-registry, skopeo, umoci (see RegistryFixture)"))
struct RegistryCopyTests {
    @Test("docker:// → oci:DIR:tag → oci-archive: → docker://other keeps the OCI manifest digest; into the store; docker-archive loads in docker")
    func chain() async throws {
        let w = try RegistryWorkspace()
        defer { w.remove() }
        let built = try await MultiPlatformLayout.make(in: w.directory)
        let id = try #require(built.imageIDs["linux/amd64"])
        try await RegistryFixture.with(.open) { registry in
            let source = "docker://\(registry.host)/copy/src:v1"
            // skopeo without --all picks this host's (amd64) OCI manifest from the index.
            let seeded = try await Skopeo.run(["--insecure-policy", "copy", "--preserve-digests", "--dest-tls-verify=false",
                                               "oci:\(built.layout):\(built.tag)", source])
            #expect(seeded.status == 0, "\(seeded)")
            let digest = try await Skopeo.manifestDigest(source)

            let layout = w.path("copied-layout")
            let toLayout = try await w.strata.run(["copy", source, "oci:\(layout):v1"])
            #expect(toLayout.status == 0, "\(toLayout)")
            let inspected = try await Skopeo.run(["inspect", "oci:\(layout):v1"])
            #expect(inspected.status == 0, "skopeo reads the layout: \(inspected)")
            #expect(try await Skopeo.manifestDigest("oci:\(layout):v1") == digest)

            let archive = w.path("copied.oci.tar")
            let toArchive = try await w.strata.run(["copy", "oci:\(layout):v1", "oci-archive:\(archive):v1"])
            #expect(toArchive.status == 0, "\(toArchive)")
            let other = "docker://\(registry.host)/copy/other:v2"
            let toRegistry = try await w.strata.run(["copy", "oci-archive:\(archive):v1", other])
            #expect(toRegistry.status == 0, "\(toRegistry)")
            #expect(try await Skopeo.manifestDigest(other) == digest, "the manifest digest survives the round trip")
            #expect(try await Skopeo.configDigest(other) == id)

            let name = "strata-it/copied-\(UUID().uuidString.prefix(6).lowercased())"
            let intoStore = try await w.strata.run(["copy", source, "\(name):copied"])
            #expect(intoStore.status == 0, "\(intoStore)")
            let images = try await w.strata.run(["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"])
            #expect(images.stdout.lines == ["\(name):copied \(id.dropFirst(7).prefix(12))"], "\(images)")

            let dockerArchive = w.path("copied.docker.tar")
            let toDockerArchive = try await w.strata.run(["copy", "\(name):copied", "docker-archive:\(dockerArchive):\(name):copied"])
            #expect(toDockerArchive.status == 0, "\(toDockerArchive)")
            if DockerPeer.shouldRun {
                let docker = try DockerPeer.require()
                let loaded = try await docker.run(["load", "-i", dockerArchive])
                #expect(loaded.status == 0 && loaded.stdout == "Loaded image: \(name):copied\n", "\(loaded)")
                let seen = try await docker.run(["inspect", "--format", "{{.Id}}", "\(name):copied"])
                #expect(seen.stdout == id + "\n", "\(seen)")
                await docker.remove(["\(name):copied"])
            }
            try await w.expectCheckIsGreen()
        }
    }

    @Test("a Docker schema 2 image: registry to registry keeps the digest; through an OCI layout the image ID survives")
    func dockerSchema2() async throws {
        let w = try RegistryWorkspace()
        defer { w.remove() }
        try await RegistryFixture.with(.open) { registry in
            let reference = "\(registry.host)/copy/v2s2:v1"
            let id = try await w.importBusybox(reference)
            #expect(try await w.strata.run(["push", reference]).status == 0)
            let digest = try await Skopeo.manifestDigest("docker://\(reference)")

            let copy = "docker://\(registry.host)/copy/v2s2-copy:v1"
            let direct = try await w.strata.run(["copy", "docker://\(reference)", copy])
            #expect(direct.status == 0, "\(direct)")
            #expect(try await Skopeo.manifestDigest(copy) == digest)

            let layout = w.path("v2s2-layout")
            #expect(try await w.strata.run(["copy", "docker://\(reference)", "oci:\(layout):v1"]).status == 0)
            #expect(try await Skopeo.configDigest("oci:\(layout):v1") == id)
            let back = "docker://\(registry.host)/copy/v2s2-back:v1"
            #expect(try await w.strata.run(["copy", "oci:\(layout):v1", back]).status == 0)
            #expect(try await Skopeo.configDigest(back) == id)
        }
    }
}
