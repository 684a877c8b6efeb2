import OCI

/// A signing, verification, key or policy failure: its kind and one line that names what went wrong. Never holds a
/// passphrase or private key bytes.
public struct TrustError: Error, KindedError, Sendable, CustomStringConvertible, Equatable {
    public let kind: ErrorKind
    public let description: String

    public init(_ kind: ErrorKind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
