import Foundation
import GRDB
import OCI

/// What `strata system check` found. Damage makes the command fail; notes (such as orphan blobs, which
/// a killed write may leave and `image prune` collects) do not.
public struct StoreCheckReport: Sendable {
    public var damage: [String] = []
    public var notes: [String] = []
    public var blobsVerified = 0
    public var imagesChecked = 0
    public var isHealthy: Bool { damage.isEmpty }
}

extension ImageStore {
    /// Verifies every blob digest, every image's manifest, config and layers (pending ones decoded and measured),
    /// every name, and SQLite itself.
    public func check() throws -> StoreCheckReport {
        var report = StoreCheckReport()
        let integrity = try database.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
        if integrity != ["ok"] { report.damage.append("metadata database: \(integrity.joined(separator: "; "))") }

        var present = Set<String>()
        for digest in blobs.allDigests() {
            do {
                if try blobs.verify(digest) { present.insert(digest.description) } else {
                    report.damage.append("blob \(digest): content does not match its digest")
                }
            } catch {
                report.damage.append("blob \(digest): \(error)")
            }
            report.blobsVerified += 1
        }

        let (images, layerRows, danglingNames) = try database.read { db in
            (try Self.loadImages(db, whereSQL: nil, arguments: []),
             try Row.fetchAll(db, sql: "SELECT blob_digest FROM layers").map { $0["blob_digest"] as String },
             try String.fetchAll(db, sql: """
                SELECT reference FROM tags WHERE image_id NOT IN (SELECT id FROM images)
                UNION ALL SELECT reference FROM repo_digests WHERE image_id NOT IN (SELECT id FROM images)
                """))
        }
        for name in danglingNames { report.damage.append("name \(name) points at a missing image") }
        // Pulled layers not used yet: decode them now, so a tar that lies about its diffID is found here too.
        for layer in try pendingLayers() where present.contains(layer.blobDigest.description) {
            do { _ = try measure(layer) } catch { report.damage.append("\(error)") }
        }
        for layer in layerRows where !present.contains(layer) { report.damage.append("layer blob \(layer) is missing") }

        var referenced = Set(layerRows)
        try checkDescriptors(present: present, referenced: &referenced, into: &report)
        for image in images {
            report.imagesChecked += 1
            referenced.insert(image.id.description)
            referenced.insert(image.manifestDigest.description)
            checkImage(image, present: present, into: &report)
        }
        // Manifests a killed process was writing: leftovers of that write, not signs of lost metadata.
        let interrupted = Set(try database.read { db in try String.fetchAll(db, sql: "SELECT digest FROM manifest_writes") })
        let orphans = present.subtracting(referenced)
        let recorded = try database.read { db in
            try Int.fetchOne(db, sql: """
                SELECT (SELECT COUNT(*) FROM images) + (SELECT COUNT(*) FROM build_cache) + (SELECT COUNT(*) FROM indexes)
                     + (SELECT COUNT(*) FROM artifacts)
                """) ?? 0
        }
        if recorded == 0 && orphans.subtracting(interrupted).contains(where: isManifest) {
            // Blobs with no metadata at all: most likely metadata.db was copied or restored without its -wal file.
            report.damage.append("metadata.db records no image, index, artifact or build cache, yet image manifests are among "
                                 + "\(present.count) stored blob(s): the metadata may be lost (a metadata.db restored without metadata.db-wal?); "
                                 + "`strata image prune` would delete them all")
        } else if !orphans.isEmpty {
            report.notes.append("\(orphans.count) blob(s) no image references (reclaimed by `strata image prune`)")
        }
        return report
    }

    /// Whether a stored blob is an image manifest or index (small JSON with `schemaVersion` and `config` or `manifests`).
    private func isManifest(_ digest: String) -> Bool {
        guard let parsed = try? Digest(digest), let size = blobs.size(of: parsed), size < 1 << 20,
              let data = try? blobs.read(parsed),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
        return object["schemaVersion"] != nil && (object["config"] != nil || object["manifests"] != nil)
    }

    /// Indexes, extra manifests and artifacts: their blobs present, names pointing at indexes that exist, every
    /// artifact's blobs present. An index entry the store lacks is a note (a partial copy is allowed).
    private func checkDescriptors(present: Set<String>, referenced: inout Set<String>, into report: inout StoreCheckReport) throws {
        let (manifests, indexes, artifactBlobs, badTargets) = try database.read { db in
            (try String.fetchAll(db, sql: "SELECT digest FROM image_manifests UNION ALL SELECT digest FROM artifacts"),
             try String.fetchAll(db, sql: "SELECT digest FROM indexes"),
             try String.fetchAll(db, sql: "SELECT blob_digest FROM artifact_blobs"),
             try String.fetchAll(db, sql: """
                SELECT reference FROM tags WHERE target IS NOT NULL AND target NOT IN (SELECT digest FROM indexes)
                UNION ALL SELECT reference FROM repo_digests WHERE target IS NOT NULL AND target NOT IN (SELECT digest FROM indexes)
                """))
        }
        for name in badTargets { report.damage.append("name \(name) points at a missing index") }
        for digest in manifests + indexes + artifactBlobs where !present.contains(digest) {
            report.damage.append("blob \(digest) is recorded but missing")
        }
        referenced.formUnion(manifests + indexes + artifactBlobs)
        for index in try self.indexes() {
            let missing = index.entries.filter { $0.imageID == nil }.count
            if missing > 0 { report.notes.append("index \(index.digest): \(missing) of \(index.entries.count) platform(s) not stored") }
        }
    }

    private func checkImage(_ image: StoredImage, present: Set<String>, into report: inout StoreCheckReport) {
        let label = "image \(image.id.shortID)"
        guard present.contains(image.id.description) else {
            report.damage.append("\(label): config blob is missing"); return
        }
        guard present.contains(image.manifestDigest.description) else {
            report.damage.append("\(label): manifest blob \(image.manifestDigest) is missing"); return
        }
        guard let layers = try? layers(of: image.id),
              let manifestData = try? blobs.read(image.manifestDigest),
              let configData = try? blobs.read(image.id),
              let manifest = (try? JSONSerialization.jsonObject(with: manifestData)) as? [String: Any],
              let config = (try? JSONSerialization.jsonObject(with: configData)) as? [String: Any] else {
            report.damage.append("\(label): manifest or config cannot be read"); return
        }
        let configDigest = (manifest["config"] as? [String: Any])?["digest"] as? String
        if configDigest != image.id.description {
            report.damage.append("\(label): manifest names config \(configDigest ?? "none")")
        }
        let manifestLayers = (manifest["layers"] as? [[String: Any]] ?? []).compactMap { $0["digest"] as? String }
        if manifestLayers != layers.map(\.blobDigest.description) {
            report.damage.append("\(label): manifest layers differ from the recorded layers")
        }
        let diffIDs = ((config["rootfs"] as? [String: Any])?["diff_ids"] as? [String]) ?? []
        if diffIDs != layers.map(\.diffID.description) {
            report.damage.append("\(label): config diff_ids differ from the recorded layers")
        }
    }
}
