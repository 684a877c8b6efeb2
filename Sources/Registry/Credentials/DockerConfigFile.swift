import SystemPackage
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Docker's client configuration file: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
///
/// Reads tolerate a missing or empty file. Writes are atomic (a temporary file in the same directory,
/// fsync, rename) with mode 0600; the directory is created with mode 0700 when missing. A config.json that
/// is a symlink is written through to its target, as docker does.
public struct DockerConfigFile: Sendable {
    /// The directory holding config.json.
    public let directory: String
    /// The full path of config.json.
    public var path: String { directory + "/config.json" }

    public init(directory: String) {
        self.directory = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
    }

    /// The file docker would use under `environment` (`DOCKER_CONFIG`, else `$HOME/.docker`).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.init(directory: Self.defaultDirectory(environment: environment))
    }

    /// `DOCKER_CONFIG` if set and non-empty, else `$HOME/.docker` (the passwd home when HOME is unset).
    public static func defaultDirectory(environment: [String: String]) -> String {
        if let dir = environment["DOCKER_CONFIG"], !dir.isEmpty { return dir }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.docker"
    }

    /// The current contents (empty when the file does not exist).
    public func load() throws -> DockerConfig {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch let error as CocoaError where error.code == .fileReadNoSuchFile {
            return DockerConfig()
        } catch {
            if !FileManager.default.fileExists(atPath: path) { return DockerConfig() }
            throw DockerConfigError.io(path: path, "cannot read: \(Self.reason(error))")
        }
        do { return try DockerConfig(data: data) } catch let error as DockerConfigError {
            throw DockerConfigError.io(path: path, error.description)
        }
    }

    /// Loads, lets `edit` change the configuration, and saves the result if it changed.
    @discardableResult
    public func update<T>(_ edit: (inout DockerConfig) throws -> T) throws -> T {
        var config = try load()
        let before = config
        let result = try edit(&config)
        if config != before { try save(config) }
        return result
    }

    /// Writes `config` atomically with mode 0600.
    public func save(_ config: DockerConfig) throws {
        try createDirectoryIfNeeded()
        do { try PrivateFile.write(config.serialized(), to: resolvedTarget()) } catch {
            throw DockerConfigError.io(path: error.path, error.reason)
        }
    }

    private func createDirectoryIfNeeded() throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) {
            guard isDir.boolValue else { throw DockerConfigError.io(path: directory, "not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw DockerConfigError.io(path: directory, "cannot create: \(Self.reason(error))")
        }
    }

    /// config.json itself, or where it points if it is a symlink.
    private func resolvedTarget() -> String {
        guard let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: path) else { return path }
        let resolved = destination.hasPrefix("/") ? destination : directory + "/" + destination
        return URL(fileURLWithPath: resolved).resolvingSymlinksInPath().path
    }


    private static func reason(_ error: Error) -> String {
        if let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError,
           underlying.domain == NSPOSIXErrorDomain, let code = POSIXErrorCode(rawValue: Int32(underlying.code)) {
            return String(cString: strerror(code.rawValue))
        }
        return error.localizedDescription
    }
}
