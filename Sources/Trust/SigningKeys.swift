import Crypto
import Foundation
import SwiftASN1

/// A public key that signatures are checked against: ECDSA P-256, read from a PEM `PUBLIC KEY`
/// (SubjectPublicKeyInfo), as cosign, skopeo and `openssl pkey -pubout` write it.
public struct VerificationKey: Sendable, Hashable {
    /// SubjectPublicKeyInfo DER (swift-crypto's key type is not `Sendable`; it is rebuilt from these bytes on use).
    public let der: Data
    var key: P256.Signing.PublicKey { try! P256.Signing.PublicKey(derRepresentation: der) }

    public init(pem: String) throws(TrustError) {
        let text = pem.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let document = try? PEMDocument(pemString: text) else {
            throw TrustError(.invalidArgument, "invalid public key: not a PEM document")
        }
        guard document.discriminator == "PUBLIC KEY" else {
            throw TrustError(.invalidArgument, "invalid public key: PEM type \(document.discriminator), want PUBLIC KEY")
        }
        do { der = try P256.Signing.PublicKey(derRepresentation: document.derBytes).derRepresentation } catch {
            throw TrustError(.invalidArgument, "invalid public key: not an ECDSA P-256 SubjectPublicKeyInfo")
        }
    }

    init(_ key: P256.Signing.PublicKey) { der = key.derRepresentation }

    public var pem: String { key.pemRepresentation + "\n" }
    /// The key's ID: hex SHA-256 of its SubjectPublicKeyInfo DER (docker shortens it to 12 characters for display).
    public var id: String { SHA256.hash(data: der).map { String(format: "%02x", $0) }.joined() }

    /// Whether `signature` (ASN.1 DER, or the raw 64-byte r‖s form) is this key's ECDSA signature over SHA-256 of
    /// `message`.
    public func isValidSignature(_ signature: Data, for message: Data) -> Bool {
        if let der = try? P256.Signing.ECDSASignature(derRepresentation: signature) {
            return key.isValidSignature(der, for: message)
        }
        if signature.count == 64, let raw = try? P256.Signing.ECDSASignature(rawRepresentation: signature) {
            return key.isValidSignature(raw, for: message)
        }
        return false
    }
}

/// A private ECDSA P-256 key that signs. It is held only as long as an operation needs it and never printed.
public struct SigningKey: Sendable {
    /// The raw scalar (swift-crypto's key type is not `Sendable`; it is rebuilt from these bytes on use).
    private let raw: Data
    var key: P256.Signing.PrivateKey { try! P256.Signing.PrivateKey(rawRepresentation: raw) }

    /// A new random key.
    public init() { raw = P256.Signing.PrivateKey().rawRepresentation }

    /// From PKCS #8 (or SEC 1) DER, as decrypted from a key file.
    public init(der: [UInt8]) throws(TrustError) {
        do { raw = try P256.Signing.PrivateKey(derRepresentation: der).rawRepresentation } catch {
            throw TrustError(.invalidArgument, "invalid private key: not an ECDSA P-256 key")
        }
    }

    public var publicKey: VerificationKey { VerificationKey(key.publicKey) }
    /// PKCS #8 DER, to be encrypted into a key file.
    public var pkcs8: [UInt8] { Array(key.derRepresentation) }

    /// ECDSA over SHA-256 of `message`, ASN.1 DER encoded (what cosign puts in its signature annotation).
    public func sign(_ message: Data) throws(TrustError) -> Data {
        do { return try key.signature(for: message).derRepresentation } catch {
            throw TrustError(.internal, "signing failed")
        }
    }
}
