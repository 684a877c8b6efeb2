import Archive
import Foundation
import OCI

/// The snapshotter: read-only unpacked filesystems kept under the store root, `snapshots/<chainID hex>/`: the image's
/// layers up to and including that chain ID, flattened (whiteouts applied). Made on demand into a
/// temporary directory and renamed into place, so a snapshot is either complete or absent; two
/// processes racing make it twice and one rename wins.
public struct LayerSnapshots: Sendable {
    public let store: ImageStore

    public init(store: ImageStore) {
        self.store = store
    }

    public var directory: String { store.root.snapshotsDirectory }

    /// The snapshot of `layers` (an image's layers, bottom first), created if missing. An empty
    /// list gives an empty directory.
    public func snapshot(of layers: [StoredLayer]) throws -> String {
        let chain = chainIDs(of: layers.map(\.diffID))
        let name = chain.last?.encoded ?? "empty"
        let path = directory + "/" + name
        var info = stat()
        if stat(path, &info) == 0 { return path }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let temporary = directory + "/tmp-" + UUID().uuidString.lowercased()
        guard mkdir(temporary, 0o755) == 0 else { throw StoreError.system("mkdir \(temporary)", errno: errno) }
        do {
            try store.ingestLease.shared {
                let applier = try LayerApplier(directory: temporary)
                // The snapshot is named by the diffIDs: a pending layer proves its own in this pass, and a mismatch
                // throws before the snapshot can be renamed into place.
                for layer in layers { try store.apply(layer, with: applier) }
            }
        } catch {
            try? LayerTreeRemoval.removeTree(atPath: temporary)
            throw error
        }
        if rename(temporary, path) != 0 {
            let saved = errno
            try? LayerTreeRemoval.removeTree(atPath: temporary)
            guard saved == EEXIST || saved == ENOTEMPTY else { throw StoreError.system("rename \(path)", errno: saved) }
        }
        return path
    }

    /// The snapshot of a stored image's layers.
    public func snapshot(of image: StoredImage) throws -> String {
        try snapshot(of: store.layers(of: image.id))
    }

    /// Removes the snapshot trees no stored image's layer chain names (every one with `all`): they are caches, made
    /// again on demand. Nothing is removed while a container exists (its overlay may stand on one). Returns the bytes
    /// freed (allocated blocks).
    public func prune(all: Bool) throws -> Int64 {
        let containers = (try? FileManager.default.contentsOfDirectory(atPath: store.root.containersDirectory)) ?? []
        guard containers.isEmpty else { return 0 }
        var keep = Set<String>()
        if !all {
            for image in try store.images() {
                keep.formUnion(chainIDs(of: try store.layers(of: image.id).map(\.diffID)).map(\.encoded))
            }
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var freed: Int64 = 0
        for name in names where name.count == 64 && name.allSatisfy(\.isHexDigit) && !keep.contains(name) {
            let path = directory + "/" + name
            freed += Self.allocatedBytes(path)
            try LayerTreeRemoval.removeTree(atPath: path)
        }
        return freed
    }

    /// Blocks allocated under `root` (what removing it frees).
    public static func allocatedBytes(_ root: String) -> Int64 {
        var total: Int64 = 0
        guard let walker = FileManager.default.enumerator(atPath: root) else { return 0 }
        var info = stat()
        while let relative = walker.nextObject() as? String {
            if lstat(root + "/" + relative, &info) == 0 { total += Int64(info.st_blocks) * 512 }
        }
        return total
    }

    /// Removes every snapshot (they are caches; recreated on demand).
    public func removeAll() throws {
        try LayerTreeRemoval.removeTree(atPath: directory)
    }
}
