import Foundation

/// How a ``RegistryClient`` talks to registries: transport security, timeouts, retries, logging.
public struct RegistryClientOptions: Sendable {
    /// Registries (`host`, `host:port` or an IP CIDR such as `10.0.0.0/8`) that may be spoken to over plain
    /// HTTP or HTTPS without certificate verification, like dockerd's `insecure-registries`.
    public var insecureRegistries: [String]
    /// Per-registry TLS material: `<certsDirectory>/<host[:port]>/{*.crt,*.cert,*.key}`.
    public var certsDirectory: String
    /// Time allowed to open a TCP (and TLS) connection.
    public var connectTimeout: Duration
    /// Time allowed for a whole small exchange (manifests, tokens, HEAD), and the longest silence
    /// tolerated while streaming a blob.
    public var requestTimeout: Duration
    /// Attempts per request (1 = no retry) on 5xx, 429, resets and timeouts.
    public var maxAttempts: Int
    /// First backoff delay; doubled per attempt, with jitter, capped at ``maxRetryDelay``.
    public var retryBaseDelay: Duration
    /// Longest wait between attempts, also the cap applied to a registry's `Retry-After`.
    public var maxRetryDelay: Duration
    /// Upload blobs in PATCH chunks of this many bytes (raised to the registry's `OCI-Chunk-Min-Length`).
    /// When nil, a blob is sent in one PUT unless the registry asks for a minimum chunk length.
    public var forcedChunkSize: Int?
    /// Receives one line per HTTP exchange (method, URL, status, headers) with secrets redacted.
    public var log: (@Sendable (String) -> Void)?
    public var userAgent: String
    /// Proxy variables (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY` and lowercase forms); the process
    /// environment by default.
    public var proxyEnvironment: [String: String]

    public init(insecureRegistries: [String] = [], certsDirectory: String = "/etc/docker/certs.d",
                connectTimeout: Duration = .seconds(30), requestTimeout: Duration = .seconds(120),
                maxAttempts: Int = 5, retryBaseDelay: Duration = .milliseconds(500), maxRetryDelay: Duration = .seconds(30),
                forcedChunkSize: Int? = nil, log: (@Sendable (String) -> Void)? = nil, userAgent: String = "strata",
                proxyEnvironment: [String: String] = ProcessInfo.processInfo.environment) {
        self.insecureRegistries = insecureRegistries
        self.certsDirectory = certsDirectory
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.maxAttempts = max(1, maxAttempts)
        self.retryBaseDelay = retryBaseDelay
        self.maxRetryDelay = maxRetryDelay
        self.forcedChunkSize = forcedChunkSize
        self.log = log
        self.userAgent = userAgent
        self.proxyEnvironment = proxyEnvironment
    }
}
