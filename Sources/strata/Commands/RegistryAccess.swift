import Foundation
import OCI
import Registry

/// The registry client every network command shares: logins from docker's config.json (and its credential
/// helpers), insecure registries from `--insecure-registry` and Strata's config file, `--verbose` HTTP logging.
enum RegistryAccess {
    static func client(verbose: Bool = false) throws -> RegistryClient {
        RegistryClient(options: try options(verbose: verbose), credentials: LenientCredentials(DockerCredentialStore()))
    }

    /// The HTTP settings of every network command (`ADD <url>` in a build takes them too).
    static func options(verbose: Bool = false) throws -> RegistryClientOptions {
        var options = try RegistrySettings.load().clientOptions()
        options.insecureRegistries += GlobalOptions.insecureRegistries
        if verbose {
            options.log = { line in FileHandle.standardError.write(Data(("> " + line + "\n").utf8)) }
        }
        return options
    }

    /// Runs `body` with a client and always shuts it down (AHC insists).
    static func with<T>(verbose: Bool = false, _ body: (RegistryClient) async throws -> T) async throws -> T {
        let client = try client(verbose: verbose)
        do {
            let result = try await body(client)
            try? await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

/// docker goes on anonymously when a credential helper fails; so does Strata (the failure is reported once).
struct LenientCredentials: CredentialSource {
    let inner: DockerCredentialStore
    init(_ inner: DockerCredentialStore) { self.inner = inner }

    func credentials(for registry: String) throws -> RegistryCredentials? {
        do { return try inner.credentials(for: registry) } catch {
            FileHandle.standardError.write(Data("WARNING: \(error)\n".utf8))
            return nil
        }
    }
}
