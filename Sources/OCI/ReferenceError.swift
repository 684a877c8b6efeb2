/// Why an image reference was rejected. Each case is a kind a caller can switch on; `description` is the
/// reference grammar's own message (distribution/reference's wording, e.g. "invalid reference format"), with no
/// command framing: prefixes and exit codes belong to the presentation layer.
///
/// The docker 20.10 CLI and dockerd 20.10 parse identically (see ``ReferenceRules``); what differs is who
/// rejects it. ``rejectedByDaemon(_:)`` wraps an error from the daemon-side parse (rmi, history, …).
public indirect enum ReferenceError: Error, Hashable, Sendable, CustomStringConvertible {
    /// "invalid reference format"
    case invalidFormat
    /// From `ParseNormalizedNamed` (the repository part has uppercase letters):
    /// "invalid reference format: repository name must be lowercase".
    case nameNotLowercase
    /// "repository name must be lowercase" (the grammar matched only after lowercasing, e.g. `Ex_ample.com/x`).
    case nameContainsUppercase
    /// "repository name must have at least one component"
    case nameEmpty
    /// "repository name must not be more than 255 characters"
    case nameTooLong
    /// "invalid repository name (<64 hex>), cannot specify 64-byte hexadecimal strings"
    case hexadecimalRepositoryName(String)
    /// "invalid tag format"
    case invalidTag
    /// "invalid digest format"
    case invalidDigestFormat
    /// The digest part failed go-digest validation ("invalid checksum digest length", …).
    case digest(DigestError)
    /// dockerd 20.10 (not the CLI) rejected the string with this error.
    case rejectedByDaemon(ReferenceError)

    public var description: String {
        switch self {
        case .invalidFormat: "invalid reference format"
        case .nameNotLowercase: "invalid reference format: repository name must be lowercase"
        case .nameContainsUppercase: "repository name must be lowercase"
        case .nameEmpty: "repository name must have at least one component"
        case .nameTooLong: "repository name must not be more than \(ImageReference.maximumNameLength) characters"
        case .hexadecimalRepositoryName(let name): "invalid repository name (\(name)), cannot specify 64-byte hexadecimal strings"
        case .invalidTag: "invalid tag format"
        case .invalidDigestFormat: "invalid digest format"
        case .digest(let error): error.description
        case .rejectedByDaemon(let error): error.description
        }
    }

    /// True when the daemon-side parse, not the client's, rejected the reference.
    public var isFromDaemon: Bool {
        if case .rejectedByDaemon = self { return true }
        return false
    }
}
