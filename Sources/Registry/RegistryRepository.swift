import OCI

/// One repository on one registry: `registry` is the reference's domain as docker normalises it
/// (`docker.io`, `localhost:5000`), `path` the repository path (`library/busybox`).
public struct RegistryRepository: Hashable, Sendable, CustomStringConvertible {
    public var registry: String
    public var path: String

    public init(registry: String, path: String) {
        self.registry = registry
        self.path = path
    }

    /// The repository of a parsed reference (tag and digest are dropped).
    public init(_ reference: ImageReference) {
        self.init(registry: reference.domain, path: reference.path)
    }

    /// `registry/path`, the fully qualified name.
    public var description: String { registry + "/" + path }

    /// The host[:port] the API is spoken to: docker.io's API lives on `registry-1.docker.io`.
    public var endpointHost: String { RegistryRepository.endpointHost(for: registry) }

    /// docker's familiar form of `name[:tag|@digest]`, as pull errors print it (`busybox:latest`).
    func familiar(reference: String) -> String {
        let name = ImageReference(domain: registry, path: path).familiarName
        return reference.contains(":") ? name + "@" + reference : name + ":" + reference
    }

    var familiarName: String { ImageReference(domain: registry, path: path).familiarName }

    /// Maps a registry name to the host serving its API.
    public static func endpointHost(for registry: String) -> String {
        switch registry {
        case ImageReference.defaultDomain, ImageReference.legacyDefaultDomain, "registry-1.docker.io": "registry-1.docker.io"
        default: registry
        }
    }
}
