import Foundation
import Testing

/// `strata pull` proves every blob digest and leaves decoding the layer tars to first use. An image whose layer
/// is a well-formed blob but not the tar its config's diffID names (skopeo pushes such an image without looking)
/// must then never be unpacked or run, must be reported by the listing and `system check`, and must go with `rmi`.
@Suite("registry: layers proven on first use", .enabled(if: RegistryFixture.shouldRun, "needs docker-registry and skopeo"))
struct RegistryPendingLayerTests {
    /// An OCI layout whose one gzip layer holds `evil.txt` while the config claims the diffID of a tar of `good.txt`.
    static func lyingLayout(in directory: URL) async throws -> String {
        let layout = try HandMadeLayout(at: directory.appendingPathComponent("liar-layout"))
        let writeBlob = layout.writeBlob, json = HandMadeLayout.json

        let tree = directory.appendingPathComponent("liar-tree")
        try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
        try Data("evil\n".utf8).write(to: tree.appendingPathComponent("evil.txt"))
        try Data("good\n".utf8).write(to: tree.appendingPathComponent("good.txt"))
        let evil = directory.appendingPathComponent("evil.tar").path, good = directory.appendingPathComponent("good.tar").path
        let made = try await ProcessRunner.run("/bin/sh", ["-c", """
            tar --numeric-owner --mtime=@0 -C "$1" -cf "$2" evil.txt && tar --numeric-owner --mtime=@0 -C "$1" -cf "$3" good.txt \
            && gzip -n -k "$2"
            """, "sh", tree.path, evil, good])
        guard made.status == 0 else { throw FixtureError("tar/gzip failed: \(made)") }
        let claimed = try await Files.sha256(good)
        let layer = try await writeBlob(try Data(contentsOf: URL(fileURLWithPath: evil + ".gz")))
        let config = try await writeBlob(try json([
            "os": "linux", "architecture": "amd64", "created": "2024-01-01T00:00:00Z",
            "config": ["Cmd": ["/bin/sh"]], "rootfs": ["type": "layers", "diff_ids": [claimed]],
        ] as [String: Any]))
        let manifest = try await writeBlob(try json([
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": ["mediaType": "application/vnd.oci.image.config.v1+json", "digest": config.digest, "size": config.size],
            "layers": [["mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer.digest, "size": layer.size]],
        ] as [String: Any]))
        try layout.writeIndexJSON(tag: "liar", mediaType: "application/vnd.oci.image.manifest.v1+json", digest: manifest.digest,
                                  size: manifest.size)
        return layout.root.path
    }

    @Test("a layer whose tar is not its claimed diffID: never unpacked or run, reported by images and check, removable")
    func lyingLayer() async throws {
        let w = try RegistryWorkspace()
        defer { w.remove() }
        let layout = try await Self.lyingLayout(in: w.directory)
        try await RegistryFixture.with(.open) { registry in
            let reference = "\(registry.host)/pending/liar:1"
            let pushed = try await Skopeo.run(["copy", "-q", "--dest-tls-verify=false", "oci:\(layout):liar", "docker://\(reference)"])
            #expect(pushed.status == 0, "\(pushed)")

            // Every byte is what the manifest names, so the pull itself succeeds.
            let pull = try await w.strata.run(["pull", "-q", reference])
            #expect(pull.status == 0, "\(pull)")

            let unpack = try await w.strata.run(["image", "unpack", reference, w.path("rootfs")])
            #expect(unpack.status != 0, "\(unpack)")
            #expect(unpack.stderr.lines.count == 1 && unpack.stderr.contains("does not match its image"), "\(unpack.stderr)")
            #expect(!FileManager.default.fileExists(atPath: w.path("rootfs")), "a failed unpack leaves nothing behind")

            let run = try await w.strata.run(["run", "--rm", reference, "/bin/sh"])
            #expect(run.status != 0 && run.stderr.contains("does not match its image"), "\(run)")
            let snapshots = (try? FileManager.default.contentsOfDirectory(atPath: w.strata.root.path + "/snapshots")) ?? []
            #expect(snapshots.allSatisfy { $0 == "layers" }, "no snapshot may be made from it: \(snapshots)")

            let images = try await w.strata.run(["images", "--format", "{{.Repository}} {{.Size}}"])
            #expect(images.status == 0 && images.stdout == "\(registry.host)/pending/liar 0B\n", "\(images)")
            #expect(images.stderr.contains("WARNING: layer sha256:") && images.stderr.contains("does not match its image"), "\(images)")

            let check = try await w.strata.run(["system", "check"])
            #expect(check.status == 1 && check.stderr.contains("does not match its image"), "\(check)")
            #expect(try await w.strata.run(["rmi", reference]).status == 0)
            try await w.expectCheckIsGreen()
        }
    }
}
