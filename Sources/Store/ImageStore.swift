import Foundation
import GRDB
import GoText
import OCI

/// The local image store: blobs on disk plus SQLite metadata. Safe to share across threads and across
/// processes: every change is a single SQLite transaction taken after the blobs it names are durable.
public final class ImageStore: Sendable {
    public let root: StoreRoot
    public let blobs: BlobStore
    let database: MetadataDatabase

    public init(root: StoreRoot) throws {
        self.root = root
        blobs = BlobStore(root: root)
        if access(root.path, W_OK) == 0 || access(root.path, F_OK) != 0 {
            try blobs.prepare()
            blobs.sweepAbandonedIngests()
        }
        database = try MetadataDatabase(path: root.databasePath)
    }

    // MARK: Reading

    public func images() throws -> [StoredImage] {
        try database.read { db in try Self.loadImages(db, whereSQL: nil, arguments: []) }
    }

    public func image(id: Digest) throws -> StoredImage? {
        try database.read { db in try Self.loadImages(db, whereSQL: "id = ?", arguments: [id.description]).first }
    }

    public func layers(of imageID: Digest) throws -> [StoredLayer] {
        try database.read { db in try Self.loadLayers(db, imageID: imageID.description) }
    }

    /// A stored layer proven to have this diffID, so an import or pull can skip writing it again. A pending layer's
    /// diffID is only its config's claim, and reusing it for another image would spread a lie.
    public func layer(diffID: Digest) throws -> StoredLayer? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM layers WHERE diff_id = ? AND verified = 1 LIMIT 1",
                             arguments: [diffID.description])
                .flatMap(Self.layer(from:))
        }
    }

    /// The stored layer whose blob has this digest.
    public func layer(blobDigest: Digest) throws -> StoredLayer? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM layers WHERE blob_digest = ?", arguments: [blobDigest.description])
                .flatMap(Self.layer(from:))
        }
    }

    /// Resolves a name, a full ID or a unique ID prefix the way dockerd's image lookup does:
    /// a `sha256:` digest first, then a tag or digest reference, then an ID prefix.
    public func resolve(_ nameOrID: String) throws -> StoredImage {
        try database.read { db in try Self.resolve(db, nameOrID) }
    }

    static func resolve(_ db: Database, _ nameOrID: String) throws -> StoredImage {
        if nameOrID.hasPrefix("sha256:"), let digest = try? Digest(nameOrID) {
            if let image = try loadImages(db, whereSQL: "id = ?", arguments: [digest.description]).first { return image }
            throw StoreError.noSuchImage(nameOrID)
        }
        // An unparsable name is the caller's error, as in dockerd (`invalid reference format…`).
        let reference = try ImageReference(nameOrID)
        if let digest = reference.digest {
            let key = "\(reference.name)@\(digest)"
            if let id = try String.fetchOne(db, sql: "SELECT image_id FROM repo_digests WHERE reference = ?", arguments: [key]),
               let image = try loadImages(db, whereSQL: "id = ?", arguments: [id]).first {
                return image
            }
        } else {
            let key = reference.withDefaultTag().description
            if let id = try String.fetchOne(db, sql: "SELECT image_id FROM tags WHERE reference = ?", arguments: [key]),
               let image = try loadImages(db, whereSQL: "id = ?", arguments: [id]).first {
                return image
            }
        }
        let prefix = nameOrID.hasPrefix("sha256:") ? String(nameOrID.dropFirst(7)) : nameOrID
        if !prefix.isEmpty, prefix.count <= 64, prefix.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) {
            let ids = try String.fetchAll(db, sql: "SELECT id FROM images WHERE id GLOB ? LIMIT 2", arguments: ["sha256:\(prefix)*"])
            if ids.count > 1 { throw StoreError.ambiguousImage(prefix) }
            if let id = ids.first, let image = try loadImages(db, whereSQL: "id = ?", arguments: [id]).first { return image }
        }
        throw StoreError.noSuchImage(nameOrID)
    }

    // MARK: Writing

    /// Records an image whose config, manifest and layer blobs are already durable in `blobs`,
    /// points `tags` at it, and logs `action` in the event log — all in one transaction.
    @discardableResult
    public func commit(config: Data, layers: [StoredLayer], tags: [ImageReference], action: String,
                       eventName: String? = nil) throws -> StoredImage {
        try commit(config: config, manifest: nil, layers: layers, tags: tags, action: action, eventName: eventName)
    }

    /// Like `commit(config:layers:tags:action:)`, but keeps `manifest` byte for byte when given (an image that
    /// arrived with its own manifest, whose layer digests must match `layers`); nil builds the store's OCI manifest.
    /// `logTagEvents` false records the names silently, as `docker load` does.
    @discardableResult
    public func commit(config: Data, manifest: ImageManifestBytes?, layers: [StoredLayer], tags: [ImageReference],
                       action: String, eventName: String? = nil, logTagEvents: Bool = true) throws -> StoredImage {
        try settleConflictingClaims(layers)
        let configDigest = try blobs.write(config)
        let manifestData = manifest?.data
            ?? ImageManifestBuilder.ociManifest(configDigest: configDigest, configSize: Int64(config.count), layers: layers)
        let manifestMediaType = manifest?.mediaType ?? MediaType.ociManifest
        let manifestDigest = try writeManifestBlob(manifestData)
        let summary = ConfigSummary(json: config)
        let now = Date()
        let tagTime = Timestamp(now).description
        try database.write { db in
            for layer in layers {
                guard blobs.contains(layer.blobDigest) else {
                    throw StoreError.conflict("layer \(layer.blobDigest) was removed while the image was being written; try again")
                }
                try Self.insertLayer(db, layer)
            }
            let exists = try Bool.fetchOne(db, sql: "SELECT 1 FROM images WHERE id = ?", arguments: [configDigest.description]) ?? false
            if !exists {
                try db.execute(sql: """
                    INSERT INTO images (id, manifest_digest, manifest_media_type, created, created_unix, size, labels,
                                        last_tag_time, added_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [configDigest.description, manifestDigest.description, manifestMediaType,
                                     summary.created, summary.createdUnix, try Self.knownSize(db, layers),
                                     summary.labelsJSON, tags.isEmpty ? nil : tagTime, now.timeIntervalSince1970])
                for (position, layer) in layers.enumerated() {
                    try db.execute(sql: "INSERT INTO image_layers (image_id, position, blob_digest) VALUES (?, ?, ?)",
                                   arguments: [configDigest.description, position, layer.blobDigest.description])
                }
            }
            try db.execute(sql: "INSERT OR IGNORE INTO image_manifests (digest, image_id, media_type) VALUES (?, ?, ?)",
                           arguments: [manifestDigest.description, configDigest.description, manifestMediaType])
            try Self.finishManifestWrite(db, manifestDigest)
            // dockerd logs the tag events before the import (or load) event.
            for tag in tags {
                try Self.setTag(db, tag, imageID: configDigest.description, time: tagTime, logEvent: logTagEvents)
            }
            // An empty action logs nothing here (a pull logs its own event, about the reference).
            if !action.isEmpty {
                let name = eventName ?? configDigest.description
                try Self.logEvent(db, action: action, actorID: configDigest.description,
                                  attributes: summary.labels.merging(["name": name]) { _, new in new })
            }
        }
        guard let image = try image(id: configDigest) else { throw StoreError.corrupt("image \(configDigest) vanished after commit") }
        return image
    }

    /// Writes a manifest or index blob that a metadata transaction is about to record (which then calls
    /// `finishManifestWrite`), noting first that it is coming: see migration v8.
    func writeManifestBlob(_ data: Data) throws -> Digest {
        let digest = Digest.sha256(data)
        if !blobs.contains(digest) {
            try database.write { db in
                try db.execute(sql: "INSERT OR REPLACE INTO manifest_writes (digest, started) VALUES (?, ?)",
                               arguments: [digest.description, Date().timeIntervalSince1970])
            }
        }
        return try blobs.write(data)
    }

    static func finishManifestWrite(_ db: Database, _ digest: Digest) throws {
        try db.execute(sql: "DELETE FROM manifest_writes WHERE digest = ?", arguments: [digest.description])
    }

    /// Adds a layer row. A row already there keeps its sizes unless it was pending and `layer` is measured (the
    /// proven diffID then replaces the claim); an image claiming a diffID its blob is proven not to have fails.
    static func insertLayer(_ db: Database, _ layer: StoredLayer) throws {
        let blob = layer.blobDigest.description
        if let row = try Row.fetchOne(db, sql: "SELECT diff_id, verified FROM layers WHERE blob_digest = ?", arguments: [blob]) {
            let stored: String = row["diff_id"]
            let verified: Bool = row["verified"]
            if verified && stored != layer.diffID.description {
                throw StoreError.layerMismatch(blob: blob, claimed: layer.diffID.description, actual: stored)
            }
            if !verified, let contentSize = layer.contentSize {
                try db.execute(sql: """
                    UPDATE layers SET diff_id = ?, content_size = ?, uncompressed_size = COALESCE(uncompressed_size, ?), verified = 1
                    WHERE blob_digest = ?
                    """, arguments: [layer.diffID.description, contentSize, layer.uncompressedSize, blob])
                try refreshSizes(db, ofImagesUsing: layer.blobDigest)
            } else if !verified && stored != layer.diffID.description {
                // settleConflictingClaims ran before this transaction; another process stored a new claim since.
                throw StoreError.conflict("layer \(blob) changed while the image was being written; try again")
            }
        } else {
            try db.execute(sql: """
                INSERT INTO layers (blob_digest, diff_id, media_type, blob_size, content_size, uncompressed_size, verified)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [blob, layer.diffID.description, layer.mediaType,
                                 layer.blobSize, layer.contentSize ?? 0, layer.uncompressedSize, layer.isVerified])
        }
        if let size = layer.uncompressedSize {
            try db.execute(sql: "UPDATE layers SET uncompressed_size = ? WHERE blob_digest = ? AND uncompressed_size IS NULL",
                           arguments: [size, layer.blobDigest.description])
        }
    }

    /// The image size docker shows, from the rows as stored: pending layers count 0 until they are measured.
    static func knownSize(_ db: Database, _ layers: [StoredLayer]) throws -> Int64 {
        var total: Int64 = 0
        for layer in layers {
            total += try Int64.fetchOne(db, sql: "SELECT content_size FROM layers WHERE blob_digest = ? AND verified = 1",
                                        arguments: [layer.blobDigest.description]) ?? 0
        }
        return total
    }

    /// Remembers a layer's decompressed size once something has measured it.
    public func recordUncompressedSize(_ size: Int64, blobDigest: Digest) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE layers SET uncompressed_size = ? WHERE blob_digest = ?",
                           arguments: [size, blobDigest.description])
        }
    }

    /// The image a name (tag or digest reference; the default tag applied) points at, if any.
    public func imageID(named reference: ImageReference) throws -> Digest? {
        try target(named: reference)?.imageID
    }

    /// Every tag in `repository` (a normalized name such as `docker.io/library/busybox`), with its image.
    public func tags(inRepository repository: String) throws -> [(reference: ImageReference, imageID: Digest)] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT reference, image_id FROM tags WHERE repository = ? ORDER BY reference",
                             arguments: [repository]).compactMap { row in
                guard let ref = try? ImageReference(row["reference"] as String),
                      let id = try? Digest(row["image_id"] as String) else { return nil }
                return (ref, id)
            }
        }
    }

    /// Points `reference` at the image, as `docker tag` does. The previous holder keeps its other names.
    /// `index`: the multi-platform index the name stands for (the image is its entry for this host), so a push or
    /// save of the name carries every platform.
    public func tag(_ image: StoredImage, as reference: ImageReference, index: Digest? = nil) throws {
        try database.write { db in
            try Self.setTag(db, reference.digest == nil ? reference.withDefaultTag() : reference, imageID: image.id.description,
                            time: Timestamp.now().description, target: index?.description)
        }
    }

    static func setTag(_ db: Database, _ reference: ImageReference, imageID: String, time: String,
                       logEvent shouldLog: Bool = true, target: String? = nil) throws {
        if let digest = reference.digest {
            try db.execute(sql: "INSERT OR REPLACE INTO repo_digests (reference, repository, image_id, target) VALUES (?, ?, ?, ?)",
                           arguments: ["\(reference.name)@\(digest)", reference.name, imageID, target])
        } else {
            let full = reference.withDefaultTag()
            try db.execute(sql: "INSERT OR REPLACE INTO tags (reference, repository, tag, image_id, target) VALUES (?, ?, ?, ?, ?)",
                           arguments: [full.description, full.name, full.tag ?? "latest", imageID, target])
            try db.execute(sql: "UPDATE images SET last_tag_time = ? WHERE id = ?", arguments: [time, imageID])
            guard shouldLog else { return }
            try logEvent(db, action: "tag", actorID: imageID,
                         attributes: try labels(db, imageID: imageID).merging(["name": full.familiarString]) { _, new in new })
        }
    }

    /// The image's labels, which dockerd copies into every event about an image that still exists.
    static func labels(_ db: Database, imageID: String) throws -> [String: String] {
        guard let text = try String.fetchOne(db, sql: "SELECT labels FROM images WHERE id = ?", arguments: [imageID]) else {
            return [:]
        }
        return (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: String] ?? [:]
    }

    static func logEvent(_ db: Database, action: String, actorID: String, attributes: [String: String]) throws {
        let data = try JSONSerialization.data(withJSONObject: attributes, options: [.sortedKeys])
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        try db.execute(sql: "INSERT INTO events (time_nano, type, action, actor_id, attributes) VALUES (?, 'image', ?, ?, ?)",
                       arguments: [Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec), action, actorID,
                                   String(decoding: data, as: UTF8.self)])
        if Int.random(in: 0..<200) == 0 {
            try db.execute(sql: "DELETE FROM events WHERE id < (SELECT MAX(id) - 10000 FROM events)")
        }
    }

    /// Appends an event that no other store change carries (for example `save` or `push`).
    public func log(action: String, actorID: String, attributes: [String: String]) throws {
        try database.write { db in try Self.logEvent(db, action: action, actorID: actorID, attributes: attributes) }
    }

    /// An event about a name, as dockerd logs `pull` and `push`: the actor is the reference as docker spells it, `name`
    /// its repository, and the labels of the image it names are copied in.
    public func log(action: String, reference: ImageReference, imageID: Digest?) throws {
        try database.write { db in
            var attributes = try imageID.map { try Self.labels(db, imageID: $0.description) } ?? [:]
            attributes["name"] = reference.familiarName
            try Self.logEvent(db, action: action, actorID: reference.familiarString, attributes: attributes)
        }
    }

    /// The sequence number of the newest event (0 when there is none).
    public func lastEventSequence() throws -> Int64 {
        try database.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM events") ?? 0 }
    }

    public func events(after sequence: Int64 = 0, sinceNano: Int64? = nil, untilNano: Int64? = nil) throws -> [ImageEvent] {
        try database.read { db in
            var sql = "SELECT * FROM events WHERE id > ?"
            var arguments: StatementArguments = [sequence]
            if let sinceNano { sql += " AND time_nano >= ?"; arguments += [sinceNano] }
            if let untilNano { sql += " AND time_nano <= ?"; arguments += [untilNano] }
            sql += " ORDER BY id"
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                let text: String = row["attributes"]
                let attributes = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: String] ?? [:]
                return ImageEvent(sequence: row["id"], timeNano: row["time_nano"], type: row["type"], action: row["action"],
                                  actorID: row["actor_id"], attributes: attributes)
            }
        }
    }

    // MARK: Row mapping

    static func loadImages(_ db: Database, whereSQL: String?, arguments: StatementArguments) throws -> [StoredImage] {
        let filter = whereSQL.map { " WHERE \($0)" } ?? ""
        let rows = try Row.fetchAll(db, sql: "SELECT * FROM images\(filter)", arguments: arguments)
        let restrict = whereSQL == nil ? "" : " WHERE image_id IN (SELECT id FROM images\(filter))"
        // Names come back from their stored columns rather than by re-parsing: listing 10,000 tags is hot.
        var tags: [String: [ImageReference]] = [:]
        let tagRows = try Row.fetchCursor(db, sql: "SELECT repository, tag, image_id FROM tags\(restrict)", arguments: arguments)
        while let row = try tagRows.next() {
            let repository: String = row[0]
            tags[row[2], default: []].append(Self.reference(repository: repository, tag: row[1]))
        }
        var digests: [String: [ImageReference]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT reference, image_id FROM repo_digests\(restrict)", arguments: arguments) {
            if let ref = try? ImageReference(row["reference"] as String) { digests[row["image_id"], default: []].append(ref) }
        }
        let entries = Set(try String.fetchAll(db, sql: """
            SELECT DISTINCT image_manifests.image_id FROM index_entries
            JOIN image_manifests ON image_manifests.digest = index_entries.manifest_digest
            WHERE index_entries.index_digest IN (SELECT target FROM tags WHERE target IS NOT NULL
                                                 UNION SELECT target FROM repo_digests WHERE target IS NOT NULL)
            """))
        return rows.compactMap { row in
            guard let id = try? Digest(row["id"] as String),
                  let manifest = try? Digest(row["manifest_digest"] as String) else { return nil }
            let labelsText: String = row["labels"]
            let labels = (try? JSONSerialization.jsonObject(with: Data(labelsText.utf8))) as? [String: String] ?? [:]
            return StoredImage(
                id: id, manifestDigest: manifest, manifestMediaType: row["manifest_media_type"],
                created: row["created"], createdUnix: row["created_unix"], size: row["size"], labels: labels,
                lastTagTime: row["last_tag_time"],
                repoTags: sortedFamiliar(tags[id.description] ?? []),
                repoDigests: sortedFamiliar(digests[id.description] ?? []),
                isIndexEntry: entries.contains(id.description))
        }
    }

    /// Rebuilds a name from the normalised repository (`docker.io/library/x`) the tags table keeps.
    static func reference(repository: String, tag: String) -> ImageReference {
        guard let slash = repository.firstIndex(of: "/") else { return ImageReference(domain: "", path: repository, tag: tag) }
        return ImageReference(domain: String(repository[..<slash]), path: String(repository[repository.index(after: slash)...]),
                              tag: tag)
    }

    /// docker's order for names: by familiar string, computed once per name.
    static func sortedFamiliar(_ references: [ImageReference]) -> [ImageReference] {
        references.map { ($0.familiarString, $0) }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    static func loadLayers(_ db: Database, imageID: String) throws -> [StoredLayer] {
        try Row.fetchAll(db, sql: """
            SELECT layers.* FROM image_layers JOIN layers USING (blob_digest)
            WHERE image_layers.image_id = ? ORDER BY image_layers.position
            """, arguments: [imageID]).compactMap(layer(from:))
    }

    static func layer(from row: Row) -> StoredLayer? {
        guard let blob = try? Digest(row["blob_digest"] as String), let diffID = try? Digest(row["diff_id"] as String) else { return nil }
        let verified: Bool = row["verified"] ?? true
        return StoredLayer(blobDigest: blob, diffID: diffID, mediaType: row["media_type"], blobSize: row["blob_size"],
                           contentSize: verified ? row["content_size"] as Int64 : nil, uncompressedSize: row["uncompressed_size"])
    }
}

/// A manifest kept verbatim (its digest is the sha256 of `data`).
public struct ImageManifestBytes: Sendable, Hashable {
    public let data: Data
    public let mediaType: String

    public init(data: Data, mediaType: String) {
        self.data = data
        self.mediaType = mediaType
    }
}

extension ImageStore {
    /// Moves this process's committed changes from the WAL into metadata.db; called once before the process exits.
    public func checkpoint() { database.checkpoint() }
}
