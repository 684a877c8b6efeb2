import Foundation
import OCI
import Testing
@testable import Transport

/// `VerifyingBlobReader` hashes what it passes on, unless the reader underneath checks the same digest itself
/// (a registry stream): then it relies on that check, and a stream not read to its verified end fails.
@Suite struct VerifyingBlobReaderTests {
    final class Bytes: SelfVerifyingBlobReader {
        let data: [UInt8]
        var offset = 0
        let checks: Bool
        init(_ data: [UInt8], checks: Bool) { self.data = data; self.checks = checks }
        /// Like a registry stream: checked only when a read reports the end.
        var sawEnd = false
        var verifiedDigest: Digest? { checks && sawEnd ? Digest.sha256(Data(data)) : nil }
        func read(into buffer: UnsafeMutableRawBufferPointer) async throws -> Int {
            let count = min(buffer.count, data.count - offset)
            if count == 0 { sawEnd = true }
            data.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: count) }
            offset += count
            return count
        }
        func close() {}
    }

    static let payload = Array("layer bytes".utf8)

    func drain(_ reader: VerifyingBlobReader, upTo limit: Int = .max) async throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4, alignment: 1)
        defer { buffer.deallocate() }
        var total = 0
        while total < limit, case let count = try await reader.read(into: buffer), count > 0 { total += count }
    }

    @Test func trustsASelfVerifyingSourceOnlyOnceFullyRead() async throws {
        let digest = Digest.sha256(Data(Self.payload))
        let source = Bytes(Self.payload, checks: true)
        let full = VerifyingBlobReader(source, digest: digest, size: Int64(Self.payload.count), what: "layer", source: source)
        try await drain(full)
        try full.finish()

        // A consumer that stops at the promised size (an upload of known length): the end is asked for on its behalf.
        let sizedSource = Bytes(Self.payload, checks: true)
        let sized = VerifyingBlobReader(sizedSource, digest: digest, size: Int64(Self.payload.count), what: "layer", source: sizedSource)
        try await drain(sized, upTo: Self.payload.count)
        try sized.finish()

        let partialSource = Bytes(Self.payload, checks: true)
        let partial = VerifyingBlobReader(partialSource, digest: digest, size: nil, what: "layer", source: partialSource)
        try await drain(partial, upTo: 4)
        #expect(throws: TransportError.self) { try partial.finish() }
    }

    /// A reader that checks nothing.
    final class Plain: BlobReader {
        let inner: Bytes
        init(_ inner: Bytes) { self.inner = inner }
        func read(into buffer: UnsafeMutableRawBufferPointer) async throws -> Int { try await inner.read(into: buffer) }
        func close() {}
    }

    @Test func hashesWhenTheSourceDoesNotCheck() async throws {
        let right = Plain(Bytes(Self.payload, checks: false))
        let good = VerifyingBlobReader(right, digest: Digest.sha256(Data(Self.payload)), size: nil, what: "layer", source: right)
        try await drain(good)
        try good.finish()
        let wrong = Plain(Bytes(Self.payload, checks: false))
        let bad = VerifyingBlobReader(wrong, digest: Digest.sha256(Data("other".utf8)), size: nil, what: "layer", source: wrong)
        try await drain(bad)
        #expect(throws: TransportError.self) { try bad.finish() }
    }
}
