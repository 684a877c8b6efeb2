import Foundation
import OCI
import Testing
@testable import Scan

@Suite struct CatalogCacheTests {
    private func inventory() -> ImageInventory {
        let layer = LayerOrigin(index: 0, diffID: Digest.sha256(Data("layer".utf8)), createdBy: "ADD rootfs /")
        return ImageInventory(os: OSIdentity(id: "debian", versionID: "12"), packages: [
            CatalogedPackage(name: "zlib1g", version: "1:1.2.13.dfsg-1", type: .deb, purl: "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1",
                             licenses: ["Zlib"], locations: ["/var/lib/dpkg/status"], layer: layer, sourceName: "zlib"),
        ], warnings: ["a warning"])
    }

    @Test func entriesRoundTripAndAreDroppedWhenTheirImageGoes() throws {
        let directory = try ScanTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let cache = CatalogCache(directory: directory.appendingPathComponent("catalog").path)
        let kept = Digest.sha256(Data("kept".utf8)), gone = Digest.sha256(Data("gone".utf8)), forgotten = Digest.sha256(Data("f".utf8))
        #expect(cache.inventory(of: kept) == nil)
        for id in [kept, gone, forgotten] { cache.store(inventory(), of: id) }
        let read = try #require(cache.inventory(of: kept))
        #expect(read.packages == inventory().packages && read.os == inventory().os && read.warnings == inventory().warnings)
        cache.forget(forgotten)
        #expect(cache.inventory(of: forgotten) == nil)
        cache.sweep(keeping: [kept])
        #expect(cache.inventory(of: gone) == nil && cache.inventory(of: kept) != nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.directory) == [kept.encoded + ".json"])
    }

    @Test func damagedForeignAndOldEntriesAreIgnored() throws {
        let directory = try ScanTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let cache = CatalogCache(directory: directory.path)
        let id = Digest.sha256(Data("image".utf8))
        let path = directory.appendingPathComponent(id.encoded + ".json")
        for junk in ["", "{", "\u{0}\u{1}binary", #"{"version": 999, "imageID": "\#(id)", "inventory": {"packages": []}}"#,
                     #"{"version": \#(CatalogCache.formatVersion), "imageID": "sha256:\#(String(repeating: "0", count: 64))", "inventory": {"packages": []}}"#] {
            try Data(junk.utf8).write(to: path)
            #expect(cache.inventory(of: id) == nil, "\(junk)")
        }
        cache.store(inventory(), of: id)
        #expect(cache.inventory(of: id)?.packages.count == 1)
    }
}
