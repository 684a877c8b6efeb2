import Foundation
import OCI
import Registry

/// The registry settings every network command shares: insecure registries from `--insecure-registry` and Strata's
/// config file, `--verbose` HTTP logging. Logins come from docker's config.json (see `LenientCredentials`).
enum RegistryAccess {
    /// The HTTP settings of every network command (`ADD <url>` in a build takes them too).
    static func options(verbose: Bool = false) throws -> RegistryClientOptions {
        var options = try RegistrySettings.load().clientOptions()
        options.insecureRegistries += GlobalOptions.insecureRegistries
        if verbose {
            options.log = { line in Output.error("> " + line + "\n") }
        }
        return options
    }
}

/// docker goes on anonymously when a credential helper fails; so does Strata (the failure is reported once).
struct LenientCredentials: CredentialSource {
    let inner: DockerCredentialStore
    init(_ inner: DockerCredentialStore) { self.inner = inner }

    func credentials(for registry: String) throws -> RegistryCredentials? {
        do { return try inner.credentials(for: registry) } catch {
            Output.error("WARNING: \(error)\n")
            return nil
        }
    }
}
