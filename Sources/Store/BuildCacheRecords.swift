import Foundation
import GoText
import GRDB
import OCI

/// One cached build step: what `strata build` finds instead of running the step again.
public struct BuildCacheEntry: Sendable, Hashable {
    /// sha256 over the step's inputs (parent, instruction, build args used, source content digests).
    public let key: String
    /// The layer the step produced; nil for a step that changed no files.
    public let layer: StoredLayer?
    /// The instruction, for `system df -v` and `builder prune` output.
    public let description: String
    public let size: Int64
    public let createdAt: Date
    /// `createdAt` exactly as recorded (the history time of the step's layer).
    public let created: Timestamp
    public let lastUsed: Date
    public let usageCount: Int
}

/// What `builder prune` removed.
public struct BuildCachePruneResult: Sendable, Equatable {
    public var removedKeys: [String] = []
    public var reclaimedBytes: Int64 = 0
}

extension ImageStore {
    /// The cached result of a step, marking it used now; nil on a miss, or when its layer blob has gone.
    public func cachedBuildStep(key: String) throws -> BuildCacheEntry? {
        let now = Date().timeIntervalSince1970
        let entry = try database.write { db -> BuildCacheEntry? in
            try db.execute(sql: "UPDATE build_cache SET last_used = ?, usage_count = usage_count + 1 WHERE key = ?",
                           arguments: [now, key])
            guard let row = try Row.fetchOne(db, sql: """
                SELECT c.*, l.diff_id, l.media_type, l.blob_size, l.content_size, l.uncompressed_size, l.verified
                FROM build_cache c LEFT JOIN layers l ON l.blob_digest = c.blob_digest WHERE c.key = ?
                """, arguments: [key]) else { return nil }
            return try Self.cacheEntry(row)
        }
        if let layer = entry?.layer, !blobs.contains(layer.blobDigest) { return nil }
        return entry
    }

    /// Whether `key` is cached (its layer blob still there), without counting a use: what a build asks before it
    /// decides whether to start a stage's dependencies.
    public func hasBuildStep(key: String) throws -> Bool {
        let row = try database.read { db -> (found: Bool, blob: String?) in
            let row = try Row.fetchOne(db, sql: "SELECT blob_digest FROM build_cache WHERE key = ?", arguments: [key])
            return (row != nil, row?["blob_digest"])
        }
        guard row.found else { return false }
        guard let blob = row.blob else { return true }   // a step that changed no files
        return (try? Digest(blob)).map(blobs.contains) ?? false
    }

    /// Records a step's result; `layer`'s blob must already be in the blob store. `created` is when the step's
    /// layer was made (now, unless an imported cache says otherwise).
    public func recordBuildStep(key: String, layer: StoredLayer?, description: String, created: Timestamp? = nil) throws {
        let now = Date().timeIntervalSince1970
        let created = created ?? Timestamp.now()
        try database.write { db in
            if let layer {
                try Self.insertLayer(db, layer)
            }
            try db.execute(sql: """
                INSERT OR REPLACE INTO build_cache (key, blob_digest, description, size, created_at, last_used, usage_count, created_text)
                VALUES (?, ?, ?, ?, ?, ?, 1, ?)
                """, arguments: [key, layer?.blobDigest.description, description, layer?.blobSize ?? 0, created.secondsSince1970, now,
                                 created.rawValue])
        }
    }

    /// Every cache entry, most recently used first.
    public func buildCacheEntries() throws -> [BuildCacheEntry] {
        try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT c.*, l.diff_id, l.media_type, l.blob_size, l.content_size, l.uncompressed_size, l.verified
                FROM build_cache c LEFT JOIN layers l ON l.blob_digest = c.blob_digest ORDER BY c.last_used DESC
                """).map(Self.cacheEntry)
        }
    }

    /// `builder prune`: removes entries last used before `unusedSince` (all entries when nil), then every layer
    /// that neither an image nor a remaining entry references. Without `all`, entries whose layer an image
    /// still uses are kept (they cost nothing), as BuildKit keeps records that are in use.
    public func pruneBuildCache(all: Bool, unusedSince: Date? = nil) throws -> BuildCachePruneResult {
        var result = BuildCachePruneResult()
        let freed = try database.write { db -> Set<String> in
            var freed = Set<String>()
            var sql = "SELECT key, blob_digest, size FROM build_cache"
            var arguments: StatementArguments = []
            if let unusedSince {
                sql += " WHERE last_used < ?"
                arguments = [unusedSince.timeIntervalSince1970]
            }
            for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
                let blob: String? = row["blob_digest"]
                if !all, let blob, try Bool.fetchOne(db, sql: "SELECT 1 FROM image_layers WHERE blob_digest = ? LIMIT 1",
                                                     arguments: [blob]) ?? false { continue }
                let key: String = row["key"]
                try db.execute(sql: "DELETE FROM build_cache WHERE key = ?", arguments: [key])
                result.removedKeys.append(key)
                guard let blob else { continue }
                let used = try Bool.fetchOne(db, sql: """
                    SELECT 1 FROM image_layers WHERE blob_digest = ?1 UNION ALL SELECT 1 FROM build_cache WHERE blob_digest = ?1 LIMIT 1
                    """, arguments: [blob]) ?? false
                if !used && !freed.contains(blob) {
                    try db.execute(sql: "DELETE FROM layers WHERE blob_digest = ?", arguments: [blob])
                    freed.insert(blob)
                    result.reclaimedBytes += row["size"] as Int64
                }
            }
            return freed
        }
        collectBlobs(freed)
        return result
    }

    private static func cacheEntry(_ row: Row) throws -> BuildCacheEntry {
        var layer: StoredLayer?
        if row["blob_digest"] as String? != nil, row["diff_id"] as String? != nil {
            layer = ImageStore.layer(from: row)
        }
        let createdAt = Date(timeIntervalSince1970: row["created_at"])
        let created = (row["created_text"] as String?).flatMap { try? Timestamp($0) } ?? Timestamp(createdAt)
        return BuildCacheEntry(key: row["key"], layer: layer, description: row["description"], size: row["size"],
                               createdAt: createdAt, created: created,
                               lastUsed: Date(timeIntervalSince1970: row["last_used"]), usageCount: row["usage_count"])
    }
}
