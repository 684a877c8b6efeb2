import Foundation
import GRDB
import OCI

/// `rmi`, `image prune` and blob garbage collection, with dockerd's untag-then-delete rules.
extension ImageStore {
    /// Removes a name or an image as `docker rmi` does: a name is untagged and the image deleted only when
    /// that was its last name; an ID deletes the image, refusing (without `force`) when several
    /// repositories still name it.
    public func remove(_ nameOrID: String, force: Bool) throws -> [RemovalRecord] {
        let outcome = try database.write { db -> (records: [RemovalRecord], freed: Set<String>) in
            let image = try Self.resolve(db, nameOrID)
            let removed = try Self.remove(db, image: image, given: nameOrID, force: force)
            let dropped = try Self.dropUnheld(db)
            return (removed.records + dropped.records, removed.freed.union(dropped.freed))
        }
        collectBlobs(outcome.freed)
        return outcome.records
    }

    public struct PruneResult: Sendable {
        public var records: [RemovalRecord] = []
        public var reclaimedBytes: Int64 = 0
    }

    /// `docker image prune`: dangling images, or with `all` every image; `keep` filters further.
    public func prune(all: Bool, keep: @Sendable (StoredImage) -> Bool) throws -> PruneResult {
        var result = PruneResult()
        var freed = Set<String>()
        let used = try imagesUsedByContainers()
        for image in try images().sorted(by: { $0.createdUnix > $1.createdUnix }) {
            // docker keeps the image of any container, stopped ones included.
            guard all || image.isDangling, keep(image), !used.contains(image.id.description) else { continue }
            // A pending layer was never unpacked: what its removal frees is the blob.
            let sizes = Dictionary(try layers(of: image.id).map { ($0.blobDigest.description, $0.contentSize ?? $0.blobSize) },
                                   uniquingKeysWith: { a, _ in a })
            do {
                let outcome = try database.write { db -> (records: [RemovalRecord], freed: Set<String>) in
                    guard let current = try Self.loadImages(db, whereSQL: "id = ?", arguments: [image.id.description]).first else {
                        return ([], [])
                    }
                    return try Self.remove(db, image: current, given: current.id.description, force: true)
                }
                result.records += outcome.records
                freed.formUnion(outcome.freed)
                result.reclaimedBytes += outcome.freed.reduce(0) { $0 + (sizes[$1] ?? 0) }
            } catch StoreError.conflict {
                continue
            }
        }
        let dropped = try database.write { db in try Self.dropUnheld(db) }
        result.records += dropped.records
        freed.formUnion(dropped.freed)
        collectBlobs(freed.union(try orphanBlobs()))
        // Notes of manifest writes that never finished (their blobs were orphans, collected above) and are over an
        // hour old: a running write finishes within moments of its note.
        try database.write { db in
            try db.execute(sql: "DELETE FROM manifest_writes WHERE started < ?", arguments: [Date().timeIntervalSince1970 - 3600])
        }
        // Uploads nobody resumed for a day are abandoned.
        blobs.sweepSessions(untouchedSince: Date().addingTimeInterval(-86_400))
        return result
    }

    static func remove(_ db: Database, image: StoredImage, given: String, force: Bool) throws
        -> (records: [RemovalRecord], freed: Set<String>) {
        var records: [RemovalRecord] = []
        let id = image.id.description
        var references = image.repoTags + image.repoDigests
        let givenIsID = isIDPrefix(given, of: id)
        if !givenIsID, let parsed = try? ImageReference(given) {
            let named = parsed.digest == nil ? parsed.withDefaultTag() : parsed
            try untag(db, named, imageID: id)
            records.append(.untagged(named.familiarString))
            references.removeAll { $0 == named }
            if named.digest == nil, !references.contains(where: { $0.digest == nil && $0.name == named.name }) {
                for digestRef in references where digestRef.digest != nil && digestRef.name == named.name {
                    try untag(db, digestRef, imageID: id)
                    records.append(.untagged(digestRef.familiarString))
                }
                references.removeAll { $0.digest != nil && $0.name == named.name }
            }
            if !references.isEmpty { return (records, []) }
            // The last name of an image a container uses goes only by force (the untag above is rolled back).
            if !force, let container = try containerUsing(db, imageID: id) {
                throw StoreError.conflict("conflict: unable to remove repository reference \"\(named.familiarString)\" (must force) - "
                                          + "container \(container.id.prefix(12)) is using its referenced image \(image.id.shortID)")
            }
        } else if isSingleReference(references) || (force && !references.isEmpty) {
            for reference in references {
                try untag(db, reference, imageID: id)
                records.append(.untagged(reference.familiarString))
            }
            references = []
        }
        if !references.isEmpty {
            throw StoreError.conflict("conflict: unable to delete \(image.id.shortID) (must be forced) - image is referenced in multiple repositories")
        }
        if !force, let index = try namedIndex(db, holding: id) {
            throw StoreError.conflict("conflict: unable to delete \(image.id.shortID) (must be forced) - image is a platform of the multi-platform image \(index)")
        }
        if let container = try containerUsing(db, imageID: id) {
            // docker: a running container's image cannot be deleted at all, a stopped one's only by force.
            if container.state == .running {
                throw StoreError.conflict("conflict: unable to delete \(image.id.shortID) (cannot be forced) - image is being used by "
                                          + "running container \(container.id.prefix(12))")
            }
            if !force, givenIsID {
                throw StoreError.conflict("conflict: unable to delete \(image.id.shortID) (must be forced) - image is being used by "
                                          + "stopped container \(container.id.prefix(12))")
            }
        }
        let layers = try loadLayers(db, imageID: id)
        var freed: Set<String> = [id, image.manifestDigest.description]
        freed.formUnion(try String.fetchAll(db, sql: "SELECT digest FROM image_manifests WHERE image_id = ?", arguments: [id]))
        try db.execute(sql: "DELETE FROM images WHERE id = ?", arguments: [id])
        try logEvent(db, action: "delete", actorID: id, attributes: ["name": id])
        records.append(.deleted(id))
        let chains = chainIDs(of: layers.map(\.diffID))
        for (index, layer) in layers.enumerated().reversed() {
            let stillUsed = try Bool.fetchOne(db, sql: """
                SELECT 1 FROM image_layers WHERE blob_digest = ?1 UNION ALL SELECT 1 FROM build_cache WHERE blob_digest = ?1 LIMIT 1
                """, arguments: [layer.blobDigest.description]) ?? false
            guard !stillUsed, !freed.contains(layer.blobDigest.description) else { continue }
            try db.execute(sql: "DELETE FROM layers WHERE blob_digest = ?", arguments: [layer.blobDigest.description])
            freed.insert(layer.blobDigest.description)
            records.append(.deleted(chains[index].description))
        }
        return (records, freed)
    }

