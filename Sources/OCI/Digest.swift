import GoText
// Digest validation is hand-written to match opencontainers/go-digest's rules and error texts byte for byte.
import Crypto
import Foundation

/// Why a digest string was rejected; the texts are go-digest's, which docker prints verbatim.
public enum DigestError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidFormat
    case invalidLength
    case unsupportedAlgorithm

    public var description: String {
        switch self {
        case .invalidFormat: "invalid checksum digest format"
        case .invalidLength: "invalid checksum digest length"
        case .unsupportedAlgorithm: "unsupported digest algorithm"
        }
    }
}

/// A content digest such as `sha256:<64 hex>`: the identity of every blob, manifest and image ID.
///
/// Only the algorithms dockerd has linked in are accepted (sha256, sha384, sha512), lowercase hex only.
public struct Digest: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    /// The algorithm name, e.g. `sha256`.
    public let algorithm: String
    /// The lowercase hex encoding of the hash.
    public let encoded: String

    /// Hex length of each algorithm dockerd accepts.
    static let hexLengths: [String: Int] = ["sha256": 64, "sha384": 96, "sha512": 128]

    /// Parses and validates `algorithm:hex` exactly like go-digest's `Parse`.
    public init(_ string: String) throws(DigestError) {
        let bytes = Array(string.utf8)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon > 0, colon + 1 < bytes.count else {
            throw .invalidFormat
        }
        let algorithmBytes = bytes[..<colon]
        let encodedBytes = bytes[(colon + 1)...]
        let algorithm = String(decoding: algorithmBytes, as: UTF8.self)
        guard let expectedLength = Digest.hexLengths[algorithm] else {
            throw Digest.matchesGenericDigestGrammar(algorithmBytes, encodedBytes) ? .unsupportedAlgorithm : .invalidFormat
        }
        guard encodedBytes.count == expectedLength else { throw .invalidLength }
        guard encodedBytes.allSatisfy(ASCII.isLowerHex) else { throw .invalidFormat }
        self.algorithm = algorithm
        self.encoded = String(decoding: encodedBytes, as: UTF8.self)
    }

    /// Builds a digest from parts already known to be valid (e.g. a hash just computed).
    init(validAlgorithm: String, encoded: String) {
        self.algorithm = validAlgorithm
        self.encoded = encoded
    }

    /// The sha256 digest of `bytes`.
    public static func sha256(_ bytes: some DataProtocol) -> Digest {
        Digest(validAlgorithm: "sha256", encoded: SHA256.hash(data: bytes).lowercaseHex)
    }

    /// `algorithm:encoded`.
    public var description: String { algorithm + ":" + encoded }

    /// The first 12 hex characters, the form docker shows for image IDs.
    public var shortID: String { String(encoded.prefix(12)) }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.description < rhs.description }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        do {
            self = try Digest(string)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(error): \(string)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// go-digest's fallback grammar `[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+`, which decides between
    /// "unsupported" and "invalid format" for algorithms it does not know.
    private static func matchesGenericDigestGrammar(_ algorithm: ArraySlice<UInt8>, _ encoded: ArraySlice<UInt8>) -> Bool {
        var previousWasSeparator = true
        for byte in algorithm {
            if ASCII.isLowerAlnum(byte) {
                previousWasSeparator = false
            } else if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") {
                if previousWasSeparator { return false }
                previousWasSeparator = true
            } else {
                return false
            }
        }
        if previousWasSeparator { return false }
        return encoded.allSatisfy { ASCII.isAlnum($0) || $0 == UInt8(ascii: "=") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }
}

/// Incremental sha256, so callers can hash a stream in one pass while writing it elsewhere.
/// Not Sendable because swift-crypto's Linux `SHA256` is not.
public struct SHA256Hasher {
    private var hasher = SHA256()

    public init() {}

    public mutating func update(bufferPointer: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bufferPointer)
    }

    public mutating func update(data: some DataProtocol) {
        hasher.update(data: data)
    }

    /// The digest of everything fed so far; the hasher may not be updated afterwards.
    public func finalize() -> Digest {
        Digest(validAlgorithm: "sha256", encoded: hasher.finalize().lowercaseHex)
    }
}

extension Sequence<UInt8> {
    var lowercaseHex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(128)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
