import Foundation
import GoText
import OCI
import Testing
@testable import ImageBuilder

/// BuildKit's cache config and inline records: what Strata writes reads back to the same steps, BuildKit's own
/// inline records (as docker 20.10 wrote them) parse, and documents that lie are refused whole.
@Suite struct BuildKitCacheConfigTests {
    static func layer(_ name: String) -> CacheLayerReference {
        CacheLayerReference(descriptor: Descriptor(mediaType: MediaType.ociLayerGzip, digest: Digest.sha256(Data(name.utf8)), size: 10),
                            diffID: Digest.sha256(Data((name + "-tar").utf8)))
    }

    static let base = CachedStepResult(key: "sha256:" + String(repeating: "a", count: 64), parentKey: nil, layers: [layer("base")],
                                       createdAt: nil)
    static let copy = CachedStepResult(key: "sha256:" + String(repeating: "b", count: 64), parentKey: base.key,
                                       layers: [layer("base"), layer("copy")], createdAt: try! Timestamp("2026-12-07T20:37:26.44031785Z"))
    static let empty = CachedStepResult(key: "sha256:" + String(repeating: "c", count: 64), parentKey: copy.key,
                                        layers: [layer("base"), layer("copy")], createdAt: try! Timestamp("2026-12-07T20:37:27Z"))
    static let run = CachedStepResult(key: "sha256:" + String(repeating: "d", count: 64), parentKey: empty.key,
                                      layers: [layer("base"), layer("copy"), layer("run")], createdAt: try! Timestamp("2026-12-07T20:37:28.1Z"))

    @Test func roundTripKeepsChainsAndTimesExactly() throws {
        let steps = [Self.run, Self.base, Self.empty, Self.copy]
        let data = BuildKitCacheConfig.canonicalJSON(BuildKitCacheConfig(steps: steps))
        // The same steps in any order give the same bytes (an inline cache must not move an image's digest).
        #expect(data == BuildKitCacheConfig.canonicalJSON(BuildKitCacheConfig(steps: steps.reversed())))
        let document = try JSONDecoder().decode(BuildKitCacheConfig.self, from: data)
        #expect(document.layers.count == 3)
        #expect(document.layers[0].parent == -1)
        let results = try document.stepResults()
        for step in steps { #expect(results[step.key] == step) }
    }

    @Test func inlineRecordsCountTheImagesLayers() throws {
        let image = [Self.layer("base"), Self.layer("copy"), Self.layer("run")]
        let data = BuildKitCacheConfig.inlineRecords(steps: [Self.base, Self.copy, Self.empty, Self.run,
                                                             CachedStepResult(key: "sha256:other", parentKey: nil, layers: [Self.layer("x")], createdAt: nil)],
                                                     imageLayers: image.map(\.descriptor.digest))
        let results = try BuildKitCacheConfig.inlineStepResults(data, imageLayers: image)
        #expect(results.count == 4)
        #expect(results[Self.run.key]?.layers == image)
        #expect(results[Self.empty.key]?.layers == Array(image.prefix(2)))
        #expect(results["sha256:other"] == nil)
    }

    /// Records as docker 20.10's BuildKit wrote them inline (from `docker build --build-arg BUILDKIT_INLINE_CACHE=1`).
    @Test func readsBuildKitsInlineRecords() throws {
        let records = """
            [{"layers":[{"layer":2,"createdAt":"2026-12-07T20:37:35.057657269Z"}],"digest":"sha256:ad27","inputs":[[{"link":3}]]},
             {"digest":"sha256:c24a"},
             {"layers":[{"layer":3,"createdAt":"2026-12-07T20:37:35.130345422Z"}],"digest":"sha256:e62f","inputs":[[{"link":0}]]},
             {"layers":[{"layer":1,"createdAt":"2026-12-07T20:37:26.44031785Z"}],"digest":"sha256:f419","inputs":[[{"link":4}],[{"link":1}]]},
             {"digest":"sha256:ff8b"}]
            """
        let image = ["busybox", "copy", "run1", "run2"].map(Self.layer)
        let results = try BuildKitCacheConfig.inlineStepResults(Data(records.utf8), imageLayers: image)
        #expect(results["sha256:e62f"]?.layers == image)
        #expect(results["sha256:e62f"]?.parentKey == "sha256:ad27")
        #expect(results["sha256:f419"]?.layers == Array(image.prefix(2)))
        #expect(results["sha256:f419"]?.createdAt?.rawValue == "2026-12-07T20:37:26.44031785Z")
    }

    @Test func liesAreRefusedWhole() throws {
        let loop = BuildKitCacheConfig(layers: [.init(blob: Digest.sha256(Data()).description, parent: 1),
                                                .init(blob: Digest.sha256(Data()).description, parent: 0, annotations: .init(size: 1))],
                                       records: [.init(results: [.init(layer: 0)], digest: "sha256:x")])
        #expect(throws: CacheFormatError.self) { try loop.stepResults() }
        let outside = BuildKitCacheConfig(layers: [], records: [.init(results: [.init(layer: 5)], digest: "sha256:x")])
        #expect(throws: CacheFormatError.self) { try outside.stepResults() }
        let notDigest = BuildKitCacheConfig(layers: [.init(blob: "garbage", parent: -1, annotations: .init(size: 1))],
                                            records: [.init(results: [.init(layer: 0)], digest: "sha256:x")])
        #expect(throws: CacheFormatError.self) { try notDigest.stepResults() }
        #expect(throws: CacheFormatError.self) { try BuildKitCacheConfig.inlineStepResults(Data("{".utf8), imageLayers: []) }
        // Random bytes never trap.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let bytes = (0..<Int.random(in: 0..<200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = try? BuildKitCacheConfig.inlineStepResults(Data(bytes), imageLayers: [Self.layer("a")])
            _ = try? JSONDecoder().decode(BuildKitCacheConfig.self, from: Data(bytes)).stepResults()
        }
    }

    @Test func specsParseAsBuildxReadsThem() throws {
        #expect(try BuildCacheSpec.parse("user/app:cache", export: false) == BuildCacheSpec(kind: .registry, attributes: ["ref": "user/app:cache"]))
        let local = try BuildCacheSpec.parse("type=local,src=/tmp/c", export: false)
        #expect(local.kind == .local && local.directory == "/tmp/c" && local.tag == "latest")
        let max = try BuildCacheSpec.parse("type=registry,ref=r/a:c,mode=max,ignore-error=true", export: true)
        #expect(max.mode == .max && max.ignoresErrors && max.reference == "r/a:c")
        #expect(try BuildCacheSpec.parse("type=inline", export: true).kind == .inline)
        for bad in ["type=gha", "type=local", "mode=max", "type=registry", "type=registry,ref=x,mode=all", "type=local,src"] {
            #expect(throws: BuildFailure.self, "\(bad)") { try BuildCacheSpec.parse(bad, export: bad.contains("src") ? false : true) }
        }
        #expect(throws: BuildFailure.self) { try BuildCacheSpec.parse("type=inline", export: false) }
    }
}
