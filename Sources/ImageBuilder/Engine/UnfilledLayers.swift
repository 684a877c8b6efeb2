#if canImport(Glibc)
import Glibc
#endif
import Archive
import Foundation
import OCI
import Store

/// Lower dirs of COPY steps whose files are still size-only placeholders (`FileCopier.copy(deferContents:)`): the
/// layer was written straight from the sources, and the tree is kept (marked `<diffID>.unfilled`) so that no
/// build pays for the bytes until a step stacks it. Then the bytes come from the layer's blob (the verified
/// truth, whatever happened to the context since), written into the placeholders in place.
///
/// Nothing is deleted on the way: removing 20,000 files costs as much as writing them, and on ext4 without a
/// journal freshly freed inodes make the next creates scan (`recently_deleted`).
extension LayerDirectories {
    func unfilledMarker(for diffID: Digest) -> String { path(for: diffID) + ".unfilled" }

    /// Keeps a COPY's tree of placeholders as `diffID`'s lower dir, to be filled on first use.
    func adoptUnfilled(upper: String, diffID: Digest) {
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
        let target = path(for: diffID)
        // The marker goes first: a tree without one is taken as complete.
        guard access(target, F_OK) != 0, FileManager.default.createFile(atPath: unfilledMarker(for: diffID), contents: nil),
              rename(upper, target) == 0
        else {
            try? LayerTreeRemoval.removeTree(atPath: upper)
            return
        }
    }

    /// Whether `layer` has a usable lower dir, filling a placeholder tree from the blob first. A fill that fails
    /// (the blob is gone or holds whiteouts) drops the tree: the caller then unpacks the layer instead.
    func ensureFilled(_ layer: StoredLayer) -> Bool {
        let target = path(for: layer.diffID)
        guard access(target, F_OK) == 0 else { return false }
        let marker = unfilledMarker(for: layer.diffID)
        guard access(marker, F_OK) == 0 else { return true }
        return fillLock.withLock {
            // Other strata processes may fill the same tree: the marker's flock serializes them, and whoever
            // comes second finds the marker gone.
            let markerFD = open(marker, O_RDONLY | O_CLOEXEC)
            guard markerFD >= 0 else { return access(target, F_OK) == 0 }
            defer { close(markerFD) }
            _ = flock(markerFD, LOCK_EX)
            guard access(marker, F_OK) == 0 else { return access(target, F_OK) == 0 }
            do {
                // A pending layer only claims this diffID: fill from a proven blob of it when the store has one,
                // else prove this one in the fill (a mismatch drops the tree).
                let source = layer.isVerified ? layer : (try store.layer(diffID: layer.diffID)) ?? layer
                let applier = try LayerApplier(directory: target, options: .init(rewriteFilesInPlace: true))
                guard try store.apply(source, with: applier).whiteoutCount == 0 else { throw FileSystemError("fill", target, code: EINVAL) }
                guard unlink(marker) == 0 || errno == ENOENT else { throw FileSystemError("unlink", marker, code: errno) }
                return true
            } catch {
                try? LayerTreeRemoval.removeTree(atPath: target)
                unlink(marker)
                return false
            }
        }
    }
}
