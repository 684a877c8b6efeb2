import Archive
import Foundation
import OCI
import Testing
@testable import Analyze

/// `ImageAnalysis.analyze` against the Python reference (Tests/AnalyzeTests/AnalyzeReferenceScript.swift) over layers
/// with overwrites, file and directory whiteouts, opaque directories, a whiteout beside a re-created entry, a file
/// replacing a directory, duplicates, hard links and symlinks.
@Suite struct ImageAnalysisTests {
    typealias Entry = AnalyzeTestSupport.LayerEntry
    static func bytes(_ count: Int, _ seed: UInt8) -> [UInt8] { AnalyzeTestSupport.content(count, seed: seed) }

    static let base: [Entry] = [
        .directory("etc"), .file("etc/passwd", bytes(100, 1)),
        .directory("usr"), .directory("usr/bin"), .file("usr/bin/tool", bytes(1000, 2)),
        .directory("usr/lib"), .file("usr/lib/a.so", bytes(500, 3)), .file("usr/lib/b.so", bytes(300, 4)),
        .directory("srv"), .directory("srv/data"), .file("srv/data/f1", bytes(60, 5)), .file("srv/data/f2", bytes(40, 6)),
        .directory("var"), .directory("var/cache"), .file("var/cache/x", bytes(200, 7)),
        .directory("var/cache/sub"), .file("var/cache/sub/y", bytes(50, 8)),
        .directory("tmp", mode: 0o755),
        .file("opt/dup1", bytes(700, 9)),  // opt/ itself is never listed: an implicit directory
    ]
    static let second: [Entry] = [
        .directory("etc"), .file("etc/passwd", bytes(120, 10)),
        .directory("usr/bin"), .whiteout("usr/bin/tool"),
        .directory("tmp", mode: 0o1777), .file("tmp/big", bytes(4000, 11)),
        .directory(".cache"), .file(".cache/old", bytes(30, 12)),
        .directory("home", uid: 1000),
    ]
    static let third: [Entry] = [
        .directory("tmp", mode: 0o1777), .whiteout("tmp/big"),
        .directory("usr"), .whiteout("usr/lib"),
        .directory("var/cache"), .opaque("var/cache"), .file("var/cache/new", bytes(10, 13)),
        .directory("var/cache/sub"), .file("var/cache/sub/z", bytes(5, 14)),
        .file("etc/passwd", bytes(130, 15)),
        // dive visits ".cache" before ".wh..cache": its stacked tree loses the re-created directory too.
        .whiteout(".cache"), .directory(".cache"), .file(".cache/new", bytes(20, 16)),
    ]
    static let fourth: [Entry] = [
        .directory("usr/lib"), .file("usr/lib/a.so", bytes(500, 3)),
        .hardLink("usr/lib/a2.so", target: "usr/lib/a.so"), .symlink("usr/lib/b.so", target: "a.so"),
        .file("srv/data", bytes(77, 17)),
        .file("opt/dup2", bytes(700, 9)), .file("opt/dup3", bytes(700, 9)),
        .file("etc/group", []), .file("etc/group2", []),
        .whiteout(".cache"),
        .file("usr/share/naïve.txt", bytes(11, 18)),
    ]

    struct Image {
        var sources: [ImageLayerSource]
        var paths: [String]
    }

    static func image(_ layers: [[Entry]], compress: Bool = false, in directory: URL) throws -> Image? {
        var sources: [ImageLayerSource] = []
        var paths: [String] = []
        for (index, entries) in layers.enumerated() {
            let tar = try AnalyzeTestSupport.layerTar(entries)
            var stored: [UInt8]? = nil
            if compress {
                guard let python = AnalyzeTestSupport.python() else { return nil }
                let gzip = try AnalyzeTestSupport.run(
                    [python, "-c", "import gzip,sys; sys.stdout.buffer.write(gzip.compress(sys.stdin.buffer.read()))"], input: tar)
                try #require(gzip.status == 0)
                stored = gzip.output
            }
            let layer = try AnalyzeTestSupport.layer(tar, in: directory, name: "layer\(index).tar", stored: stored,
                                                     createdBy: "/bin/sh -c step \(index)")
            sources.append(layer.source)
            paths.append(layer.path)
        }
        return Image(sources: sources, paths: paths)
    }

