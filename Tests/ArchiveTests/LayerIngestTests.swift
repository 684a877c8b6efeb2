import Foundation
import Testing

@testable import Archive

@Suite struct LayerIngestTests {
    @Test func uncompressedTarDiffIDIsSha256OfFile() throws {
        let tar = try TestSupport.sampleTar()
        let (result, blob) = try TestSupport.ingest(tar, options: .init(encoding: .uncompressed))
        #expect(result.diffID.description == TestSupport.sha256(tar))
        #expect(result.blobDigest == result.diffID)
        #expect(blob == tar)
        #expect(result.uncompressedSize == Int64(tar.count))
        #expect(result.inputCompression == .none)
        #expect(result.entryCount == 10)
        #expect(result.reachedEndMarker)
    }

    @Test func gzipOutputDecompressesToTheOriginalBytes() throws {
        let tar = try TestSupport.sampleTar()
        // Small chunks force many gzip members and wrap-around of the slot ring.
        let (result, blob) = try TestSupport.ingest(tar, options: .init(encoding: .gzip(level: 1), chunkSize: 4096, parallelism: 3))
        #expect(result.blobDigest.description == TestSupport.sha256(blob))
        #expect(result.blobSize == Int64(blob.count))
        let (decompressed, status) = try TestSupport.run(["gzip", "-dc"], input: blob)
        #expect(status == 0)
        #expect(decompressed == tar)
        #expect(result.diffID.description == TestSupport.sha256(tar))
    }

    @Test func emptyInputIsAnEmptyLayerWithAValidGzipBlob() throws {
        let (result, blob) = try TestSupport.ingest([])
        #expect(result.diffID.description == TestSupport.sha256([]))
        #expect(result.entryCount == 0)
        let (decompressed, status) = try TestSupport.run(["gzip", "-dc"], input: blob)
        #expect(status == 0 && decompressed.isEmpty)
    }

    @Test(arguments: [["gzip", "-c"], ["bzip2", "-c"], ["xz", "-c"], ["zstd", "-q", "-c"]])
    func compressedInputHashesTheDecompressedStream(_ compressor: [String]) throws {
        guard TestSupport.toolExists(compressor[0]) else { return }
        let tar = try TestSupport.sampleTar()
        let (compressed, status) = try TestSupport.run(compressor, input: tar)
        #expect(status == 0)
        let (result, blob) = try TestSupport.ingest(compressed + (compressor[0] == "gzip" ? compressed : []))
        let expectedTar = compressor[0] == "gzip" ? tar + tar : tar  // concatenated members are one stream
        #expect(result.diffID.description == TestSupport.sha256(expectedTar))
        #expect(result.inputCompression.rawValue == compressor[0])
        #expect(try TestSupport.run(["gzip", "-dc"], input: blob).output == expectedTar)
    }

