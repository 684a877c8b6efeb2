// libFuzzer entry point for what the scanners read from images and from users: any bytes as a layer (the catalogers
// behind `sbom` and `scan`, and dive's analysis), as a zip (OSV archives, jars), as an SBOM document, as a dive CI
// file, and as pairs of versions in every ordering. Nothing may trap; bad input throws or becomes a warning.
#if canImport(Glibc)
import Glibc
#endif
import Analyze
import Archive
import Foundation
import OCI
import Scan

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let zip = try? ZipArchive(bytes: bytes) {
        for entry in zip.entries.prefix(64) { _ = try? zip.read(entry, limit: 1 << 20) }
    }
    _ = try? SBOMDocument.read(bytes)
    _ = try? CIRuleSettings.parse(diveCI: String(decoding: bytes, as: UTF8.self))
    let text = String(decoding: bytes, as: UTF8.self)
    let halves = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
    if halves.count == 2 {
        for scheme in VersionScheme.allCases { _ = scheme.compare(String(halves[0]), String(halves[1])) }
    }
    // The bytes as a layer tar (uncompressed input only: its diffID is its own digest).
    if size < 4 << 20, !(size >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) {
        var template = Array("/tmp/strata-scanfuzz-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return 0 }
        _ = template.withUnsafeBufferPointer { unlink($0.baseAddress!) }
        defer { close(fd) }
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let layer = ImageLayerSource(diffID: Digest.sha256(bytes), createdBy: "fuzz") {
            let copy = dup(fd)
            _ = lseek(copy, 0, SEEK_SET)
            return copy
        }
        _ = try? ImageCatalog.catalog(layers: [layer])
        _ = try? ImageAnalysis.analyze(layers: [layer])
    }
    return 0
}
