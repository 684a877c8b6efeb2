import Foundation

/// Where the store lives on disk, resolved the way the CLI documents it:
/// `--root`, then `STRATA_ROOT`, then `/var/lib/strata` for root, else `$XDG_DATA_HOME/strata`.
public struct StoreRoot: Sendable, Equatable {
    public let path: String

    public init(path: String) {
        self.path = (path as NSString).standardizingPath
    }

    public static func resolve(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> StoreRoot {
        if let explicit, !explicit.isEmpty { return StoreRoot(path: absolute(explicit)) }
        if let fromEnv = environment["STRATA_ROOT"], !fromEnv.isEmpty { return StoreRoot(path: absolute(fromEnv)) }
        if getuid() == 0 { return StoreRoot(path: "/var/lib/strata") }
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") { return StoreRoot(path: xdg + "/strata") }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return StoreRoot(path: home + "/.local/share/strata")
    }

    private static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    // Every path under the root is named here, and nowhere else.
    public var blobsDirectory: String { path + "/blobs" }
    public var ingestDirectory: String { path + "/ingest" }
    /// Named ingest sessions another process can resume (`ContentStore.writer(session:)`).
    public var ingestSessionsDirectory: String { path + "/ingest-sessions" }
    public var databasePath: String { path + "/metadata.db" }
    /// The lock that orders garbage collection against ingests.
    public var gcLockPath: String { path + "/gc.lock" }
    /// Scratch for store operations (image unpack).
    public var temporaryDirectory: String { path + "/tmp" }
    /// Unpacked layers, one tree per chain ID (overlay lowers for `run` and `FROM`).
    public var snapshotsDirectory: String { path + "/snapshots" }
    /// The build's own layer trees.
    public var buildSnapshotsDirectory: String { path + "/snapshots/layers" }
    /// Lock-owned build scratch sessions (swept after kill -9).
    public var buildScratchDirectory: String { path + "/build-tmp" }
    /// `RUN --mount=type=cache` directories.
    public var buildCacheMountsDirectory: String { path + "/build-cache-mounts" }
    /// The build context's stat cache.
    public var buildContextStatCacheDirectory: String { path + "/build-cache-stat" }
    /// Lock-owned container directories (`run`).
    public var containersDirectory: String { path + "/containers" }
    /// Compiled seccomp filters.
    public var seccompCacheDirectory: String { path + "/cache/seccomp" }
}
