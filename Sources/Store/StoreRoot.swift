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

    public var blobsDirectory: String { path + "/blobs" }
    public var ingestDirectory: String { path + "/ingest" }
    public var databasePath: String { path + "/metadata.db" }
}
