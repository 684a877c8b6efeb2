import Foundation
import OCI

/// What the catalogers found in an image, kept by image ID so `sbom` and `scan` of an image already looked at skip
/// reading its layers (trivy keeps its analyses the same way). An image ID is the digest of a config that names
/// every layer's diffID, so an entry can never go stale; `formatVersion` changes whenever the catalogers or the
/// inventory's shape do, and entries of another version are ignored. Entries are written atomically (a temporary
/// file renamed into place); a damaged or unreadable entry is ignored and rewritten.
public struct CatalogCache: Sendable {
    /// Bump when a cataloger, the purls or `ImageInventory` change.
    public static let formatVersion = 1

    public let directory: String

    public init(directory: String) { self.directory = directory }

    private struct Entry: Codable {
        var version: Int
        var imageID: String
        var inventory: ImageInventory
    }

    private func path(for imageID: Digest) -> String { directory + "/" + imageID.encoded + ".json" }

    public func inventory(of imageID: Digest) -> ImageInventory? {
        guard let data = FileManager.default.contents(atPath: path(for: imageID)),
              let entry = try? JSONDecoder().decode(Entry.self, from: data),
              entry.version == Self.formatVersion, entry.imageID == imageID.description else { return nil }
        return entry.inventory
    }

    /// Records `inventory`; failures (a read-only root, a full disk) only mean the next run reads the layers again.
    public func store(_ inventory: ImageInventory, of imageID: Digest) {
        guard let data = try? JSONEncoder().encode(Entry(version: Self.formatVersion, imageID: imageID.description, inventory: inventory)),
              (try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)) != nil else { return }
        let temporary = directory + "/.tmp-" + UUID().uuidString
        guard FileManager.default.createFile(atPath: temporary, contents: data) else { return }
        if rename(temporary, path(for: imageID)) != 0 { unlink(temporary) }
    }

    /// Removes the entry of one image (deleted by `rmi`).
    public func forget(_ imageID: Digest) { unlink(path(for: imageID)) }

    /// Removes the entries of images not in `kept` (and temporaries a killed run left).
    public func sweep(keeping kept: Set<Digest>) {
        let keptNames = Set(kept.map { $0.encoded + ".json" })
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where !keptNames.contains(name) { unlink(directory + "/" + name) }
    }
}
