import Foundation
import Testing

@testable import Archive

/// The threaded decoder (`DecodeAheadSource`) and the chunked reader `LayerApplier` now runs on:
/// bytes arrive whole and in order, errors from the decoding thread surface on the reader, and
/// stopping early neither hangs nor touches the descriptor afterwards.
@Suite("DecodeAhead")
struct DecodeAheadTests {
    /// A ByteSource handing out `bytes` in pieces of `step`, optionally failing at `failAt`.
    final class PiecewiseSource: ByteSource {
        let bytes: [UInt8]
        let step: Int
        let failAt: Int?
        var offset = 0

        init(_ bytes: [UInt8], step: Int, failAt: Int? = nil) {
            self.bytes = bytes
            self.step = step
            self.failAt = failAt
        }

        func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            if let failAt, offset >= failAt { throw ArchiveError.corruptCompressedInput("flate: corrupt input") }
            let count = min(step, buffer.count, bytes.count - offset)
            bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: count) }
            offset += count
            return count
        }
    }

    static func pattern(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) } }

    @Test(arguments: [1, 700, 4096, 10_000])
    func chunksArriveWholeAndInOrder(step: Int) throws {
        let input = Self.pattern(100_000)
        let source = DecodeAheadSource(source: PiecewiseSource(input, step: step), chunkSize: 4096, depth: 3)
        defer { source.stop() }
        var output: [UInt8] = []
        var sizes: [Int] = []
        while let chunk = try source.nextChunk() {
            sizes.append(chunk.count)
            output.append(contentsOf: chunk)
        }
        #expect(output == input)
        #expect(sizes.dropLast().allSatisfy { $0 == 4096 })  // full chunks keep tar blocks whole
        #expect(try source.nextChunk() == nil)
    }

    @Test func copyingReadsMatchTheInput() throws {
        let input = Self.pattern(50_001)
        let source = DecodeAheadSource(source: PiecewiseSource(input, step: 333), chunkSize: 4096, depth: 2)
        defer { source.stop() }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1000)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if count == 0 { break }
            output += buffer[0..<count]
        }
        #expect(output == input)
    }

    @Test func decoderErrorsReachTheReaderAfterTheGoodBytes() throws {
        let input = Self.pattern(20_000)
        let source = DecodeAheadSource(source: PiecewiseSource(input, step: 1000, failAt: 10_000), chunkSize: 4096, depth: 4)
        defer { source.stop() }
        var received = 0
        #expect(throws: ArchiveError.corruptCompressedInput("flate: corrupt input")) {
            while let chunk = try source.nextChunk() { received += chunk.count }
        }
        // The source fails on the read after reaching 10,000 (at 10,192, in steps of 1,000): every byte it gave
        // arrives, the last chunk short.
        #expect(received == 10_192)
        #expect(try source.nextChunk() == nil)
    }

    @Test func stoppingEarlyEndsTheThread() throws {
        for _ in 0..<50 {
            let source = DecodeAheadSource(source: PiecewiseSource(Self.pattern(1 << 20), step: 5000), chunkSize: 4096, depth: 2)
            _ = try source.nextChunk()
            source.stop()
            source.stop()
            #expect(try source.nextChunk() == nil)
        }
    }

    @Test func readerGathersHeaderBlocksAcrossOddChunks() throws {
        let layer = try TestSupport.sampleTar()
        let chunks = DirectChunkSource(source: PiecewiseSource(layer, step: 700), chunkSize: 4096)
        let reader = LayerApplyReader(chunks: chunks)
        var output: [UInt8] = []
        var takeBlock = true
        while true {
            let span = takeBlock ? try reader.contiguous(512) : try reader.next(upTo: 1000)
            if span.isEmpty { break }
            if takeBlock { #expect(span.count == 512) }
            output.append(contentsOf: span)
            takeBlock.toggle()
        }
        #expect(output == layer)
    }

    /// A gzip layer goes through the decoding thread; small chunks put many boundaries inside files.
    @Test func gzipLayersApplyThroughTheDecodingThread() throws {
        guard TestSupport.toolExists("gzip") else { return }
        let big = Self.pattern(300_001)
        let layer = try LayerApplyFixture.layer { tar in
            try tar.writeEntry(TarEntryHeader(name: "dir", kind: .directory, mode: 0o755))
            try tar.writeEntry(TarEntryHeader(name: "dir/big", kind: .regular, mode: 0o644), data: big)
            for index in 0..<40 { try tar.file("dir/f\(index)", String(repeating: "x", count: index * 37)) }
        }
        let compressed = try TestSupport.run(["gzip", "-c"], input: layer)
        let fixture = try LayerApplyFixture()
        let applier = try LayerApplier(directory: fixture.targetPath, options: .init(bufferSize: 4096))
        let summary = try compressed.output.withUnsafeBytes { try applier.apply(layerBytes: $0) }
        #expect(summary.compression == .gzip)
        #expect(summary.entryCount == 42)
        #expect(FileManager.default.contents(atPath: fixture.target.appendingPathComponent("dir/big").path).map(Array.init) == big)
        #expect(fixture.contents("dir/f39") == String(repeating: "x", count: 39 * 37))
    }

    /// gzip's CRC-32 is always checked, also when decoding ahead on another thread.
    @Test func gzipChecksumIsChecked() throws {
        guard TestSupport.toolExists("gzip") else { return }
        let input = Self.pattern(100_000)
        var compressed = try TestSupport.run(["gzip", "-c"], input: input).output
        compressed[compressed.count - 8] ^= 0xff  // the trailer's CRC-32
        #expect(throws: ArchiveError.corruptCompressedInput("gzip: invalid checksum")) { try decode(compressed) }
    }

    /// Members follow one another (pigz, our own chunked output); anything else after a member is an
    /// error, as in Go's multistream reader.
    @Test func gzipMembersChainAndTrailingGarbageIsABadHeader() throws {
        guard TestSupport.toolExists("gzip") else { return }
        let first = Self.pattern(70_000), second = Array(Self.pattern(130_000).reversed())
        let joined = try TestSupport.run(["gzip", "-c"], input: first).output
            + TestSupport.run(["gzip", "-1", "-c"], input: second).output
        #expect(try decode(joined) == first + second)
        #expect(throws: ArchiveError.corruptCompressedInput("gzip: invalid header")) {
            try decode(joined + Array("this is not gzip".utf8))
        }
        // Fewer than a header's 10 bytes: Go's io.ReadFull gives "unexpected EOF".
        #expect(throws: ArchiveError.unexpectedEOF(entry: nil)) { try decode(joined + Array("short".utf8)) }
    }

    private func decode(_ compressed: [UInt8]) throws -> [UInt8] {
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("input.gz")
        try TestSupport.writeFile(compressed, to: url)
        let fd = open(url.path, O_RDONLY)
        defer { close(fd) }
        let reader = try DecompressingInput(fileDescriptor: fd, decodeAhead: true)
        defer { reader.close() }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
            if count == 0 { return output }
            output += buffer[0..<count]
        }
    }

    /// A failure in the middle of a gzip layer stops the decoding thread before `apply` returns.
    @Test func gzipLayerFailuresStopTheThread() throws {
        guard TestSupport.toolExists("gzip") else { return }
        let layer = try LayerApplyFixture.layer { tar in
            try tar.file("ok", "fine")
            try tar.writeEntry(TarEntryHeader(name: "bad", kind: .other(UInt8(ascii: "7"))), data: [1])
            try tar.writeEntry(TarEntryHeader(name: "tail", kind: .regular), data: Self.pattern(2_000_000))
        }
        let compressed = try TestSupport.run(["gzip", "-c"], input: layer)
        let fixture = try LayerApplyFixture()
        #expect(throws: ArchiveError.invalidArgument("unhandled tar header type 55")) { try fixture.apply(compressed.output) }
        var truncated = compressed.output
        truncated.removeLast(truncated.count / 2)
        #expect(throws: ArchiveError.self) { try fixture.apply(truncated) }
    }
}

/// The readahead list follows the walk: sorted component by component, bytewise, as `DirectoryWalker` visits.
@Suite struct SourceReadaheadOrderTests {
    @Test func walkOrderIsDepthFirstByComponent() {
        let names = ["b", "a-b/x", "a/z", "a/b/c", "A", "a.b"]
        #expect(SourceReadahead.walkOrder(names) == ["A", "a/b/c", "a/z", "a-b/x", "a.b", "b"])
    }
}
