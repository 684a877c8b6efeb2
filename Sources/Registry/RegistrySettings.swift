import Foundation

/// Strata's own registry settings, read from the first of `$STRATA_CONFIG`, `$XDG_CONFIG_HOME/strata/config.json`
/// (`~/.config/strata/config.json`) and `/etc/strata/config.json` that exists. The keys follow dockerd's
/// daemon.json where it has one:
/// `{"insecure-registries": ["10.0.0.5:5000"], "max-concurrent-downloads": 3, "max-concurrent-uploads": 5,
///   "registry-timeout-seconds": 120, "registry-attempts": 5, "certs-directory": "/etc/docker/certs.d"}`.
public struct RegistrySettings: Sendable, Equatable {
    public var insecureRegistries: [String] = []
    public var maxConcurrentDownloads = 3
    public var maxConcurrentUploads = 5
    public var timeoutSeconds: Int?
    public var attempts: Int?
    public var certsDirectory: String?
    /// The file the settings came from, if any.
    public var path: String?

    public init() {}

    /// Parses one settings document; unknown keys are ignored, wrong types are an error naming the key.
    public init(data: Data, path: String? = nil) throws {
        self.path = path
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SettingsError("\(path ?? "config"): not a JSON object")
        }
        func value<T>(_ key: String, as type: T.Type) throws -> T? {
            guard let raw = object[key] else { return nil }
            guard let typed = raw as? T else { throw SettingsError("\(path ?? "config"): \"\(key)\" has the wrong type") }
            return typed
        }
        insecureRegistries = try value("insecure-registries", as: [String].self) ?? []
        maxConcurrentDownloads = max(1, try value("max-concurrent-downloads", as: Int.self) ?? 3)
        maxConcurrentUploads = max(1, try value("max-concurrent-uploads", as: Int.self) ?? 5)
        timeoutSeconds = try value("registry-timeout-seconds", as: Int.self)
        attempts = try value("registry-attempts", as: Int.self)
        certsDirectory = try value("certs-directory", as: String.self)
    }

    /// The candidate paths, most specific first.
    public static func candidatePaths(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        if let explicit = environment["STRATA_CONFIG"], !explicit.isEmpty { return [explicit] }
        var paths: [String] = []
        if let directory = userConfigDirectory(environment: environment) { paths.append(directory + "/config.json") }
        paths.append("/etc/strata/config.json")
        return paths
    }

    /// The user's Strata configuration directory: `$XDG_CONFIG_HOME/strata`, else `~/.config/strata`.
    public static func userConfigDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty { return xdg + "/strata" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.config/strata" }
        return nil
    }

    /// The settings in effect: the first candidate file that exists, else the defaults. `STRATA_CONFIG` naming a
    /// missing file is an error (it was asked for).
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> RegistrySettings {
        let explicit = environment["STRATA_CONFIG"].map { !$0.isEmpty } ?? false
        for path in candidatePaths(environment: environment) {
            guard let data = FileManager.default.contents(atPath: path) else {
                if explicit { throw SettingsError("open \(path): no such file or directory") }
                continue
            }
            return try RegistrySettings(data: data, path: path)
        }
        return RegistrySettings()
    }

    public func clientOptions() -> RegistryClientOptions {
        var options = RegistryClientOptions(insecureRegistries: insecureRegistries)
        if let certsDirectory { options.certsDirectory = certsDirectory }
        if let timeoutSeconds { options.requestTimeout = .seconds(max(1, timeoutSeconds)) }
        if let attempts { options.maxAttempts = max(1, attempts) }
        return options
    }
}

/// A settings file that cannot be used; one line.
public struct SettingsError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
