import Archive
import Foundation
import GRDB
import Synchronization

/// The SQLite metadata beside the blobs: images, tags, layers and events. WAL mode lets readers run
/// while one process writes; every change is one transaction, so a kill -9 leaves the last committed state.
struct MetadataDatabase: Sendable {
    /// A WAL-mode connection normally; a read-only one when the root is on read-only media.
    let pool: any DatabaseWriter
    /// Whether this process committed a write (so that ``checkpoint()`` has work to do).
    private let written = WriteFlag()

    private final class WriteFlag: Sendable {
        let value = Mutex(false)
    }

    init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(60)
        configuration.foreignKeysEnabled = true
        configuration.label = "strata"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        configuration.journalMode = .wal
        // One connection is enough for a command-line process; SQLite's file locks order the processes.
        if access(path, W_OK) != 0 && errno == EROFS {
            let queue = try Self.openReadOnly(path: path, configuration: configuration)
            pool = queue
            // An older root cannot be upgraded here, and this code would query tables it lacks.
            if (try? queue.read({ try Self.migrator.hasCompletedMigrations($0) })) != true {
                throw StoreError.invalid("open \(path): written by an older Strata; open it once on writable media to upgrade it")
            }
            return
        }
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            pool = queue
            // A root being created by another process can answer oddly here; the locked path settles it.
            if (try? queue.read({ try Self.migrator.hasCompletedMigrations($0) })) == true { return }
        } catch let error as DatabaseError {
            throw StoreError.invalid("open \(path): \(StoreError.reason(error))")
        }
        // Two processes creating a fresh root must not both create the schema: serialise the migration.
        let lockFD = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lockFD >= 0 else { throw StoreError.posix("open \(path).lock") }
        defer { close(lockFD) }
        guard FileDescriptorIO.retryingInterrupts({ flock(lockFD, LOCK_EX) }) == 0 else { throw StoreError.posix("lock \(path).lock") }
        do {
            // Another process may have created the schema since this connection last looked.
            try pool.writeWithoutTransaction { $0.clearSchemaCache() }
            try Self.migrator.migrate(pool)
        } catch let error as DatabaseError {
            throw StoreError.invalid("migrate \(path): \(StoreError.reason(error))")
        }
    }

    /// A read transaction; SQLite's errors leave the Store as `StoreError.database` (GRDB stays inside Store).
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch let error as DatabaseError { throw StoreError(error) }
    }

    /// A write transaction; SQLite's errors leave the Store as `StoreError.database`.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            let result = try pool.write(body)
            written.value.withLock { $0 = true }
            return result
        } catch let error as DatabaseError { throw StoreError(error) }
    }

    /// Copies what this process committed from the WAL into metadata.db (a passive checkpoint: it never waits for
    /// readers), so that the database file alone holds the state: a read-only mount, or a backup that copies only
    /// metadata.db, sees every image. Nothing to do when this process wrote nothing.
    func checkpoint() {
        guard written.value.withLock({ done in defer { done = false }; return done }) else { return }
        _ = try? pool.writeWithoutTransaction { try $0.checkpoint(.passive) }
    }

    /// Listing and inspecting still work on a read-only root; any write fails with SQLite's read-only error.
    private static func openReadOnly(path: String, configuration: Configuration) throws -> DatabaseQueue {
        var configuration = configuration
        configuration.readonly = true
        configuration.prepareDatabase { _ in }
        do {
            return try DatabaseQueue(path: "file:\(path)?immutable=1", configuration: configuration)
        } catch let error as DatabaseError {
            throw StoreError.invalid("open \(path) (read-only file system): \(error.message ?? "\(error.resultCode)")")
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE images (
                    id TEXT PRIMARY KEY NOT NULL,
                    manifest_digest TEXT NOT NULL,
                    manifest_media_type TEXT NOT NULL,
                    created TEXT NOT NULL,
                    created_unix REAL NOT NULL,
                    size INTEGER NOT NULL,
                    labels TEXT NOT NULL DEFAULT '{}',
                    last_tag_time TEXT,
                    added_at REAL NOT NULL
                );
                CREATE TABLE tags (
                    reference TEXT PRIMARY KEY NOT NULL,
                    repository TEXT NOT NULL,
                    tag TEXT NOT NULL,
                    image_id TEXT NOT NULL REFERENCES images(id)
                );
                CREATE INDEX tags_by_image ON tags(image_id);
                CREATE TABLE repo_digests (
                    reference TEXT PRIMARY KEY NOT NULL,
                    repository TEXT NOT NULL,
                    image_id TEXT NOT NULL REFERENCES images(id)
                );
                CREATE INDEX repo_digests_by_image ON repo_digests(image_id);
                CREATE TABLE layers (
                    blob_digest TEXT PRIMARY KEY NOT NULL,
                    diff_id TEXT NOT NULL,
                    media_type TEXT NOT NULL,
                    blob_size INTEGER NOT NULL,
                    content_size INTEGER NOT NULL
                );
                CREATE INDEX layers_by_diff_id ON layers(diff_id);
                CREATE TABLE image_layers (
                    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    blob_digest TEXT NOT NULL REFERENCES layers(blob_digest),
                    PRIMARY KEY (image_id, position)
                );
                CREATE INDEX image_layers_by_blob ON image_layers(blob_digest);
                CREATE TABLE events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    time_nano INTEGER NOT NULL,
                    type TEXT NOT NULL,
                    action TEXT NOT NULL,
                    actor_id TEXT NOT NULL,
                    attributes TEXT NOT NULL
                );
                """)
        }
        // The decompressed size of each layer, so `save` can write tar headers before streaming.
        migrator.registerMigration("v2") { db in
            try db.execute(sql: "ALTER TABLE layers ADD COLUMN uncompressed_size INTEGER")
        }
        // Build steps by cache key: the layer each produced (NULL for a step that adds none).
        migrator.registerMigration("v3") { db in
            try db.execute(sql: """
                CREATE TABLE build_cache (
                    key TEXT PRIMARY KEY NOT NULL,
                    blob_digest TEXT REFERENCES layers(blob_digest),
                    description TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    created_at REAL NOT NULL,
                    last_used REAL NOT NULL,
                    usage_count INTEGER NOT NULL DEFAULT 1
                );
                CREATE INDEX build_cache_by_blob ON build_cache(blob_digest);
                """)
        }
        // Pulled layers are stored once their blob digest checks; decoding the tar (diffID, sizes) waits for first
        // use. 0 marks such a pending layer, whose content_size means nothing yet.
        migrator.registerMigration("v4") { db in
            try db.execute(sql: "ALTER TABLE layers ADD COLUMN verified INTEGER NOT NULL DEFAULT 1")
        }
        // The store holds descriptors, not only images: every manifest of an image (an index names entries by
        // manifest digest, and one config may arrive under several manifests), multi-platform indexes kept whole,
        // and artifacts that refer to a subject (signatures, SBOMs, attestations). A name may point at an index
        // (`target`); its `image_id` stays the entry for this host, so listing and running are unchanged.
        migrator.registerMigration("v5") { db in
            try db.execute(sql: """
                CREATE TABLE image_manifests (
                    digest TEXT PRIMARY KEY NOT NULL,
                    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
                    media_type TEXT NOT NULL
                );
                CREATE INDEX image_manifests_by_image ON image_manifests(image_id);
                INSERT INTO image_manifests (digest, image_id, media_type)
                    SELECT manifest_digest, id, manifest_media_type FROM images;
                CREATE TABLE indexes (
                    digest TEXT PRIMARY KEY NOT NULL,
                    media_type TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    added_at REAL NOT NULL
                );
                CREATE TABLE index_entries (
                    index_digest TEXT NOT NULL REFERENCES indexes(digest) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    manifest_digest TEXT NOT NULL,
                    media_type TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    platform TEXT NOT NULL,
                    PRIMARY KEY (index_digest, position)
                );
                CREATE INDEX index_entries_by_manifest ON index_entries(manifest_digest);
                CREATE TABLE artifacts (
                    digest TEXT PRIMARY KEY NOT NULL,
                    media_type TEXT NOT NULL,
                    artifact_type TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    subject TEXT NOT NULL,
                    annotations TEXT NOT NULL DEFAULT '{}',
                    added_at REAL NOT NULL
                );
                CREATE INDEX artifacts_by_subject ON artifacts(subject);
                CREATE TABLE artifact_blobs (
                    artifact_digest TEXT NOT NULL REFERENCES artifacts(digest) ON DELETE CASCADE,
                    blob_digest TEXT NOT NULL,
                    PRIMARY KEY (artifact_digest, blob_digest)
                );
                CREATE INDEX artifact_blobs_by_blob ON artifact_blobs(blob_digest);
                ALTER TABLE tags ADD COLUMN target TEXT;
                ALTER TABLE repo_digests ADD COLUMN target TEXT;
                CREATE INDEX tags_by_target ON tags(target);
                CREATE INDEX repo_digests_by_target ON repo_digests(target);
                """)
        }
        // Containers `run` keeps (no --rm): their names are unique, and an image they use is not deleted unforced.
        migrator.registerMigration("v6") { db in
            try db.execute(sql: """
                CREATE TABLE containers (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL UNIQUE,
                    image_id TEXT NOT NULL,
                    image_name TEXT NOT NULL,
                    command TEXT NOT NULL,
                    created REAL NOT NULL,
                    state TEXT NOT NULL,
                    exit_code INTEGER,
                    finished REAL,
                    owner_pid INTEGER
                );
                CREATE INDEX containers_by_image ON containers(image_id);
                """)
        }
        // A cached step's creation time as written (RFC 3339 with nanoseconds): an exported cache carries it as text,
        // and the history it dates must come back byte for byte in another store.
        migrator.registerMigration("v7") { db in
            try db.execute(sql: "ALTER TABLE build_cache ADD COLUMN created_text TEXT")
        }
        // Manifests being written: noted before the blob is, dropped by the transaction that records it, so that a
        // process killed in between leaves the note and `check` tells an interrupted write from lost metadata.
        migrator.registerMigration("v8") { db in
            try db.execute(sql: "CREATE TABLE manifest_writes (digest TEXT PRIMARY KEY NOT NULL, started REAL NOT NULL)")
        }
        return migrator
    }
}

extension StoreError {
    /// SQLite's reason without GRDB's SQL dump.
    init(_ error: DatabaseError) {
        self = .database(Self.reason(error), readOnly: (error.message ?? "").contains("readonly"))
    }

    /// SQLite's words, with the cause a user can act on when the disk is full.
    static func reason(_ error: DatabaseError) -> String {
        let reason = error.message ?? "SQLite error \(error.resultCode.rawValue)"
        return error.resultCode == .SQLITE_FULL ? "no space left on device (the metadata database: \(reason))" : reason
    }
}
