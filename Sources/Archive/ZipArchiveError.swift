import OCI
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a zip archive (or one of its entries) could not be read. `failure` says what went wrong as a case callers
/// can match; `message` is one line for people (`zip: "a.txt": bad CRC-32`).
public struct ZipArchiveError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Failure: String, Sendable, Hashable, CaseIterable {
        /// No end of central directory record: the bytes are not a zip archive.
        case notAZip
        /// The archive ends before a record or an entry's data does.
        case truncated
        /// A record or the compressed data is malformed, or sizes and offsets contradict each other.
        case corrupt
        /// A valid zip feature this reader does not implement (encryption, other compression methods, spanning).
        case unsupported
        /// An entry or the archive is larger than the caller allowed (zip bombs, absurd entry counts).
        case limitExceeded
        /// An entry's bytes do not match the CRC-32 its header records.
        case checksumMismatch
        /// Reading the file failed.
        case systemCall
    }

    public let failure: Failure
    public let message: String

    public init(_ failure: Failure, _ message: String) {
        self.failure = failure
        self.message = message
    }

    public var description: String { message }

    static func systemCall(_ call: String, errno code: Int32) -> ZipArchiveError {
        ZipArchiveError(.systemCall, "zip: \(call): \(String(cString: strerror(code)))")
    }
}

extension ZipArchiveError: KindedError {
    public var kind: ErrorKind { failure == .systemCall ? .internal : .invalidArgument }
}
