// libFuzzer entry point for the manifest and index documents a registry (or an archive) hands over: any bytes must
// decode or fail as OCI's types, and what decodes must encode again without a trap.
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
    return 0
}