    @Test func truncatedEntryDataIsUnexpectedEOFNamingTheEntry() throws {
        let tar = try TestSupport.sampleTar()
        // Cut inside file6's data (70 000 bytes, the largest entry).
        let cut = try Self.dataOffset(of: "dir/file6", in: tar) + 1000
        #expect(throws: ArchiveError.unexpectedEOF(entry: "dir/file6")) {
            try TestSupport.ingest(Array(tar[..<cut]))
        }
        #expect("\(ArchiveError.unexpectedEOF(entry: "x"))" == "unexpected EOF")
    }

    @Test func truncatedGzipIsUnexpectedEOF() throws {
        let tar = try TestSupport.sampleTar()
        let compressed = try TestSupport.run(["gzip", "-c"], input: tar).output
        #expect(throws: ArchiveError.self) { try TestSupport.ingest(Array(compressed.prefix(compressed.count / 2))) }
    }

    @Test func endWithoutZeroBlocksOrInsidePaddingIsAccepted() throws {
        let tar = try TestSupport.sampleTar(fileSizes: [3])
        let offset = try Self.dataOffset(of: "dir/file0", in: tar)
        let atBoundary = try TestSupport.ingest(Array(tar[..<(offset + 512)])).result
        #expect(!atBoundary.reachedEndMarker)
        #expect(atBoundary.diffID.description == TestSupport.sha256(Array(tar[..<(offset + 512)])))
        #expect(throws: Never.self) { try TestSupport.ingest(Array(tar[..<(offset + 3)])) }
        #expect(throws: ArchiveError.unexpectedEOF(entry: "dir/file0")) { try TestSupport.ingest(Array(tar[..<(offset + 2)])) }
        #expect(throws: ArchiveError.unexpectedEOF(entry: nil)) { try TestSupport.ingest(Array(tar[..<(offset + 600)])) }
    }

    @Test func garbageInputFailsFastWithDockersMessage() throws {
        var generator = SystemRandomNumberGenerator()
        let garbage = (0..<5000).map { _ in UInt8.random(in: 1...255, using: &generator) }
        #expect(throws: ArchiveError.invalidHeader(offset: 0)) { try TestSupport.ingest(garbage) }
        #expect("\(ArchiveError.invalidHeader(offset: 0))" == "archive/tar: invalid tar header")
        #expect(throws: ArchiveError.unexpectedEOF(entry: nil)) { try TestSupport.ingest(Array("hello\n".utf8)) }
    }

    @Test func trailingBytesAfterEndMarkerAreHashedNotValidated() throws {
        let tar = try TestSupport.sampleTar() + Array("trailing junk".utf8)
        let (result, _) = try TestSupport.ingest(tar)
        #expect(result.diffID.description == TestSupport.sha256(tar))
    }

    /// A measuring apply proves a layer in the pass that unpacks it: the same diffID and sizes as an ingest, for
    /// plain and gzip layers, with bytes after the end marker hashed.
    @Test(arguments: [false, true])
    func measuringApplyGivesTheIngestNumbers(gzip: Bool) throws {
        let tar = try TestSupport.sampleTar() + [UInt8](repeating: 0, count: 4096) + Array("trailing junk".utf8)
        let layer = gzip ? try TestSupport.run(["gzip", "-c"], input: tar).output : tar
        let (ingested, _) = try TestSupport.ingest(layer)
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let measured = try layer.withUnsafeBytes {
            try LayerApplier(directory: directory.path, options: .init(preserveOwnership: false)).apply(layerBytes: $0, measuring: true)
        }.measurement
        #expect(measured == LayerApplier.Measurement(diffID: ingested.diffID, uncompressedSize: ingested.uncompressedSize,
                                                     contentSize: ingested.contentSize))
        #expect(measured?.diffID.description == TestSupport.sha256(tar))
        #expect(FileManager.default.fileExists(atPath: directory.path + "/dir/file6"))
    }

    @Test func readsFromANonSeekablePipe() async throws {
        let tar = try TestSupport.sampleTar()
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let writeEnd = fds[1]
        let writer = Thread {
            tar.withUnsafeBytes { try? FileDescriptorIO.writeAll(writeEnd, $0) }
            close(writeEnd)
        }
        writer.start()
        let result = try await LayerIngest.ingest(from: fds[0], to: nil)
        close(fds[0])
        #expect(result.diffID.description == TestSupport.sha256(tar))
        #expect(result.blobDigest == result.diffID)
    }

    // docker's size of a real rootfs is checked against dockerd itself by the integration suite ("inspect: same
    // JSON keys and types as docker, equal Size"); a digest hard-coded here for a file another script makes in
    // /tmp went stale when that script changed.

    @Test func contentSizeCountsFilesSymlinkTargetsAndLastWriteOfAPath() throws {
        var tar: [UInt8] = []
        let writer = TarWriter { tar.append(contentsOf: $0) }
        try writer.writeEntry(TarEntryHeader(name: "a", kind: .regular), data: [UInt8](repeating: 1, count: 100))
        try writer.writeEntry(TarEntryHeader(name: "./a", kind: .regular), data: [UInt8](repeating: 1, count: 10))
        try writer.writeEntry(TarEntryHeader(name: "l", kind: .symbolicLink, linkName: "target"))
        try writer.writeEntry(TarEntryHeader(name: "h", kind: .hardLink, linkName: "a"))
        try writer.writeEntry(TarEntryHeader(name: "d/", kind: .directory))
        try writer.writeEntry(TarEntryHeader(name: "d/.wh.x", kind: .regular), data: [1, 2, 3])
        try writer.finish()
        #expect(try TarStreamValidator.validate(tar).contentSize == 10 + 6)
    }

    static func dataOffset(of name: String, in tar: [UInt8]) throws -> Int {
        // Walk headers by hand: each entry is a header block plus padded data.
        var offset = 0
        while offset + 512 <= tar.count {
            let header = Array(tar[offset..<(offset + 512)])
            let entryName = String(decoding: header[0..<100].prefix { $0 != 0 }, as: UTF8.self)
            let sizeText = String(decoding: header[124..<135], as: UTF8.self)
            let size = Int(sizeText, radix: 8) ?? 0
            if entryName == name { return offset + 512 }
            offset += 512 + (size + 511) / 512 * 512
        }
        throw ArchiveError.invalidArgument("no entry \(name)")
    }
}
