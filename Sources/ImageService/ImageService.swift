import Foundation
import OCI
import Registry
import Store
import Synchronization
import Trust

/// Where every operation runs: the store root, the registry settings and where credentials come from. Passed in
/// explicitly (no process globals), so a server can hold several.
public struct ServiceEnvironment: Sendable {
    public var root: StoreRoot
    /// Proxies, TLS, insecure registries, retries and the HTTP log of every registry exchange.
    public var registryOptions: RegistryClientOptions
    public var credentials: any CredentialSource
    /// Layers fetched and sent at once (docker's defaults: 3 down, 5 up).
    public var maxConcurrentDownloads: Int
    public var maxConcurrentUploads: Int
    /// Content trust: when set, every image taken from a registry (pull, run and build of a missing image, copy from
    /// a registry) must satisfy this policy before anything of it is stored.
    public var signaturePolicy: TrustPolicy?

    public init(root: StoreRoot, registryOptions: RegistryClientOptions = RegistryClientOptions(),
                credentials: any CredentialSource, maxConcurrentDownloads: Int = 3, maxConcurrentUploads: Int = 5,
                signaturePolicy: TrustPolicy? = nil) {
        self.root = root
        self.registryOptions = registryOptions
        self.credentials = credentials
        self.maxConcurrentDownloads = maxConcurrentDownloads
        self.maxConcurrentUploads = maxConcurrentUploads
        self.signaturePolicy = signaturePolicy
    }
}

/// A failure of an image operation that no lower layer named: its kind, one line, and the error behind it.
public struct ServiceError: Error, KindedError, Sendable, CustomStringConvertible {
    public let kind: ErrorKind
    public let description: String

    public init(_ kind: ErrorKind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}

/// The image operations behind every command, as a library: each takes an options value, reports progress as typed
/// events and returns a typed result, shaped like moby's image backend. The CLI parses, calls one of these and
/// renders; a server can call the same. The store is opened on first use and shared.
public final class ImageService: Sendable {
    public let environment: ServiceEnvironment
    private let opened: OpenedStore

    /// The store a service opened on first use; services made `sharing` one another hold the same.
    private final class OpenedStore: Sendable {
        let store = Mutex<ImageStore?>(nil)
    }

    public init(environment: ServiceEnvironment) {
        self.environment = environment
        opened = OpenedStore()
    }

    /// A service with another environment (say, other registry settings) over the same store as `other`.
    public init(environment: ServiceEnvironment, sharing other: ImageService?) {
        self.environment = environment
        opened = other?.opened ?? OpenedStore()
    }

    /// The image store under the environment's root, opened (and, for an older root, migrated) once.
    public func store() throws -> ImageStore {
        try opened.store.withLock { current in
            if let current { return current }
            let store = try ImageStore(root: environment.root)
            current = store
            return store
        }
    }

    /// The store if this service (or one sharing it) has opened it; never opens it.
    public var openedStore: ImageStore? { opened.store.withLock { $0 } }

    /// Runs `body` with a registry client for this environment and always shuts the client down.
    public func withRegistry<T>(log: (@Sendable (String) -> Void)? = nil,
                                _ body: (RegistryClient) async throws -> T) async throws -> T {
        var options = environment.registryOptions
        if let log { options.log = log }
        let client = RegistryClient(options: options, credentials: environment.credentials)
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
