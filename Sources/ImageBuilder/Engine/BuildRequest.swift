import Foundation
import Dockerfile
import OCI
import Registry
import Sandbox
import Store

/// Everything one `strata build` needs: the context and parsed Dockerfile plus docker build's flags.
public struct BuildRequest: Sendable {
    public var context: BuildContext
    public var document: DockerfileDocument
    /// `-t`, applied when the image is committed.
    public var tags: [ImageReference] = []
    /// `--build-arg K=V` (a bare `K` takes the value from the environment, resolved by the CLI).
    public var buildArgs: [String: String] = [:]
    /// `--label K=V`, applied last, in order.
    public var labels: [(String, String)] = []
    public var target: String?
    /// `--platform`, or the host's.
    public var platform: Platform
    /// Step names carry the platform (one solve of a multi-platform build).
    public var showsPlatform = false
    public var noCache = false
    public var pull = false
    /// `--network`: RUN's default network (BuildKit's default is the host's).
    public var network: NetworkMode = .host
    /// `--add-host host:ip`: extra /etc/hosts lines for RUN steps, in the order given.
    public var extraHosts: [(host: String, address: String)] = []
    public var squash = false
    /// `--allow security.insecure` (BuildKit's entitlement): lets `RUN --security=insecure` run privileged.
    public var allowInsecure = false
    /// `--secret id=…,src=…|env=…`: id → where its value is read when a step mounts it.
    public var secrets: [String: SecretSource] = [:]
    /// `--ssh`: the agent sockets RUN --mount=type=ssh may use (nil: no --ssh given).
    public var ssh: SSHForwarding?
    /// `--shm-size`, `--ulimit`, `-m/--memory`: every RUN step runs with them.
    public var resources = ResourceLimits()
    public var snapshotter: SnapshotterKind = .fromEnvironment()
    /// The Dockerfile's name as given (`-f`), for the `[internal] load build definition from …` line.
    public var dockerfileName = "Dockerfile"
    /// The size of the context's .dockerignore, nil when there is none.
    public var dockerignoreSize: Int?
    /// Fetches `ADD <url>` sources; the CLI gives it the registry client's options, so downloads take the same
    /// proxies and TLS settings as pulls.
    public var urlFetcher = HTTPFetcher()
    /// `--cache-from`: caches read when the build starts; a step the store lacks is taken from them.
    public var cacheSources: [BuildCacheSource] = []
    /// `--cache-to type=registry|local`: written once the image is.
    public var cacheExports: [BuildCacheExport] = []
    /// `--cache-to type=inline` (or `BUILDKIT_INLINE_CACHE=1`): the image config carries the cache of its own chain.
    public var inlineCache = false

    /// SOURCE_DATE_EPOCH (a build argument, as buildx passes it): the time the image and its history are dated and
    /// past which no file in a new layer is dated, so that the same inputs give the same digests anywhere.
    public var sourceDateEpoch: Int64? {
        buildArgs["SOURCE_DATE_EPOCH"].flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }.flatMap { $0 >= 0 ? $0 : nil }
    }

    public init(context: BuildContext, document: DockerfileDocument, platform: Platform) {
        self.context = context
        self.document = document
        self.platform = platform
    }
}

/// What a finished build made.
public struct BuildResult: Sendable {
    public let image: StoredImage
    /// The OCI index a multi-platform build joined its images into (the image is this host's entry, or the first).
    public var index: StoredIndex? = nil
    /// Steps run (not found in the cache).
    public let executedSteps: Int
    public let cachedSteps: Int
    /// Every step the build settled, with the layer chain each left (`--cache-to mode=max`).
    public var cacheSteps: [CachedStepResult] = []
    /// The steps the result's own chain went through, base first (`--cache-to mode=min`).
    public var cacheChain: [CachedStepResult] = []

    public init(image: StoredImage, index: StoredIndex? = nil, executedSteps: Int, cachedSteps: Int) {
        self.image = image
        self.index = index
        self.executedSteps = executedSteps
        self.cachedSteps = cachedSteps
    }
}

/// A build that failed; `description` is docker's final error line.
/// Where a build secret's value comes from: a host file, or an environment variable of the build's process. Read
/// only when a step mounts it; never part of a cache key, a layer or a log.
public enum SecretSource: Sendable, Hashable {
    case file(String)
    case environment(String)

    /// The value, or nil when the file cannot be read or the variable is not set.
    public func read() -> [UInt8]? {
        switch self {
        case .file(let path): return FileManager.default.contents(atPath: path).map { [UInt8]($0) }
        case .environment(let name): return ProcessInfo.processInfo.environment[name].map { Array($0.utf8) }
        }
    }

    var description: String {
        switch self {
        case .file(let path): return path
        case .environment(let name): return "environment variable \(name)"
        }
    }
}

public struct BuildFailure: Error, Sendable, CustomStringConvertible {
    public let description: String
    /// The step's name (`[2/2] RUN exit 3`) when a step failed, for the `------ > …:` block.
    public let stepName: String?
    public let logTail: [String]

    public init(_ description: String, stepName: String? = nil, logTail: [String] = []) {
        self.description = ErrorText.bounded(description)
        self.stepName = stepName
        self.logTail = logTail
    }
}

/// Fetches an image that is not in the store (or must be refreshed with `--pull`) into it and returns the stored
/// image's ID (nil when it cannot say); supplied by the service, which owns registry access and credentials.
public typealias ImagePuller = @Sendable (_ reference: ImageReference, _ platform: Platform) async throws -> Digest?

extension BuildFailure: KindedError {
    public var kind: ErrorKind { .invalidArgument }
}
