/// What kind of failure an error is, for whoever has to answer it: the CLI maps a kind to docker's wording and exit
/// code, a server to an HTTP status. Every library error says its kind; the cause stays the error itself.
public enum ErrorKind: String, Sendable, Hashable, CaseIterable {
    /// The named image, blob, manifest or repository does not exist.
    case notFound
    /// The request is valid but clashes with the current state (an image in use, a name held elsewhere).
    case conflict
    /// The request itself is wrong: a malformed reference, option, manifest, archive or Dockerfile.
    case invalidArgument
    /// Credentials are missing or were refused.
    case unauthorized
    /// The credentials are fine but not allowed to do this (or the store is read-only).
    case denied
    /// A registry or the network failed, or answered in a way worth retrying later.
    case unavailable
    /// Anything else: a bug, damage, or a system call that failed.
    case `internal`
}

/// An error that says what kind of failure it is.
public protocol KindedError: Error {
    var kind: ErrorKind { get }
}

extension ErrorKind {
    /// The kind of any error: its own when it says, else `internal`.
    public static func of(_ error: any Error) -> ErrorKind {
        (error as? any KindedError)?.kind ?? .internal
    }
}

extension ReferenceError: KindedError {
    public var kind: ErrorKind { .invalidArgument }
}

extension PlatformError: KindedError {
    public var kind: ErrorKind { .invalidArgument }
}

/// Error messages quote their input; a pathological input (a 4 MB line, `-f /dev/zero`) must still give one readable
/// line, so messages are cut at `limit` bytes (on a character boundary) with "…".
public enum ErrorText {
    public static func bounded(_ text: String, limit: Int = 1024) -> String {
        guard text.utf8.count > limit else { return text }
        var cut = ""
        var used = 0
        for character in text {
            used += character.utf8.count
            if used > limit { break }
            cut.append(character)
        }
        return cut + "…"
    }
}
