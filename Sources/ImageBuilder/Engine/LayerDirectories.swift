#if canImport(Glibc)
import Glibc
#endif
import Archive
import Foundation
import OCI
import Sandbox
import Store
import Synchronization

/// Overlay lower directories for build steps. A step's finished overlay upper dir (already in overlay format:
/// whiteouts as 0/0 devices, opaque xattrs) is kept as `snapshots/layers/<diffID>/` and stacked directly as a
/// lower of the next step; layers without such a directory (base images, pruned ones) come from the
/// flattened per-chainID snapshots. Nothing is unpacked until a step actually runs.
struct LayerDirectories: Sendable {
    let store: ImageStore
    let kind: SnapshotterKind
    /// One fill of a placeholder tree at a time (stages build concurrently).
    let fillLock = FillLock()

    var root: String { store.root.buildSnapshotsDirectory }
    /// Where `newScratch` makes its directories: the build's `ScratchSession`.
    var scratchRoot: String

    init(store: ImageStore, kind: SnapshotterKind, scratchRoot: String? = nil) {
        self.store = store
        self.kind = kind
        self.scratchRoot = scratchRoot ?? store.root.buildScratchDirectory
    }

    func path(for diffID: Digest) -> String { root + "/" + diffID.encoded }

    /// A new empty scratch directory for one step (removed by the caller).
    func newScratch() throws -> String {
        try FileManager.default.createDirectory(atPath: scratchRoot, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        return scratchRoot + "/" + UUID().uuidString.lowercased()
    }

    /// Keeps `upper` as the lower directory of `diffID` (rename, atomic); a directory already there wins.
    func adopt(upper: String, diffID: Digest) {
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
        let target = path(for: diffID)
        if access(target, F_OK) == 0 || rename(upper, target) != 0 {
            try? LayerTreeRemoval.removeTree(atPath: upper)
        }
    }

    /// The lower dirs (top first) that show `layers` (bottom first).
    func lowerDirs(for layers: [StoredLayer]) throws -> [String] {
        if layers.isEmpty { return [] }
        let flatten = { (layers: [StoredLayer]) throws -> String in try LayerSnapshots(store: store).snapshot(of: layers) }
        if kind == .copy { return [try flatten(layers)] }
        var dirs: [String] = []
        var index = layers.count - 1
        // A diffID can stand at several positions (steps that changed nothing give the same empty layer): overlayfs
        // refuses one directory twice among its lowers (ELOOP), so from the first repeat down the stack is flattened
        // into the per-chain snapshot, where every position is applied in order.
        while index >= 0, !dirs.contains(path(for: layers[index].diffID)), ensureFilled(layers[index]) {
            dirs.append(path(for: layers[index].diffID))
            index -= 1
        }
        if index >= 0 { dirs.append(try flatten(Array(layers[0...index]))) }
        // overlayfs takes its options in one page: stay well below it.
        if dirs.reduce(0, { $0 + $1.utf8.count + 1 }) > 3000 { return [try flatten(layers)] }
        return dirs
    }
}

/// The in-process lock around placeholder fills, shared by every copy of a `LayerDirectories` (a class because
/// a Mutex cannot be copied with the struct).
final class FillLock: Sendable {
    private let mutex = Mutex(())

    func withLock<Result: Sendable>(_ body: () -> Result) -> Result {
        mutex.withLock { _ in body() }
    }
}

/// Read-only views of stage results for `COPY --from` and `RUN --mount from=`: overlay mounts (or a
/// flattened snapshot) that stay until the build ends.
final class FilesystemViews: Sendable {
    private let state = Mutex(State())
    let directories: LayerDirectories

    private struct State {
        /// Scratch directories whose `view` is an overlay mount.
        var mounts: [String] = []
        /// Chain ID of the layers shown → the directory showing them.
        var views: [String: String] = [:]
    }

    init(directories: LayerDirectories) {
        self.directories = directories
    }

    /// A directory showing `layers` merged; an empty directory for none.
    func view(of layers: [StoredLayer]) throws -> String {
        let key = chainIDs(of: layers.map(\.diffID)).last?.encoded ?? "empty"
        return try state.withLock { try findOrMakeView(of: layers, key: key, in: &$0) }
    }

    private func findOrMakeView(of layers: [StoredLayer], key: String, in state: inout State) throws -> String {
        if let existing = state.views[key] { return existing }
        let lowers = try directories.lowerDirs(for: layers)
        let result: String
        if lowers.count == 1 {
            result = lowers[0]
        } else {
            let scratch = try directories.newScratch()
            try FileManager.default.createDirectory(atPath: scratch + "/view", withIntermediateDirectories: true)
            if lowers.isEmpty {
                result = scratch + "/view"
            } else {
                let options = "lowerdir=" + lowers.map(Self.escape).joined(separator: ":")
                guard mount("overlay", scratch + "/view", "overlay", UInt(MS_RDONLY), options) == 0 else {
                    throw BuildFailure("mount overlay view: \(String(cString: strerror(errno)))")
                }
                state.mounts.append(scratch)
                result = scratch + "/view"
            }
        }
        state.views[key] = result
        return result
    }

    func releaseAll() {
        state.withLock { state in
            for scratch in state.mounts {
                _ = umount2(scratch + "/view", Int32(MNT_DETACH))
                try? FileManager.default.removeItem(atPath: scratch)
            }
            state = State()
        }
    }

    static func escape(_ path: String) -> String {
        var out = ""
        for character in path {
            if character == "," || character == ":" || character == "\\" { out.append("\\") }
            out.append(character)
        }
        return out
    }
}
