import Foundation
import GRDB
import GoText
import OCI

/// Indexes and manifests by digest: the store as a holder of descriptors, beside its image-centred tables.
extension ImageStore {
    /// Records a multi-platform index whose entries were committed as images (all, or those the source had), and
    /// points `names` at it. Each name's image is the entry `platform` prefers (else the first stored entry), so
    /// `images`, `inspect` and `run` see this host's platform; a push or save of the name carries the index.
    @discardableResult
    public func commitIndex(_ data: Data, mediaType: String, names: [ImageReference], platform: PlatformMatcher,
                            logTagEvents: Bool = true) throws -> StoredIndex {
        let index: ImageIndex
        do { index = try JSONDecoder().decode(ImageIndex.self, from: data) } catch {
            throw StoreError.invalid("invalid index: \(error)")
        }
        let digest = try writeManifestBlob(data)
        let time = Timestamp.now().description
        try database.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO indexes (digest, media_type, size, added_at) VALUES (?, ?, ?, ?)",
                           arguments: [digest.description, mediaType, data.count, Date().timeIntervalSince1970])
            try Self.finishManifestWrite(db, digest)
            try db.execute(sql: "DELETE FROM index_entries WHERE index_digest = ?", arguments: [digest.description])
            for (position, entry) in index.manifests.enumerated() {
                try db.execute(sql: """
                    INSERT INTO index_entries (index_digest, position, manifest_digest, media_type, size, platform)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [digest.description, position, entry.digest.description, entry.mediaType, entry.size,
                                     entry.platform?.description ?? ""])
            }
            guard !names.isEmpty else { return }
            let stored = try Self.entryImages(db, index: index)
            let ranked = platform.ranked(index.manifests.filter { stored[$0.digest] != nil })
            guard let chosen = (ranked.first ?? index.manifests.first { stored[$0.digest] != nil }).flatMap({ stored[$0.digest] }) else {
                throw StoreError.invalid("index \(digest) has no stored platform to name")
            }
            for name in names {
                try Self.setTag(db, name.digest == nil ? name.withDefaultTag() : name, imageID: chosen.description, time: time,
                                logEvent: logTagEvents, target: digest.description)
            }
        }
        guard let stored = try self.index(digest: digest) else { throw StoreError.corrupt("index \(digest) vanished after commit") }
        return stored
    }

    /// The stored image of each entry manifest of `index` that the store has.
    static func entryImages(_ db: Database, index: ImageIndex) throws -> [Digest: Digest] {
        var result: [Digest: Digest] = [:]
        for entry in index.manifests {
            if let id = try String.fetchOne(db, sql: "SELECT image_id FROM image_manifests WHERE digest = ?",
                                            arguments: [entry.digest.description]).flatMap({ try? Digest($0) }) {
                result[entry.digest] = id
            }
        }
        return result
    }

    /// The stored image a multi-platform name offers for `platform` (nil when the name is no index, or the store
    /// has no entry of that platform).
    public func entry(named name: String, for platform: Platform) throws -> StoredImage? {
        guard let reference = try? ImageReference(name),
              let target = try target(named: reference.digest == nil ? reference.withDefaultTag() : reference),
              let digest = target.indexDigest, let index = try index(digest: digest),
              let chosen = PlatformMatcher(for: platform).ranked(index.entries.filter { $0.imageID != nil }.map(\.descriptor)).first,
              let id = index.entries.first(where: { $0.descriptor.digest == chosen.digest })?.imageID else { return nil }
        return try image(id: id)
    }

    /// A stored index with its entries.
    public func index(digest: Digest) throws -> StoredIndex? {
        try database.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT media_type, size FROM indexes WHERE digest = ?",
                                             arguments: [digest.description]) else { return nil }
            let entries = try Row.fetchAll(db, sql: """
                SELECT index_entries.*, image_manifests.image_id FROM index_entries
                LEFT JOIN image_manifests ON image_manifests.digest = index_entries.manifest_digest
                WHERE index_digest = ? ORDER BY position
                """, arguments: [digest.description]).compactMap { entry -> StoredIndex.Entry? in
                guard let manifest = try? Digest(entry["manifest_digest"] as String) else { return nil }
                let platformText: String = entry["platform"]
                let descriptor = Descriptor(mediaType: entry["media_type"], digest: manifest, size: entry["size"],
                                            platform: platformText.isEmpty ? nil : try? Platform.parse(platformText))
                return StoredIndex.Entry(descriptor: descriptor, imageID: (entry["image_id"] as String?).flatMap { try? Digest($0) })
            }
            return StoredIndex(digest: digest, mediaType: row["media_type"], size: row["size"], entries: entries)
        }
    }

    /// Every index the store keeps.
    public func indexes() throws -> [StoredIndex] {
        let digests = try database.read { db in
            try String.fetchAll(db, sql: "SELECT digest FROM indexes ORDER BY added_at").compactMap { try? Digest($0) }
        }
        return try digests.compactMap { try index(digest: $0) }
    }

    /// What a tag or digest reference points at (the default tag applied), if anything.
    public func target(named reference: ImageReference) throws -> NameTarget? {
        try database.read { db in
            let row: Row?
            if let digest = reference.digest {
                row = try Row.fetchOne(db, sql: "SELECT image_id, target FROM repo_digests WHERE reference = ?",
                                       arguments: ["\(reference.name)@\(digest)"])
            } else {
                row = try Row.fetchOne(db, sql: "SELECT image_id, target FROM tags WHERE reference = ?",
                                       arguments: [reference.withDefaultTag().description])
            }
            guard let row, let image = try? Digest(row["image_id"] as String) else { return nil }
            if let target = (row["target"] as String?).flatMap({ try? Digest($0) }) { return .index(target, image: image) }
            return .image(image)
        }
    }

    /// A manifest, index or artifact manifest by digest, verified against it; nil when the store has none.
    public func manifest(digest: Digest) throws -> StoredManifest? {
        let mediaType = try database.read { db in
            try String.fetchOne(db, sql: """
                SELECT media_type FROM image_manifests WHERE digest = ?1
                UNION ALL SELECT media_type FROM indexes WHERE digest = ?1
                UNION ALL SELECT media_type FROM artifacts WHERE digest = ?1 LIMIT 1
                """, arguments: [digest.description])
        }
        guard let mediaType else { return nil }
        return StoredManifest(data: try blobs.read(digest), mediaType: mediaType)
    }

    /// Drops indexes no name points at and the platforms only they held (a multi-platform build exported to the
    /// client keeps nothing but its cache).
    public func dropUnnamedIndexes() throws {
        let dropped = try database.write { db in try Self.dropUnheld(db) }
        collectBlobs(dropped.freed)
    }

    /// Drops what nothing holds any more, after names or images were removed in this transaction: indexes no name
    /// points at, then the platforms only those indexes held (images without names of their own), then artifacts
    /// whose subject is gone. Returns what `rmi` prints and the blobs to collect.
    static func dropUnheld(_ db: Database) throws -> (records: [RemovalRecord], freed: Set<String>) {
        var records: [RemovalRecord] = []
        var freed = Set<String>()
        let unheld = try String.fetchAll(db, sql: """
            SELECT digest FROM indexes WHERE digest NOT IN (SELECT target FROM tags WHERE target IS NOT NULL)
            AND digest NOT IN (SELECT target FROM repo_digests WHERE target IS NOT NULL)
            """)
        if !unheld.isEmpty {
            let placeholders = unheld.map { _ in "?" }.joined(separator: ",")
            let platforms = try String.fetchAll(db, sql: """
                SELECT DISTINCT image_manifests.image_id FROM index_entries
                JOIN image_manifests ON image_manifests.digest = index_entries.manifest_digest
                WHERE index_entries.index_digest IN (\(placeholders))
                """, arguments: StatementArguments(unheld))
            try db.execute(sql: "DELETE FROM indexes WHERE digest IN (\(placeholders))", arguments: StatementArguments(unheld))
            freed.formUnion(unheld)
            for id in platforms {
                guard let image = try loadImages(db, whereSQL: "id = ?", arguments: [id]).first,
                      image.repoTags.isEmpty, image.repoDigests.isEmpty, !image.isIndexEntry else { continue }
                let outcome = try remove(db, image: image, given: id, force: true)
                records += outcome.records
                freed.formUnion(outcome.freed)
            }
        }
        freed.formUnion(try dropOrphanArtifacts(db))
        return (records, freed)
    }
}