    /// An index some name still points at that lists one of the image's manifests.
    static func namedIndex(_ db: Database, holding imageID: String) throws -> String? {
        try String.fetchOne(db, sql: """
            SELECT index_entries.index_digest FROM index_entries
            JOIN image_manifests ON image_manifests.digest = index_entries.manifest_digest
            WHERE image_manifests.image_id = ?1 AND (
                index_entries.index_digest IN (SELECT target FROM tags WHERE target IS NOT NULL)
                OR index_entries.index_digest IN (SELECT target FROM repo_digests WHERE target IS NOT NULL))
            LIMIT 1
            """, arguments: [imageID])
    }

    private static func untag(_ db: Database, _ reference: ImageReference, imageID: String) throws {
        if let digest = reference.digest {
            try db.execute(sql: "DELETE FROM repo_digests WHERE reference = ?", arguments: ["\(reference.name)@\(digest)"])
        } else {
            try db.execute(sql: "DELETE FROM tags WHERE reference = ?", arguments: [reference.withDefaultTag().description])
        }
        try logEvent(db, action: "untag", actorID: imageID,
                     attributes: try labels(db, imageID: imageID).merging(["name": imageID]) { _, new in new })
    }

    /// dockerd's rule: an ID may remove an image's names only when they all live in one repository
    /// and at most one of them is a tag.
    static func isSingleReference(_ references: [ImageReference]) -> Bool {
        guard references.count > 1 else { return references.count == 1 }
        var names = Set<String>()
        var single: ImageReference?
        for reference in references {
            if reference.digest != nil {
                names.insert(reference.name)
            } else if single == nil {
                names.insert(reference.name)
                single = reference
            } else {
                return false
            }
        }
        let chosen = single ?? references[0]
        return names.count == 1 && names.contains(chosen.name)
    }

    static func isIDPrefix(_ given: String, of id: String) -> Bool {
        let bare = id.hasPrefix("sha256:") ? String(id.dropFirst(7)) : id
        return id.hasPrefix(given) || bare.hasPrefix(given)
    }

    /// Blobs on disk that no image references: leftovers of interrupted writes or earlier removals.
    func orphanBlobs() throws -> Set<String> {
        Set(blobs.allDigests().map(\.description)).subtracting(try referencedBlobs())
    }

    /// Every blob digest that metadata names: configs, manifests and layers.
    func referencedBlobs() throws -> Set<String> {
        try database.read { db -> Set<String> in
            var set = Set<String>()
            for row in try Row.fetchAll(db, sql: "SELECT id, manifest_digest FROM images") {
                set.insert(row["id"]); set.insert(row["manifest_digest"])
            }
            set.formUnion(try String.fetchAll(db, sql: """
                SELECT blob_digest FROM layers UNION ALL SELECT digest FROM image_manifests UNION ALL SELECT digest FROM indexes
                UNION ALL SELECT digest FROM artifacts UNION ALL SELECT blob_digest FROM artifact_blobs
                """))
            return set
        }
    }

    /// Unlinks freed blobs, but only while no writer holds an ingest lease: a concurrent import may be
    /// about to reference a blob whose rows were just removed. Skipped blobs stay as orphans for a later prune.
    func collectBlobs(_ digests: Set<String>) {
        guard !digests.isEmpty else { return }
        ingestLease.tryExclusive {
            let stillReferenced = (try? referencedBlobs()) ?? Set(digests)
            for digest in digests.subtracting(stillReferenced) {
                if let parsed = try? Digest(digest) { try? blobs.delete(parsed) }
            }
        }
    }
}
