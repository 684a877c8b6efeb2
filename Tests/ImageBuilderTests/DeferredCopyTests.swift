import Archive
import Foundation
import OCI
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import ImageBuilder

/// COPY with placeholders (`deferContents`): the layer read through `contentSources` and the tree filled later
/// must equal a plain copy, byte for byte.
@Suite(.serialized) struct DeferredCopyTests {
    private func copyAll(_ fixture: CopySemanticsTests.Fixture, deferContents: Bool, to destination: String = "all") async throws -> CopySummary {
        try await FileCopier.copy(CopyRequest(sources: ["."], destination: "/\(destination)/"), from: fixture.context.tree,
                                  into: fixture.root, deferContents: deferContents)
    }

    private func layerBytes(_ directory: String, sources: [String: String], under top: String = "all") throws -> [UInt8] {
        let pipe = try OverlayUpper.openPipe(upper: directory + "/" + top, options: .init(contentSources: sources.reduce(into: [:]) {
            $0[String($1.key.dropFirst(top.count + 1))] = $1.value
        }))
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(pipe.fileDescriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            bytes += buffer[..<count]
        }
        close(pipe.fileDescriptor)
        try pipe.waitForWriter()
        return bytes
    }

    @Test func placeholdersGiveTheSameLayerAndTree() async throws {
        // One context copied twice into one root: placeholders under /all, a plain copy under /plain.
        let deferred = try CopySemanticsTests.Fixture()
        let summary = try await copyAll(deferred, deferContents: true)
        #expect(try await copyAll(deferred, deferContents: false, to: "plain").contentSources.isEmpty)
        #expect(summary.contentSources["all/a.txt"].map { ($0 as NSString).standardizingPath } == (deferred.ctx + "/a.txt" as NSString).standardizingPath)
        // Both names of a hard-linked file point at a source: either may come first in the layer.
        #expect(summary.contentSources["all/dir/hard1"] != nil && summary.contentSources["all/dir/hard2"] != nil)
        var placeholder = stat()
        #expect(stat(deferred.root + "/all/a.txt", &placeholder) == 0 && placeholder.st_blocks == 0 && placeholder.st_size > 0)

        let layer = try layerBytes(deferred.root, sources: summary.contentSources)
        #expect(try layer == layerBytes(deferred.root, sources: [:], under: "plain"))

        // The fill: the layer written into the placeholders in place (same inodes).
        let target = deferred.root
        var before = stat()
        #expect(stat(target + "/all/a.txt", &before) == 0)
        let applied = try layer.withUnsafeBytes {
            try LayerApplier(directory: target + "/all", options: .init(rewriteFilesInPlace: true)).apply(layerBytes: $0)
        }
        #expect(applied.whiteoutCount == 0)
        var after = stat()
        #expect(stat(target + "/all/a.txt", &after) == 0 && after.st_ino == before.st_ino && after.st_blocks > 0)
        let paths = allPaths(root: target, under: "/all")
        #expect(paths.count > 5)
        for path in paths {
            let plainPath = "/plain" + path.dropFirst("/all".count)
            #expect(listing(root: target, path: path)?.dropFirst(path.count) == listing(root: target, path: plainPath)?.dropFirst(plainPath.count))
            // Filled bytes, and the source's mtime kept through the fill.
            var filled = stat(), source = stat()
            if lstat(target + path, &filled) == 0, filled.st_mode & S_IFMT == S_IFREG,
               lstat(deferred.ctx + path.dropFirst("/all".count), &source) == 0, source.st_mode & S_IFMT == S_IFREG {
                #expect(FileManager.default.contents(atPath: target + path) == FileManager.default.contents(atPath: target + plainPath))
                #expect(filled.st_mtim.tv_sec == source.st_mtim.tv_sec && filled.st_mtim.tv_nsec == source.st_mtim.tv_nsec)
            }
        }
    }

    @Test func aSourceThatChangedSizeFailsTheLayer() async throws {
        let fixture = try CopySemanticsTests.Fixture()
        let summary = try await copyAll(fixture, deferContents: true)
        try Data("a different length\n".utf8).write(to: URL(fileURLWithPath: fixture.ctx + "/a.txt"))
        #expect(throws: ArchiveError.invalidArgument("\(summary.contentSources["all/a.txt"] ?? ""): file changed size while being archived")) {
            try layerBytes(fixture.root, sources: summary.contentSources)
        }
    }
}