    static func expectMatches(_ analysis: ImageAnalysis, _ reference: ReferenceResult,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        let dive = reference.dive
        #expect(abs(analysis.efficiency - dive.efficiency) < 1e-12, sourceLocation: sourceLocation)
        #expect(analysis.wastedBytes == dive.wastedBytes, sourceLocation: sourceLocation)
        #expect(analysis.sizeBytes == dive.sizeBytes, sourceLocation: sourceLocation)
        #expect(analysis.userSizeBytes == dive.userSizeBytes, sourceLocation: sourceLocation)
        #expect(analysis.userWastedPercent == dive.userWastedPercent, sourceLocation: sourceLocation)
        #expect(analysis.inefficientFileCount == dive.inefficient.count, sourceLocation: sourceLocation)
        #expect(analysis.inefficientFiles.map { "\($0.path) \($0.count) \($0.wastedBytes)" }
                == dive.inefficient.map { "\($0.path) \($0.count) \($0.bytes)" }, sourceLocation: sourceLocation)
        #expect(analysis.layers.map(\.sizeBytes) == dive.layerSizes, sourceLocation: sourceLocation)
        #expect(analysis.layers.count == reference.layers.count, sourceLocation: sourceLocation)
        func changes(_ set: ChangeSet) -> Set<ReferenceResult.Change> {
            Set(set.files.map { ReferenceResult.Change(path: $0.path, kind: $0.kind.rawValue, size: $0.sizeBytes, count: $0.entryCount) })
        }
        for (layer, expected) in zip(analysis.layers, reference.layers) {
            #expect(changes(layer.added) == Set(expected.added), "layer \(layer.index) added", sourceLocation: sourceLocation)
            #expect(changes(layer.modified) == Set(expected.modified), "layer \(layer.index) modified", sourceLocation: sourceLocation)
            #expect(changes(layer.removed) == Set(expected.removed), "layer \(layer.index) removed", sourceLocation: sourceLocation)
            #expect(layer.added.count == expected.added.count && layer.removed.count == expected.removed.count,
                    sourceLocation: sourceLocation)
        }
        #expect(analysis.duplicates.map { "\($0.sizeBytes) \($0.paths) \($0.wastedBytes)" }
                == reference.duplicates.map { "\($0.size) \($0.paths) \($0.wasted)" }, sourceLocation: sourceLocation)
        #expect(analysis.duplicateBytes == reference.duplicates.reduce(0) { $0 + $1.wasted }, sourceLocation: sourceLocation)
    }

    static let everything = AnalysisOptions(topCount: 1000)

    @Test func fourLayersMatchTheReference() throws {
        let directory = try AnalyzeTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        guard let image = try Self.image([Self.base, Self.second, Self.third, Self.fourth], in: directory),
              let reference = try AnalyzeTestSupport.reference(image.paths) else { return }
        let analysis = try ImageAnalysis.analyze(layers: image.sources, options: Self.everything)
        Self.expectMatches(analysis, reference)
        // The fixture exercises what it claims to (a reference that found nothing would prove nothing).
        #expect(analysis.wastedBytes > 0 && analysis.efficiency < 1)
        #expect(analysis.layers[2].removed.files.contains(FileChange(path: "/usr/lib", kind: .directory, sizeBytes: 800, entryCount: 3)))
        #expect(analysis.layers[3].removed.files.map(\.path).sorted() == ["/.cache", "/srv/data/f1", "/srv/data/f2"])
        #expect(analysis.duplicates.first?.paths == ["/opt/dup1", "/opt/dup2", "/opt/dup3"])
        #expect(analysis.layers[1].command == "step 1" && analysis.layers[1].createdBy == "/bin/sh -c step 1")
        // dive counts a deleted directory only at its own path: /usr/lib occurs once (as the whiteout), a.so twice.
        #expect(!analysis.inefficientFiles.contains { $0.path == "/usr/lib" })
        #expect(analysis.inefficientFiles.contains(InefficientFile(path: "/usr/lib/a.so", count: 2, wastedBytes: 1000)))
    }

    @Test func compressedLayersGiveTheSameNumbers() throws {
        let directory = try AnalyzeTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        guard let image = try Self.image([Self.base, Self.second, Self.third], compress: true, in: directory),
              let reference = try AnalyzeTestSupport.reference(image.paths) else { return }
        Self.expectMatches(try ImageAnalysis.analyze(layers: image.sources, options: Self.everything), reference)
    }

    @Test func oneLayerHasNoUserBytes() throws {
        let directory = try AnalyzeTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        guard let image = try Self.image([Self.base], in: directory),
              let reference = try AnalyzeTestSupport.reference(image.paths) else { return }
        let analysis = try ImageAnalysis.analyze(layers: image.sources, options: Self.everything)
        Self.expectMatches(analysis, reference)
        #expect(analysis.userWastedPercent == nil && analysis.efficiency == 1 && analysis.layers[0].added.count == 19)
    }

    @Test func limitsAndOptionsKeepTheTotals() throws {
        let directory = try AnalyzeTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        guard let image = try Self.image([Self.base, Self.second, Self.third, Self.fourth], in: directory) else { return }
        let full = try ImageAnalysis.analyze(layers: image.sources, options: Self.everything)
        let limited = try ImageAnalysis.analyze(
            layers: image.sources, options: AnalysisOptions(topCount: 2, changeListLimit: 1, findDuplicates: false))
        #expect(limited.inefficientFiles == Array(full.inefficientFiles.prefix(2)))
        #expect(limited.inefficientFileCount == full.inefficientFileCount && limited.wastedBytes == full.wastedBytes)
        #expect(limited.layers[0].added.files.count == 1 && limited.layers[0].added.count == full.layers[0].added.count)
        #expect(limited.layers[0].added.files[0] == full.layers[0].added.files[0])
        #expect(limited.duplicateBytes == nil && limited.duplicates.isEmpty && full.duplicateBytes == 1400)
        let json = try JSONEncoder().encode(full)
        #expect(try JSONDecoder().decode(ImageAnalysis.self, from: json) == full)
    }

    @Test func aLyingDiffIDIsRefused() throws {
        let directory = try AnalyzeTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = try AnalyzeTestSupport.layer(AnalyzeTestSupport.layerTar(Self.base), in: directory, name: "good.tar")
        let tar = try AnalyzeTestSupport.layerTar(Self.second)
        let claimed = Digest.sha256(Array("something else".utf8))
        let lying = try AnalyzeTestSupport.layer(tar, in: directory, name: "lying.tar", diffID: claimed)
        #expect(throws: AnalyzeError.diffIDMismatch(layer: 1, claimed: claimed, actual: Digest.sha256(tar))) {
            try ImageAnalysis.analyze(layers: [good.source, lying.source])
        }
        do {
            _ = try ImageAnalysis.analyze(layers: [good.source, lying.source])
        } catch let error as AnalyzeError {
            #expect(error.kind == .invalidArgument && !error.description.contains("\n"))
        }
    }

    @Test(arguments: [700, 1024, 1536, 2100])
    func aTruncatedTarIsAnErrorNotATrap(cut: Int) throws {
        let directory = try AnalyzeTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tar = try AnalyzeTestSupport.layerTar(Self.base)
        let layer = try AnalyzeTestSupport.layer(tar, in: directory, name: "cut.tar", stored: Array(tar.prefix(cut)))
        #expect {
            _ = try ImageAnalysis.analyze(layers: [layer.source])
        } throws: { error in
            guard let error = error as? AnalyzeError else { return false }
            switch error {
            case .unreadableLayer(0, _, let message, .invalidArgument): return message.contains("unexpected EOF")
            case .diffIDMismatch(0, _, _): return true  // cut at an entry boundary: a shorter tar, proven wrong
            default: return false
            }
        }
    }

    @Test func garbageAndUnopenableLayersAreErrors() throws {
        let directory = try AnalyzeTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let garbage = Array(repeating: UInt8(0x41), count: 3000)
        let layer = try AnalyzeTestSupport.layer(garbage, in: directory, name: "garbage.tar")
        #expect(throws: AnalyzeError.self) { try ImageAnalysis.analyze(layers: [layer.source]) }
        let missing = ImageLayerSource(diffID: Digest.sha256(garbage), createdBy: nil) { throw POSIXError(.ENOENT) }
        #expect {
            _ = try ImageAnalysis.analyze(layers: [layer.source, missing])
        } throws: { error in
            // The first failing layer in layer order is the one reported.
            if case .unreadableLayer(0, _, _, _)? = error as? AnalyzeError { return true }
            return false
        }
        #expect {
            _ = try ImageAnalysis.analyze(layers: [missing])
        } throws: { error in
            if case .unreadableLayer(0, _, _, let kind)? = error as? AnalyzeError { return kind == .internal }
            return false
        }
    }

    @Test func aPathLongerThanPathMaxIsRefused() throws {
        let directory = try AnalyzeTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let deep = Array(repeating: "d", count: 2100).joined(separator: "/")
        let tar = try AnalyzeTestSupport.layerTar([.file(deep, [1])])
        let layer = try AnalyzeTestSupport.layer(tar, in: directory, name: "deep.tar")
        #expect {
            _ = try ImageAnalysis.analyze(layers: [layer.source])
        } throws: { error in
            guard case .unreadableLayer(0, _, let message, .invalidArgument)? = error as? AnalyzeError else { return false }
            return message.hasPrefix("/d/d/d/…: file name too long")
        }
    }

    @Test func emptyImage() throws {
        let analysis = try ImageAnalysis.analyze(layers: [])
        #expect(analysis.efficiency == 1 && analysis.wastedBytes == 0 && analysis.layers.isEmpty && analysis.userWastedPercent == nil)
    }

    @Test func entryNamesAreCleanedLikeLayerApplication() {
        #expect(LayerListingReader.cleanedPath("./usr//bin/") == "usr/bin")
        #expect(LayerListingReader.cleanedPath("/etc/../../x") == "x")
        #expect(LayerListingReader.cleanedPath("./") == nil)
        #expect(LayerListingReader.cleanedPath("a/./b") == "a/b")
    }

    @Test func fingerprintsDoNotDependOnHowTheDataIsSplit() {
        let data = AnalyzeTestSupport.content(10_000, seed: 42)
        func fingerprint(_ cuts: [Int]) -> UInt64 {
            var fingerprint = ContentFingerprint()
            var start = 0
            data.withUnsafeBytes { buffer in
                for cut in cuts + [data.count] {
                    fingerprint.update(UnsafeRawBufferPointer(rebasing: buffer[start..<cut]))
                    start = cut
                }
            }
            return fingerprint.finalize()
        }
        let whole = fingerprint([])
        #expect(fingerprint([1, 2, 3, 33, 64, 65, 1000, 9999]) == whole)
        #expect(fingerprint([31, 32, 5000]) == whole)
        var other = ContentFingerprint()
        var changed = data
        changed[5000] ^= 1
        changed.withUnsafeBytes { other.update($0) }
        #expect(other.finalize() != whole)
        var short = ContentFingerprint()
        [UInt8(1), 2].withUnsafeBytes { short.update($0) }
        var padded = ContentFingerprint()
        [UInt8(1), 2, 0].withUnsafeBytes { padded.update($0) }
        #expect(short.finalize() != padded.finalize())
    }
}
