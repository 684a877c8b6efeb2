import Foundation
import Testing

@testable import Archive

@Suite struct DirectoryTarStreamTests {
    /// A tree with every supported file type; returns its root.
    static func makeTree() throws -> URL {
        let root = try TestSupport.temporaryDirectory()
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("b/sub"), withIntermediateDirectories: true)
        try fm.createDirectory(at: root.appendingPathComponent("a"), withIntermediateDirectories: true)
        try TestSupport.writeFile(Array(repeating: 7, count: 3000), to: root.appendingPathComponent("b/sub/data"))
        try TestSupport.writeFile([], to: root.appendingPathComponent("a/empty"))
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("a/link").path, withDestinationPath: "../b/sub/data")
        try fm.linkItem(at: root.appendingPathComponent("b/sub/data"), to: root.appendingPathComponent("a/hard"))
        #expect(mkfifo(root.appendingPathComponent("a/fifo").path, 0o600) == 0)
        chmod(root.appendingPathComponent("b").path, 0o750)
        return root
    }

    static func tar(of root: URL) throws -> [UInt8] {
        var tar: [UInt8] = []
        try DirectoryTarStream.write(directory: root.path, to: TarWriter { tar.append(contentsOf: $0) })
        return tar
    }

    @Test func directoryRoundTripsThroughTheReader() throws {
        let root = try Self.makeTree()
        defer { try? FileManager.default.removeItem(at: root) }
        let tar = try Self.tar(of: root)
        var entries: [TarEntryHeader] = []
        _ = try TarStreamValidator.validate(tar) { entries.append($0) }
        #expect(entries.map(\.name) == ["a/", "a/empty", "a/fifo", "a/hard", "a/link", "b/", "b/sub/", "b/sub/data"])
        let byName = Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0) })
        #expect(byName["a/hard"]?.size == 3000 && byName["a/hard"]?.kind == .regular)
        #expect(byName["b/sub/data"]?.kind == .hardLink && byName["b/sub/data"]?.linkName == "a/hard")
        #expect(byName["a/link"]?.linkName == "../b/sub/data")
        #expect(byName["a/fifo"]?.kind == .fifo)
        #expect(byName["b/"]?.mode == 0o750)
        #expect(byName["a/"]?.uid == Int(getuid()))
        #expect(try Self.tar(of: root) == tar, "output is deterministic")
    }

    @Test func directoryTarIsReadByGnuTarAndPython() throws {
        let root = try Self.makeTree()
        defer { try? FileManager.default.removeItem(at: root) }
        let tar = try Self.tar(of: root)
        if TestSupport.toolExists("tar") {
            let (listing, status) = try TestSupport.run(["tar", "-tvf", "-"], input: tar)
            #expect(status == 0)
            #expect(String(decoding: listing, as: UTF8.self).contains("b/sub/data link to a/hard"))
        }
        if TestSupport.toolExists("python3") {
            let script = "import sys,tarfile,io; print(len(tarfile.open(fileobj=io.BytesIO(sys.stdin.buffer.read())).getmembers()))"
            let (output, status) = try TestSupport.run(["python3", "-c", script], input: tar)
            #expect(status == 0 && String(decoding: output, as: UTF8.self) == "8\n")
        }
    }

    @Test func pipeFeedsTheIngestWithoutATemporaryFile() async throws {
        let root = try Self.makeTree()
        defer { try? FileManager.default.removeItem(at: root) }
        let expected = try Self.tar(of: root)
        let pipe = try DirectoryTarStream.openPipe(directory: root.path)
        let result = try await LayerIngest.ingest(from: pipe.fileDescriptor, to: nil)
        close(pipe.fileDescriptor)
        try pipe.waitForWriter()
        #expect(result.diffID.description == TestSupport.sha256(expected))
        #expect(result.entryCount == 8)
        #expect(result.contentSize == 3000 + Int64("../b/sub/data".utf8.count))
    }

    @Test func missingDirectoryReportsTheWriterError() throws {
        let pipe = try DirectoryTarStream.openPipe(directory: "/nonexistent-\(UUID().uuidString)")
        _ = try? LayerIngest.ingest(from: pipe.fileDescriptor, to: nil)
        close(pipe.fileDescriptor)
        #expect(throws: ArchiveError.self) { try pipe.waitForWriter() }
    }
}
