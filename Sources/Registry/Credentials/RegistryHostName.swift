/// Docker's rules for turning registry names and login arguments into config.json keys.
///
/// Docker Hub logins live under `https://index.docker.io/v1/` (docker's historical index address); every
/// other registry under its `host[:port]`. Older tools wrote `https://host`, `http://host/`, `host/v1/`…,
/// which readers still match by docker's ConvertToHostname rule.
public enum RegistryHostName {
    /// The domain references use for Docker Hub.
    public static let dockerHubDomain = "docker.io"
    /// The config.json key (and credential-helper server URL) of Docker Hub logins.
    public static let dockerHubConfigKey = "https://index.docker.io/v1/"
    /// Names that all mean Docker Hub when given to login/logout.
    public static let dockerHubAliases: Set<String> = ["docker.io", "index.docker.io", "registry-1.docker.io"]

    /// Docker's ConvertToHostname: drop an `http://` or `https://` prefix, keep everything up to the first `/`.
    public static func convertToHostname(_ address: String) -> String {
        var rest = Substring(address)
        if rest.hasPrefix("http://") {
            rest = rest.dropFirst("http://".count)
        } else if rest.hasPrefix("https://") {
            rest = rest.dropFirst("https://".count)
        }
        return String(rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }

    /// Whether an address (any spelling, with or without scheme/path) names Docker Hub.
    public static func isDockerHub(_ address: String) -> Bool {
        address == dockerHubConfigKey || dockerHubAliases.contains(convertToHostname(address).lowercased())
    }

    /// The registry a `login`/`logout` argument names, as a reference domain: no argument (or any Docker Hub
    /// alias) is `docker.io`; anything else is its host[:port].
    public static func registry(forLoginArgument server: String?) -> String {
        guard let server, !server.isEmpty, !isDockerHub(server) else { return dockerHubDomain }
        return convertToHostname(server)
    }

    /// The key a login for `registry` (a reference domain or any login-argument spelling) is stored under.
    public static func configKey(forRegistry registry: String) -> String {
        isDockerHub(registry) ? dockerHubConfigKey : convertToHostname(registry)
    }

    /// Whether the existing config.json key `key` holds the login for `registry`: docker's lookup (a key whose
    /// hostname form equals it), plus, for Docker Hub, keys written as any Hub alias (docker 20.10 itself stored
    /// `login index.docker.io` under `index.docker.io`). Callers try the exact `configKey` first.
    public static func key(_ key: String, matchesRegistry registry: String) -> Bool {
        let wanted = configKey(forRegistry: registry)
        if key == wanted { return true }
        if wanted == dockerHubConfigKey { return isDockerHub(key) }
        return convertToHostname(key) == wanted
    }
}
