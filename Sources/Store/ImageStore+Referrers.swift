import Foundation
import GRDB
import OCI

/// Artifacts that refer to a subject (signatures, SBOMs, attestations: OCI 1.1 manifests with `subject`), kept as
/// long as their subject is, and listed as its referrers the way a registry's referrers API lists them.
extension ImageStore {
    /// Records an artifact manifest whose blobs (config and layers) are already in the store. Its subject (an image
    /// manifest, an index or another artifact) must be stored too: an artifact lives as long as its subject.
    @discardableResult
    public func commitArtifact(_ data: Data, mediaType: String) throws -> Descriptor {
        let manifest: ImageManifest
        do { manifest = try JSONDecoder().decode(ImageManifest.self, from: data) } catch {
            throw StoreError.invalid("invalid artifact manifest: \(error)")
        }
        guard let subject = manifest.subject else { throw StoreError.invalid("artifact manifest has no subject") }
        let blobDigests = [manifest.config.digest] + manifest.layers.map(\.digest)
        for blob in blobDigests where !blobs.contains(blob) { throw StoreError.blobMissing(blob.description) }
        let digest = try writeManifestBlob(data)
        let artifactType = manifest.artifactType ?? manifest.config.mediaType
        let annotations = try JSONSerialization.data(withJSONObject: manifest.annotations ?? [:], options: [.sortedKeys])
        try database.write { db in
            guard try Self.isStored(db, subject.digest) else {
                throw StoreError.noSuchImage(subject.digest.description)
            }
            try db.execute(sql: """
                INSERT OR IGNORE INTO artifacts (digest, media_type, artifact_type, size, subject, annotations, added_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [digest.description, mediaType, artifactType, data.count, subject.digest.description,
                                 String(decoding: annotations, as: UTF8.self), Date().timeIntervalSince1970])
            try Self.finishManifestWrite(db, digest)
            for blob in Set(blobDigests) {
                try db.execute(sql: "INSERT OR IGNORE INTO artifact_blobs (artifact_digest, blob_digest) VALUES (?, ?)",
                               arguments: [digest.description, blob.description])
            }
        }
        return Descriptor(mediaType: mediaType, digest: digest, size: Int64(data.count), annotations: manifest.annotations,
                          artifactType: artifactType)
    }

    /// The artifacts whose subject is `digest`, oldest first, as descriptors a referrers index lists; optionally
    /// only those of one artifact type.
    public func referrers(of digest: Digest, artifactType: String? = nil) throws -> [Descriptor] {
        try database.read { db in
            var sql = "SELECT * FROM artifacts WHERE subject = ?"
            var arguments: StatementArguments = [digest.description]
            if let artifactType { sql += " AND artifact_type = ?"; arguments += [artifactType] }
            return try Row.fetchAll(db, sql: sql + " ORDER BY added_at, digest", arguments: arguments).compactMap { row in
                guard let digest = try? Digest(row["digest"] as String) else { return nil }
                let text: String = row["annotations"]
                let annotations = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: String] ?? [:]
                return Descriptor(mediaType: row["media_type"], digest: digest, size: row["size"],
                                  annotations: annotations.isEmpty ? nil : annotations, artifactType: row["artifact_type"])
            }
        }
    }

    /// Whether the store holds a manifest, index or artifact with this digest.
    static func isStored(_ db: Database, _ digest: Digest) throws -> Bool {
        try Bool.fetchOne(db, sql: """
            SELECT 1 FROM image_manifests WHERE digest = ?1 UNION ALL SELECT 1 FROM indexes WHERE digest = ?1
            UNION ALL SELECT 1 FROM artifacts WHERE digest = ?1 LIMIT 1
            """, arguments: [digest.description]) ?? false
    }

    /// Removes artifacts whose subject the store no longer holds (and so, in turn, artifacts about them). Returns the
    /// blobs they named, for collection.
    static func dropOrphanArtifacts(_ db: Database) throws -> Set<String> {
        var freed = Set<String>()
        while true {
            let orphans = try String.fetchAll(db, sql: """
                SELECT digest FROM artifacts WHERE subject NOT IN (SELECT digest FROM image_manifests)
                AND subject NOT IN (SELECT digest FROM indexes) AND subject NOT IN (SELECT digest FROM artifacts)
                """)
            guard !orphans.isEmpty else { return freed }
            for digest in orphans {
                freed.insert(digest)
                freed.formUnion(try String.fetchAll(db, sql: "SELECT blob_digest FROM artifact_blobs WHERE artifact_digest = ?",
                                                    arguments: [digest]))
                try db.execute(sql: "DELETE FROM artifacts WHERE digest = ?", arguments: [digest])
            }
        }
    }
}
