// libFuzzer entry point for the manifest and index documents a registry (or an archive) hands over: any bytes must
// decode or fail as OCI's types, and what decodes must encode again without a trap. BuildKit's cache documents too.
import Foundation
import GoText
import OCI

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    let decoder = JSONDecoder()
    if let manifest = try? decoder.decode(ImageManifest.self, from: bytes) { _ = GoJSON.encode(manifest) }
    if let index = try? decoder.decode(ImageIndex.self, from: bytes) {
        _ = GoJSON.encode(index)
        for entry in index.manifests { _ = entry.platform.map { PlatformMatcher.host.matches($0) } }
    }
    if let config = try? decoder.decode(ImageConfig.self, from: bytes) { _ = config.platform }
    if let entries = try? decoder.decode([DockerArchiveManifestEntry].self, from: bytes) { _ = entries.count }
    _ = try? decoder.decode(Descriptor.self, from: bytes)
    // BuildKit's cache config and inline records, as a --cache-from source hands them over.
    if let cache = try? decoder.decode(BuildKitCacheConfig.self, from: bytes), let steps = try? cache.stepResults() {
        _ = BuildKitCacheConfig.canonicalJSON(BuildKitCacheConfig(steps: Array(steps.values)))
    }
    let layer = CacheLayerReference(descriptor: Descriptor(mediaType: MediaType.ociLayerGzip, digest: Digest.sha256(Data()), size: 0),
                                    diffID: nil)
    _ = try? BuildKitCacheConfig.inlineStepResults(bytes, imageLayers: [layer, layer])
    return 0
}
