import Foundation
import OCI

/// What a built image is made of, as far as the build oracle compares it.
struct ImageSnapshot: Sendable {
    var tree: ImageTree
    /// The image config blob (docker-archive's Config file), as JSON.
    var configJSON: Data
    /// Entries in the archive manifest's Layers list.
    var layerCount: Int
}

/// Turns a docker-archive tar (`docker save` / `strata save`) into an `ImageSnapshot`.
///
/// The root filesystem is unpacked by skopeo (docker-archive → OCI layout) and umoci (layers in order,
/// whiteouts and opaque directories honoured, owners/modes/mtimes/hard links kept, no path escaping the
/// bundle): independent tools, and the same path for both builders, so neither side is judged by code
/// under test. Needs root, skopeo and umoci (scripts/peers-up installs them).
enum ImageTreeReader {
    static let skopeo = "/usr/bin/skopeo"
    static let umoci = "/usr/bin/umoci"

    /// `find -printf` format matching `ImageTree.parse(findOutput:)`.
    static let findFormat = "%P\\0%y\\0%m\\0%U\\0%G\\0%s\\0%T@\\0%l\\0%i\\0%n\\0"

    static func snapshot(archive: String, scratch: URL) async throws -> ImageSnapshot {
        let fm = FileManager.default
        try fm.createDirectory(at: scratch, withIntermediateDirectories: true)
        let meta = scratch.appendingPathComponent("meta")
        try fm.createDirectory(at: meta, withIntermediateDirectories: true)
        let list = try await ProcessRunner.run("/bin/tar", ["-xf", archive, "-C", meta.path, "manifest.json"])
        guard list.status == 0 else { throw FixtureError("no manifest.json in \(archive): \(list)") }
        let manifestData = try Data(contentsOf: meta.appendingPathComponent("manifest.json"))
        guard let manifests = try JSONSerialization.jsonObject(with: manifestData) as? [[String: Any]],
              manifests.count == 1, let configName = manifests[0]["Config"] as? String,
              let layers = manifests[0]["Layers"] as? [String] else {
            throw FixtureError("unexpected manifest.json in \(archive): \(String(decoding: manifestData, as: UTF8.self))")
        }
        let getConfig = try await ProcessRunner.run("/bin/tar", ["-xf", archive, "-C", meta.path, configName])
        guard getConfig.status == 0 else { throw FixtureError("no \(configName) in \(archive): \(getConfig)") }
        let config = try Data(contentsOf: meta.appendingPathComponent(configName))

        let layout = scratch.appendingPathComponent("oci").path
        let bundle = scratch.appendingPathComponent("bundle").path
        let copy = try await ProcessRunner.run(skopeo, ["copy", "-q", "docker-archive:\(archive)", "oci:\(layout):t"],
                                               timeout: .seconds(600))
        guard copy.status == 0 else { throw FixtureError("skopeo copy of \(archive) failed: \(copy)") }
        let unpack = try await ProcessRunner.run(umoci, ["unpack", "--image", "\(layout):t", bundle], timeout: .seconds(600))
        guard unpack.status == 0 else { throw FixtureError("umoci unpack of \(archive) failed: \(unpack)") }
        _ = try? fm.removeItem(atPath: layout)
        let tree = try await read(rootfs: bundle + "/rootfs")
        return ImageSnapshot(tree: tree, configJSON: config, layerCount: layers.count)
    }

    /// The canonical tree of an unpacked root filesystem (the root directory itself excluded).
    static func read(rootfs: String) async throws -> ImageTree {
        let listing = try await ProcessRunner.run(
            "/bin/sh", ["-c", "cd \"$1\" && exec find . -mindepth 1 -printf \"$2\"", "sh", rootfs, findFormat],
            timeout: .seconds(300))
        guard listing.status == 0 else { throw FixtureError("find in \(rootfs) failed: \(listing)") }
        var entries = try ImageTree.parse(findOutput: listing.stdout)
        for index in entries.indices {
            let full = rootfs + entries[index].path
            switch entries[index].kind {
            case .file:
                let data = try Data(contentsOf: URL(fileURLWithPath: full), options: .alwaysMapped)
                entries[index].sha256 = Digest.sha256(data).encoded
            case .characterDevice, .blockDevice:
                let stat = try await ProcessRunner.run("/usr/bin/stat", ["-c", "%t:%T", full])
                entries[index].device = stat.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            default:
                break
            }
        }
        return ImageTree(entries)
    }
}
