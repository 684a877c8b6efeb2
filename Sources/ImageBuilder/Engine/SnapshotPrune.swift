#if canImport(Glibc)
import Glibc
#endif
import Archive
import Foundation
import OCI
import Sandbox
import Store

/// `builder prune`'s part outside the database: the per-layer lower dirs builds keep under `snapshots/layers/`
/// (`LayerDirectories`) and the flattened base trees under `snapshots/<chainID>` (`LayerSnapshots`). They are
/// caches; `-a` drops them all, otherwise those whose layers the store no longer has. Returns the bytes freed
/// (allocated blocks).
public enum SnapshotPrune {
    public static func prune(store: ImageStore, all: Bool) throws -> Int64 {
        let directories = LayerDirectories(store: store, kind: .overlay)
        var freed = try LayerSnapshots(store: store).prune(all: all)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directories.root) else { return freed }
        for name in names where name.hasSuffix(".unfilled") && !names.contains(String(name.dropLast(".unfilled".count))) {
            unlink(directories.root + "/" + name)
        }
        for name in names where !name.hasSuffix(".unfilled") {
            guard let diffID = try? Digest("sha256:" + name) else { continue }
            if !all, try store.layer(diffID: diffID) != nil { continue }
            let path = directories.path(for: diffID)
            freed += LayerSnapshots.allocatedBytes(path)
            // The tree goes first: a marker without its tree means nothing, a tree without its marker is "complete".
            try LayerTreeRemoval.removeTree(atPath: path)
            unlink(directories.unfilledMarker(for: diffID))
        }
        return freed
    }
}
