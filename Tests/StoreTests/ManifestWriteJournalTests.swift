import Foundation
import OCI
import Testing
@testable import Store

/// A process killed between writing a manifest blob and recording it leaves a note (migration v8), so `check` sees
/// an interrupted write (an orphan, reclaimed by prune) and not lost metadata; blobs without any note still are.
@Suite struct ManifestWriteJournalTests {
    static let manifest = Data(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#.utf8)

    @Test func interruptedWriteIsAnOrphanNotDamage() throws {
        let fixture = try StoreFixture()
        defer { fixture.cleanup() }
        // What a kill -9 after the blob but before the transaction leaves behind.
        _ = try fixture.store.writeManifestBlob(Self.manifest)
        let report = try fixture.store.check()
        #expect(report.isHealthy, "\(report.damage)")
        #expect(report.notes.contains { $0.contains("no image references") })
        // A finished write drops its own note; the interrupted one stays until a prune reclaims it.
        let image = try fixture.importImage(content: "x", tag: "a/b:1")
        #expect(try fixture.store.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM manifest_writes") } == 1)
        _ = image
    }

    @Test func manifestsWithNoMetadataAtAllAreDamage() throws {
        let fixture = try StoreFixture()
        defer { fixture.cleanup() }
        _ = try fixture.store.blobs.write(Self.manifest)
        let report = try fixture.store.check()
        #expect(!report.isHealthy && report.damage.contains { $0.contains("metadata may be lost") }, "\(report)")
    }
}
