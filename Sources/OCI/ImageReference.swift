import GoText
// Re-implements distribution/reference's ParseNormalizedNamed / ParseAnyReference so Strata accepts,
// normalises and rejects image names exactly as docker does, without a Go dependency.

/// A named image reference normalised as docker does: `nginx` is `docker.io/library/nginx`.
///
/// `ImageReference(_:)` accepts exactly what the docker 20.10 CLI and dockerd 20.10 accept (both use the same
/// parser, see ``ReferenceRules``); errors are the client-side parse's. Daemon-side lookups wrap them in
/// ``ReferenceError/rejectedByDaemon(_:)``; how a command words either is up to the presentation layer.
public struct ImageReference: Hashable, Sendable, CustomStringConvertible {
    /// Registry host, e.g. `docker.io`, `localhost:5000`. Empty in the odd case docker itself produces
    /// for names like `foo_bar.com/x`, whose first component looks like a host but is not a valid one.
    public let domain: String
    /// Repository path within the registry, e.g. `library/nginx`.
    public let path: String
    public let tag: String?
    public let digest: Digest?

    public static let defaultDomain = "docker.io"
    public static let legacyDefaultDomain = "index.docker.io"
    public static let officialRepositoryPrefix = "library/"
    public static let defaultTag = "latest"
    public static let maximumNameLength = 255

    /// Parses like the docker 20.10 CLI (`ParseNormalizedNamed`); dockerd 20.10 agrees on every input.
    public init(_ string: String) throws(ReferenceError) {
        self = try ImageReference.parse(string, rules: .client)
    }

    /// Builds a reference from parts that are already valid (no checks).
    public init(domain: String, path: String, tag: String? = nil, digest: Digest? = nil) {
        self.domain = domain
        self.path = path
        self.tag = tag
        self.digest = digest
    }

    /// `ParseNormalizedNamed` as parsed by one side; the 20.10 client and daemon rules are the same.
    public static func parse(_ string: String, rules: ReferenceRules) throws(ReferenceError) -> ImageReference {
        let bytes = Array(string.utf8)
        if ReferenceGrammar.isIdentifier(bytes) { throw .hexadecimalRepositoryName(string) }
        let (domain, remainder) = splitDockerDomain(bytes)
        let remote = remainder.firstIndex(of: UInt8(ascii: ":")).map { remainder[..<$0] } ?? remainder[...]
        if remote.contains(where: { ASCII.isUpper($0) || $0 >= 0x80 }) {
            let remoteString = String(decoding: remote, as: UTF8.self)
            if remoteString.lowercased() != remoteString {
                throw .nameNotLowercase
            }
        }
        return try parseQualified(domain + [UInt8(ascii: "/")] + remainder)
    }

    /// `Parse`: the plain grammar, no normalisation.
    static func parseQualified(_ bytes: [UInt8]) throws(ReferenceError) -> ImageReference {
        if bytes.isEmpty { throw .nameEmpty }
        guard let match = ReferenceGrammar.match(bytes) else {
            let string = String(decoding: bytes, as: UTF8.self)
            let lowered = string.lowercased()
            if lowered != string, ReferenceGrammar.match(Array(lowered.utf8)) != nil {
                throw .nameContainsUppercase
            }
            throw .invalidFormat
        }
        // The whole name, domain included: `docker.io/library/` + 238 characters is too long.
        if match.name.count > maximumNameLength { throw .nameTooLong }
        var digest: Digest?
        if let range = match.digest {
            do {
                digest = try Digest(String(decoding: bytes[range], as: UTF8.self))
            } catch {
                throw .digest(error)
            }
        }
        return ImageReference(
            domain: match.domain.map { String(decoding: bytes[$0], as: UTF8.self) } ?? "",
            path: String(decoding: bytes[match.path], as: UTF8.self),
            tag: match.tag.map { String(decoding: bytes[$0], as: UTF8.self) },
            digest: digest)
    }

    /// A first component is a registry host only when it contains `.` or `:` or is `localhost`; an uppercase
    /// one (`Oracle/bb`) is part of the repository and so fails the lowercase check.
    private static func splitDockerDomain(_ name: [UInt8]) -> (domain: [UInt8], remainder: [UInt8]) {
        var domain = Array(defaultDomain.utf8)
        var remainder = name
        if let slash = name.firstIndex(of: UInt8(ascii: "/")) {
            let first = name[..<slash]
            let looksLikeHost = first.contains(UInt8(ascii: ".")) || first.contains(UInt8(ascii: ":"))
                || first.elementsEqual("localhost".utf8)
            if looksLikeHost {
                domain = Array(first)
                remainder = Array(name[(slash + 1)...])
            }
        }
        if domain.elementsEqual(legacyDefaultDomain.utf8) { domain = Array(defaultDomain.utf8) }
        if domain.elementsEqual(defaultDomain.utf8), !remainder.contains(UInt8(ascii: "/")) {
            remainder = Array(officialRepositoryPrefix.utf8) + remainder
        }
        return (domain, remainder)
    }

