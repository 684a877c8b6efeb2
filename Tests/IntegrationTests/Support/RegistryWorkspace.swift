import Foundation
import Testing

/// One registry test's private world: a strata store (its own --root), a DOCKER_CONFIG directory for logins
/// and an empty XDG config home (so no user-level Strata settings leak in), all removed by `remove()`.
final class RegistryWorkspace: Sendable {
    let directory: URL
    let strata: StrataRunner
    var dockerConfig: URL { directory.appendingPathComponent("docker-config") }
    var configFile: String { dockerConfig.appendingPathComponent("config.json").path }

    init() throws {
        try RegistryFixture.requireTools()
        directory = try Files.tempDirectory("regws")
        let dockerConfig = directory.appendingPathComponent("docker-config")
        try FileManager.default.createDirectory(at: dockerConfig, withIntermediateDirectories: true)
        let xdg = directory.appendingPathComponent("xdg")
        try FileManager.default.createDirectory(at: xdg, withIntermediateDirectories: true)
        strata = try StrataRunner(environment: ["DOCKER_CONFIG": dockerConfig.path, "XDG_CONFIG_HOME": xdg.path])
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// A path inside the workspace.
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Writes `text` to a file in the workspace (e.g. a password for --password-stdin) and returns its path.
    func file(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// Imports the busybox rootfs as `reference` and returns the image ID.
    @discardableResult
    func importBusybox(_ reference: String, changes: [String] = []) async throws -> String {
        try await strata.importImage(try Files.busyboxRootfs(), reference, changes: changes)
    }

    /// `strata inspect --format '{{.Id}} {{.RepoDigests}}' reference`, trimmed ("" when it fails).
    func idAndDigests(_ reference: String) async throws -> String {
        try await strata.run(["inspect", "--format", "{{.Id}} {{.RepoDigests}}", reference]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Fails the test unless `strata system check` exits 0.
    func expectCheckIsGreen(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let check = try await strata.run(["system", "check"])
        #expect(check.status == 0, "system check: \(check)", sourceLocation: sourceLocation)
    }
}

/// skopeo 1.9 from Debian, the independent client the registry tests check Strata against.
enum Skopeo {
    @discardableResult
    static func run(_ args: [String]) async throws -> CommandResult {
        try await ProcessRunner.run("/usr/bin/skopeo", args, environment: TestEnvironment.processEnvironment)
    }

    /// sha256 of the raw manifest the registry serves for `reference` (docker://… or oci:…).
    static func manifestDigest(_ reference: String) async throws -> String {
        let args = reference.hasPrefix("docker://") ? ["inspect", "--raw", "--tls-verify=false", reference] : ["inspect", "--raw", reference]
        let r = try await ProcessRunner.run("/bin/sh", ["-c", "skopeo \"$@\" | sha256sum", "sh"] + args,
                                            environment: TestEnvironment.processEnvironment)
        guard r.status == 0, let hex = r.stdout.split(separator: " ").first, hex.count == 64,
              hex != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" else {
            throw FixtureError("skopeo inspect --raw \(reference) failed: \(r)")
        }
        return "sha256:\(hex)"
    }

    /// The config digest (the image ID) that `skopeo inspect --config` finds, via the manifest.
    static func configDigest(_ reference: String) async throws -> String {
        var args = ["inspect", "--raw"]
        if reference.hasPrefix("docker://") { args.append("--tls-verify=false") }
        let r = try await run(args + [reference])
        guard r.status == 0,
              let manifest = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any],
              let config = manifest["config"] as? [String: Any], let digest = config["digest"] as? String else {
            throw FixtureError("no config in the manifest of \(reference): \(r)")
        }
        return digest
    }
}

/// An OCI layout written by hand, for images no tool would make (several platforms, a lying diffID).
struct HandMadeLayout {
    let root: URL

    init(at root: URL) throws {
        self.root = root
        try FileManager.default.createDirectory(at: root.appendingPathComponent("blobs/sha256"), withIntermediateDirectories: true)
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: root.appendingPathComponent("oci-layout"))
    }

    func writeBlob(_ data: Data) async throws -> (digest: String, size: Int) {
        let blobs = root.appendingPathComponent("blobs/sha256")
        let temp = blobs.appendingPathComponent("tmp-\(UUID().uuidString)")
        try data.write(to: temp)
        let digest = try await Files.sha256(temp.path)
        let target = blobs.appendingPathComponent(String(digest.dropFirst("sha256:".count)))
        try? FileManager.default.removeItem(at: target)
        try FileManager.default.moveItem(at: temp, to: target)
        return (digest, data.count)
    }

    static func json(_ object: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    /// index.json naming one manifest or index as `tag`.
    func writeIndexJSON(tag: String, mediaType: String, digest: String, size: Int) throws {
        try Self.json([
            "schemaVersion": 2, "manifests": [[
                "mediaType": mediaType, "digest": digest, "size": size,
                "annotations": ["org.opencontainers.image.ref.name": tag],
            ] as [String: Any]],
        ] as [String: Any]).write(to: root.appendingPathComponent("index.json"))
    }
}

/// Builds a two-platform OCI layout by hand (linux/amd64 and linux/arm64/v8, one tiny layer each), so the
/// multi-arch tests need no foreign-architecture base image.
enum MultiPlatformLayout {
    struct Built {
        let layout: String
        /// The tag of the index inside the layout (`oci:<layout>:<tag>`).
        let tag: String
        let indexDigest: String
        /// Config digests (image IDs) by "os/arch[/variant]".
        let imageIDs: [String: String]
    }

    static func make(in directory: URL) async throws -> Built {
        let written = try HandMadeLayout(at: directory.appendingPathComponent("multi-layout"))
        let layout = written.root
        let writeBlob = written.writeBlob, json = HandMadeLayout.json

        var manifests: [[String: Any]] = []
        var ids: [String: String] = [:]
        for (arch, variant) in [("amd64", nil), ("arm64", "v8")] as [(String, String?)] {
            let tree = directory.appendingPathComponent("tree-\(arch)")
            try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
            try Data("built for \(arch)\n".utf8).write(to: tree.appendingPathComponent("arch.txt"))
            let tar = directory.appendingPathComponent("layer-\(arch).tar").path
            let made = try await ProcessRunner.run("/bin/sh", ["-c", "tar --numeric-owner --mtime=@0 -C \"$1\" -cf \"$2\" arch.txt && gzip -n -k \"$2\"", "sh", tree.path, tar])
            guard made.status == 0 else { throw FixtureError("tar/gzip failed: \(made)") }
            let diffID = try await Files.sha256(tar)
            let layer = try await writeBlob(try Data(contentsOf: URL(fileURLWithPath: tar + ".gz")))
            var platform: [String: Any] = ["os": "linux", "architecture": arch]
            if let variant { platform["variant"] = variant }
            var config: [String: Any] = [
                "os": "linux", "architecture": arch, "created": "2024-01-01T00:00:00Z",
                "config": ["Cmd": ["/bin/sh"]], "rootfs": ["type": "layers", "diff_ids": [diffID]],
            ]
            if let variant { config["variant"] = variant }
            let configBlob = try await writeBlob(try json(config))
            let manifest = try await writeBlob(try json([
                "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": ["mediaType": "application/vnd.oci.image.config.v1+json", "digest": configBlob.digest, "size": configBlob.size],
                "layers": [["mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer.digest, "size": layer.size]],
            ] as [String: Any]))
            manifests.append(["mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest.digest,
                              "size": manifest.size, "platform": platform])
            ids[variant.map { "linux/\(arch)/\($0)" } ?? "linux/\(arch)"] = configBlob.digest
        }
        let index = try await writeBlob(try json([
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests,
        ] as [String: Any]))
        let tag = "multi"
        try written.writeIndexJSON(tag: tag, mediaType: "application/vnd.oci.image.index.v1+json", digest: index.digest,
                                   size: index.size)
        return Built(layout: layout.path, tag: tag, indexDigest: index.digest, imageIDs: ids)
    }
}

extension String {
    /// Lines without the trailing empty one.
    var lines: [String] { split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty } }
}
