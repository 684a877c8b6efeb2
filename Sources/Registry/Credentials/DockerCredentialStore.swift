import Foundation

/// Docker-compatible logins: config.json plus credential helpers, chosen the way the docker CLI chooses.
///
/// For a registry, a `credHelpers` entry wins, else `credsStore`, else the inline `auths` entry. As in docker,
/// a configured helper is the only source for that registry (its "not found" means no login, not a fall-back
/// to `auths`). Stores through a helper also leave an empty `auths` entry, which is how docker's `logout` and
/// `login` find helper-held logins.
public struct DockerCredentialStore: CredentialSource {
    public let configFile: DockerConfigFile
    /// PATH-style directories searched for `docker-credential-*`; nil uses `helperEnvironment`'s or our PATH.
    public let helperSearchPath: String?
    /// Environment for helper processes; nil inherits this process's.
    public let helperEnvironment: [String: String]?

    public init(configFile: DockerConfigFile = DockerConfigFile(), helperSearchPath: String? = nil,
                helperEnvironment: [String: String]? = nil) {
        self.configFile = configFile
        self.helperSearchPath = helperSearchPath
        self.helperEnvironment = helperEnvironment
    }

    /// The login for `registry` (a reference domain such as `docker.io` or `127.0.0.1:5000`, or any
    /// spelling docker accepts, e.g. `https://host/v1/`).
    public func credentials(for registry: String) throws -> RegistryCredentials? {
        let config = try configFile.load()
        let key = RegistryHostName.configKey(forRegistry: registry)
        if let helper = helperName(for: registry, in: config) {
            return try helperClient(helper).get(serverURL: key)
        }
        for candidate in Self.matchingKeys(for: registry, in: config) {
            if let entry = try config.authEntry(forKey: candidate), let login = entry.credentials { return login }
        }
        return nil
    }

    /// Saves a login for `registry` (used by `login`): through the configured helper if there is one, else
    /// inline in `auths`. Returns the key it was stored under.
    @discardableResult
    public func store(_ credentials: RegistryCredentials, for registry: String) throws -> String {
        let key = RegistryHostName.configKey(forRegistry: registry)
        try configFile.update { config in
            if let helper = helperName(for: registry, in: config) {
                try helperClient(helper).store(credentials, serverURL: key)
                config.setAuthEntry(DockerAuthEntry(username: "", password: ""), forKey: key)
            } else {
                config.setAuthEntry(DockerAuthEntry(username: credentials.username, password: credentials.secret,
                                                    identityToken: credentials.identityToken), forKey: key)
            }
        }
        return key
    }

    /// Removes the login for `registry` (used by `logout`) under every key spelling docker's logout tries,
    /// also from the helper configured for each. Returns the keys that had an `auths` entry; empty means
    /// "Not logged in". Helper failures are thrown after the file has been updated.
    @discardableResult
    public func erase(for registry: String) throws -> [String] {
        var helperErrors: [CredentialHelperError] = []
        let erased: [String] = try configFile.update { config in
            let keys = Self.logoutKeys(for: registry).filter { config.authKeys.contains($0) }
            for key in keys {
                if let helper = helperName(for: key, in: config) {
                    do { try helperClient(helper).erase(serverURL: key) } catch let error as CredentialHelperError {
                        helperErrors.append(error)
                    }
                }
                config.removeAuthEntry(forKey: key)
            }
            return keys
        }
        if let first = helperErrors.first { throw first }
        return erased
    }

    /// The helper that holds logins for `registry`: its `credHelpers` entry, else `credsStore`.
    public func helperName(for registry: String, in config: DockerConfig) -> String? {
        let key = RegistryHostName.configKey(forRegistry: registry)
        let helpers = config.credHelpers
        if let exact = helpers.first(where: { $0.key == key }) { return exact.helper }
        if let loose = helpers.first(where: { RegistryHostName.key($0.key, matchesRegistry: registry) }) {
            return loose.helper
        }
        return config.credsStore
    }

    private func helperClient(_ name: String) -> CredentialHelperClient {
        CredentialHelperClient(name: name, searchPath: helperSearchPath, environment: helperEnvironment)
    }

    /// `auths` keys holding `registry`'s login, the canonical key first, then other spellings in file order.
    static func matchingKeys(for registry: String, in config: DockerConfig) -> [String] {
        let key = RegistryHostName.configKey(forRegistry: registry)
        let keys = config.authKeys
        return (keys.contains(key) ? [key] : []) + keys.filter { $0 != key && RegistryHostName.key($0, matchesRegistry: registry) }
    }

    /// The spellings docker's logout removes: the Hub key, or host, http://host and https://host.
    static func logoutKeys(for registry: String) -> [String] {
        let key = RegistryHostName.configKey(forRegistry: registry)
        if key == RegistryHostName.dockerHubConfigKey { return [key] }
        return [key, "http://" + key, "https://" + key]
    }
}