    /// `domain/path`, or just the path when there is no domain.
    public var name: String { domain.isEmpty ? path : domain + "/" + path }

    /// The short name docker shows: `nginx`, `user/repo`, `localhost:5000/a/b`.
    public var familiarName: String {
        guard domain == ImageReference.defaultDomain else { return name }
        if path.hasPrefix(ImageReference.officialRepositoryPrefix) {
            let rest = path.dropFirst(ImageReference.officialRepositoryPrefix.count)
            if !rest.contains("/") { return String(rest) }
        }
        return path
    }

    /// What docker prints for this reference, e.g. `nginx:latest`.
    public var familiarString: String { familiarName + suffix }

    /// Fully qualified form, e.g. `docker.io/library/nginx:latest`.
    public var description: String { name + suffix }

    private var suffix: String {
        var out = ""
        if let tag { out += ":" + tag }
        if let digest { out += "@" + digest.description }
        return out
    }

    /// Adds `:latest` when there is neither a tag nor a digest (docker's `TagNameOnly`).
    public func withDefaultTag() -> ImageReference {
        tag == nil && digest == nil ? withTag(ImageReference.defaultTag) : self
    }

    /// The same repository with `tag` (kept digest, if any).
    public func withTag(_ tag: String) -> ImageReference {
        ImageReference(domain: domain, path: path, tag: tag, digest: digest)
    }

    /// docker's `WithTag`: the same repository with a validated tag, or "invalid tag format".
    public func tagged(_ tag: String) throws(ReferenceError) -> ImageReference {
        guard ImageReference.isValidTag(tag) else { throw .invalidTag }
        return withTag(tag)
    }

    /// The same repository with `digest` (kept tag, if any).
    public func withDigest(_ digest: Digest?) -> ImageReference {
        ImageReference(domain: domain, path: path, tag: tag, digest: digest)
    }

    /// Just the repository, no tag or digest.
    public var repository: ImageReference { ImageReference(domain: domain, path: path) }

    /// Whether `tag` is a valid tag (`[\w][\w.-]{0,127}`), e.g. for `docker tag SRC REPO TAG` forms.
    public static func isValidTag(_ tag: String) -> Bool {
        ReferenceGrammar.isTag(Array(tag.utf8)[...])
    }
}

/// What `ParseAnyReference` yields: either an image ID / digest, or a named reference.
public enum AnyImageReference: Hashable, Sendable, CustomStringConvertible {
    /// A 64-hex image ID (taken as `sha256:`) or a full `algorithm:hex` digest.
    case id(Digest)
    case named(ImageReference)

    /// Parses like docker's `ParseAnyReference`.
    public init(_ string: String) throws(ReferenceError) {
        if let id = AnyImageReference.idOrDigest(string) { self = .id(id); return }
        self = .named(try ImageReference(string))
    }

    /// `ParseAnyReference` as parsed by one side (the 20.10 rules are the same on both).
    public static func parse(_ string: String, rules: ReferenceRules) throws(ReferenceError) -> AnyImageReference {
        if let id = idOrDigest(string) { return .id(id) }
        return .named(try ImageReference.parse(string, rules: rules))
    }

    private static func idOrDigest(_ string: String) -> Digest? {
        if ReferenceGrammar.isIdentifier(string.utf8) {
            return Digest(validAlgorithm: "sha256", encoded: string)
        }
        return try? Digest(string)
    }

    public var description: String {
        switch self {
        case .id(let digest): digest.description
        case .named(let reference): reference.description
        }
    }
}

/// Image-ID lookups as docker's daemon does them after a name lookup failed: `sha256:<hex prefix>` or a bare
/// lowercase hex prefix (`9aa0521c58b1`).
public struct ImageIDPrefix: Hashable, Sendable {
    /// Algorithm when given explicitly (`sha256:`), else nil.
    public let algorithm: String?
    /// The lowercase hex prefix, at least one character, at most a full digest.
    public let hexPrefix: String

    /// Returns nil when `string` cannot be an image ID or a prefix of one.
    public init?(_ string: String) {
        var hex = Substring(string)
        var algorithm: String?
        if let colon = string.firstIndex(of: ":") {
            let name = String(string[..<colon])
            guard let length = Digest.hexLengths[name] else { return nil }
            algorithm = name
            hex = string[string.index(after: colon)...]
            guard hex.utf8.count <= length else { return nil }
        } else {
            guard hex.utf8.count <= 64 else { return nil }
        }
        guard !hex.isEmpty, hex.utf8.allSatisfy(ASCII.isLowerHex) else { return nil }
        self.algorithm = algorithm
        self.hexPrefix = String(hex)
    }

    /// Whether `digest` is an ID this prefix designates.
    public func matches(_ digest: Digest) -> Bool {
        (algorithm ?? "sha256") == digest.algorithm && digest.encoded.hasPrefix(hexPrefix)
    }

    /// Whether the string looks like an image ID or ID prefix.
    public static func isIDLike(_ string: String) -> Bool { ImageIDPrefix(string) != nil }
}
