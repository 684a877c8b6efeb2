import Archive
import Foundation
import GRDB
import OCI
import Testing
@testable import Store

/// A root written by the release before the descriptor store (schema v4: images, tags, repo digests, layers, build
/// cache, events) opens with today's code, migrated in one step, and keeps everything.
@Suite struct OldRootMigrationTests {
    /// The schema exactly as the v4 release's migrations left it (v1 to v4, as SQLite ran them).
    static let v4Schema = """
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
            ALTER TABLE layers ADD COLUMN uncompressed_size INTEGER;
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
            ALTER TABLE layers ADD COLUMN verified INTEGER NOT NULL DEFAULT 1;
        """

    @Test func rootWrittenByTheV4ReleaseOpensWithEverythingKept() throws {
        let directory = NSTemporaryDirectory() + "strata-old-root-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let root = StoreRoot(path: directory)
        let blobs = BlobStore(root: root)
        try blobs.prepare()

        // One image with one uncompressed layer (its blob digest is its diffID), a tag, a RepoDigest, a build-cache
        // step that made the layer, two events, and a container directory.
        var tar: [UInt8] = []
        let writer = TarWriter { tar.append(contentsOf: $0) }
        try writer.writeEntry(TarEntryHeader(name: "hello.txt", kind: .regular, size: 5), data: Array("hello".utf8))
        try writer.finish()
        let layer = try blobs.write(Data(tar))
        let config = Data("""
            {"architecture":"amd64","config":{"Labels":{"stage":"old"}},"created":"2026-01-02T03:04:05.123456789Z",\
            "os":"linux","rootfs":{"type":"layers","diff_ids":["\(layer)"]}}
            """.utf8)
        let configDigest = try blobs.write(config)
        let manifest = Data("""
            {"schemaVersion":2,"mediaType":"\(MediaType.ociManifest)","config":{"mediaType":"\(MediaType.ociConfig)",\
            "digest":"\(configDigest)","size":\(config.count)},"layers":[{"mediaType":"\(MediaType.ociLayer)",\
            "digest":"\(layer)","size":\(tar.count)}]}
            """.utf8)
        let manifestDigest = try blobs.write(manifest)
        let old = try DatabaseQueue(path: root.databasePath)
        try old.write { db in
            try db.execute(sql: Self.v4Schema)
            try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
            for version in ["v1", "v2", "v3", "v4"] {
                try db.execute(sql: "INSERT INTO grdb_migrations VALUES (?)", arguments: [version])
            }
            try db.execute(sql: """
                INSERT INTO images VALUES (?, ?, ?, '2026-01-02T03:04:05.123456789Z', 1767323045.123, 5, '{"stage":"old"}',
                                           '2026-01-03T00:00:00Z', 1767398400)
                """, arguments: [configDigest.description, manifestDigest.description, MediaType.ociManifest])
            try db.execute(sql: "INSERT INTO tags VALUES ('docker.io/old/app:1', 'docker.io/old/app', '1', ?)",
                           arguments: [configDigest.description])
            try db.execute(sql: "INSERT INTO repo_digests VALUES (?, 'docker.io/old/app', ?)",
                           arguments: ["docker.io/old/app@\(manifestDigest)", configDigest.description])
            try db.execute(sql: "INSERT INTO layers VALUES (?, ?, ?, ?, 5, ?, 1)",
                           arguments: [layer.description, layer.description, MediaType.ociLayer, tar.count, tar.count])
            try db.execute(sql: "INSERT INTO image_layers VALUES (?, 0, ?)", arguments: [configDigest.description, layer.description])
            try db.execute(sql: "INSERT INTO build_cache VALUES ('step-key', ?, 'COPY hello.txt /', 5, 1767398400, 1767398400, 2)",
                           arguments: [layer.description])
            try db.execute(sql: """
                INSERT INTO events (time_nano, type, action, actor_id, attributes) VALUES
                (1767398400000000000, 'image', 'import', ?1, '{"name":"old/app:1"}'),
                (1767398401000000000, 'image', 'tag', ?1, '{"name":"old/app:1"}')
                """, arguments: [configDigest.description])
        }
        try old.close()
        let container = root.containersDirectory + "/0123456789ab"
        try FileManager.default.createDirectory(atPath: container, withIntermediateDirectories: true)

        let store = try ImageStore(root: root)
        let image = try #require(try store.images().first)
        #expect(try store.images().count == 1)
        #expect(image.id == configDigest)
        #expect(image.manifestDigest == manifestDigest)
        #expect(image.repoTags.map(\.familiarString) == ["old/app:1"])
        #expect(image.repoDigests.map(\.familiarString) == ["old/app@\(manifestDigest)"])
        #expect(image.labels == ["stage": "old"])
        #expect(image.created == "2026-01-02T03:04:05.123456789Z")
        #expect(try store.layers(of: image.id).map(\.blobDigest) == [layer])
        #expect(try store.cachedBuildStep(key: "step-key") != nil)
        #expect(try store.events().map(\.action) == ["import", "tag"])
        #expect(FileManager.default.fileExists(atPath: container))
        // The new tables start from what was there: the image's manifest is known by digest, names point at images.
        #expect(try store.manifest(digest: manifestDigest)?.data == manifest)
        #expect(try store.target(named: try ImageReference("old/app:1")) == .image(configDigest))
        #expect(try store.check().isHealthy)
        // And the old image takes part in what is new: a referrer about it.
        let empty = try store.blobs.write(Data("{}".utf8))
        let artifact = ImageManifest(config: Descriptor(mediaType: MediaType.ociEmpty, digest: empty, size: 2), layers: [],
                                     subject: Descriptor(mediaType: MediaType.ociManifest, digest: manifestDigest,
                                                         size: Int64(manifest.count)),
                                     artifactType: "application/vnd.example.note")
        try store.commitArtifact(try JSONEncoder().encode(artifact), mediaType: MediaType.ociManifest)
        #expect(try store.referrers(of: manifestDigest).count == 1)

        // A second open finds nothing left to migrate.
        let again = try ImageStore(root: root)
        #expect(try again.images().map(\.id) == [configDigest])
    }
}
