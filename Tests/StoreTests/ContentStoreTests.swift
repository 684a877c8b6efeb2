import Foundation
import OCI
import Testing
@testable import Store

/// The content-store protocol over the filesystem: ranged readers, and named ingest sessions that a later writer
/// (another process, after the first died) resumes, committed only under the digest their bytes hash to.
@Suite struct ContentStoreTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func sessionLeftByOneWriterIsResumedByAnother() throws {
        let fixture = try StoreFixture()
        defer { fixture.cleanup() }
        let content = Self.bytes(String(repeating: "0123456789", count: 50_000))
        let digest = Digest.sha256(Data(content))
        let first: any ContentStore = fixture.store.blobs
        let writer = try first.writer(session: "upload-7f3a")
        try content[..<123_456].withUnsafeBytes { try writer.write($0) }
        writer.close()  // as a killed process would: the lock goes, the bytes stay

        let second: any ContentStore = BlobStore(root: fixture.store.root)
        let resumed = try second.writer(session: "upload-7f3a")
        #expect(resumed.offset == 123_456)
        try content[123_456...].withUnsafeBytes { try resumed.write($0) }
        let info = try resumed.commit(as: digest, size: Int64(content.count))
        #expect(info == ContentInfo(digest: digest, size: Int64(content.count)))
        #expect(try second.info(digest) == info)
        // The session is over: the same name starts empty.
        let fresh = try second.writer(session: "upload-7f3a")
        #expect(fresh.offset == 0)
        fresh.abort()

        // Ranged reads.
        let reader = try second.reader(digest, range: 10..<25)
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
        #expect(Array(buffer[..<count]) == Array(content[10..<25]))
        #expect(try buffer.withUnsafeMutableBytes { try reader.read(into: $0) } == 0)
        #expect(throws: StoreError.self) { try second.reader(digest, range: 0..<Int64(content.count + 1)) }
        #expect(throws: StoreError.blobMissing(Digest.sha256(Data("absent".utf8)).description)) {
            try second.reader(Digest.sha256(Data("absent".utf8)), range: nil)
        }
    }

    @Test func aSessionHasOneWriterAndCommitsOnlyMatchingBytes() throws {
        let fixture = try StoreFixture()
        defer { fixture.cleanup() }
        let store: any ContentStore = fixture.store.blobs
        let writer = try store.writer(session: "s")
        #expect(throws: StoreError.self) { try store.writer(session: "s") }
        try Self.bytes("hello").withUnsafeBytes { try writer.write($0) }
        let wrong = Digest.sha256(Data("hellO".utf8))
        #expect(throws: StoreError.self) { try writer.commit(as: wrong) }
        #expect(throws: StoreError.self) { try writer.commit(as: Digest.sha256(Data("hello".utf8)), size: 4) }
        #expect(try store.info(wrong) == nil)
        let right = try writer.commit(as: Digest.sha256(Data("hello".utf8)))
        #expect(try fixture.store.blobs.read(right.digest) == Data("hello".utf8))
        #expect(throws: StoreError.self) { try store.writer(session: "") }
        // Committed content is a blob like any other: verified by `check`, collected as an orphan.
        #expect(try fixture.store.check().notes.count == 1)
        _ = try fixture.store.prune(all: false) { _ in true }
        #expect(try store.info(right.digest) == nil)
    }
}
