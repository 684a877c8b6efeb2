import OCI
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors raised while reading, validating, compressing or writing archives.
///
/// `description` reproduces the text docker prints for the same failure (Go's archive/tar and
/// compress/* messages), so the CLI can show it verbatim; `detailedDescription` adds context.
public enum ArchiveError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A header block failed its checksum, had a malformed field, or the stream is not a tar at all.
    case invalidHeader(offset: Int64)
    /// The stream ended inside a header or inside an entry's data.
    case unexpectedEOF(entry: String?)
    /// A PAX or GNU long-name record exceeded the size Go's reader accepts (1 MiB).
    case headerFieldTooLong(offset: Int64)
    /// The compressed input is corrupt; the message names the format's failure.
    case corruptCompressedInput(String)
    /// A system call failed.
    case systemCall(String, errno: Int32)
    /// A value cannot be represented in a tar header, or an argument was invalid.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .invalidHeader: return "archive/tar: invalid tar header"
        case .unexpectedEOF: return "unexpected EOF"
        case .headerFieldTooLong: return "archive/tar: header field too long"
        case .corruptCompressedInput(let message): return message
        case .systemCall(let call, let code): return "\(call): \(String(cString: strerror(code)))"
        case .invalidArgument(let message): return message
        }
    }

    /// The docker-compatible message plus where it happened, for logs and `--debug`.
    public var detailedDescription: String {
        switch self {
        case .invalidHeader(let offset): return "\(description) (at byte \(offset))"
        case .unexpectedEOF(let entry?): return "\(description) (inside entry \"\(entry)\")"
        case .unexpectedEOF(nil): return "\(description) (inside a tar header)"
        case .headerFieldTooLong(let offset): return "\(description) (at byte \(offset))"
        default: return description
        }
    }
}

extension ArchiveError: KindedError {
    public var kind: ErrorKind {
        if case .systemCall = self { return .internal }
        return .invalidArgument
    }
}
