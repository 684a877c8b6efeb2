import Foundation
import GoText
import SwiftASN1

/// The passphrase-encrypted private key file that cosign, skopeo (`generate-sigstore-key`) and the sigstore libraries
/// write: a PEM block `ENCRYPTED SIGSTORE PRIVATE KEY` (older cosign: `ENCRYPTED COSIGN PRIVATE KEY`) whose body is
/// JSON: `kdf` (scrypt with `N`, `r`, `p` and a base64 salt), `cipher` (`nacl/secretbox` with a base64 nonce) and the
/// base64 `ciphertext` of the PKCS #8 DER private key.
public enum EncryptedKeyFile {
    public static let pemType = "ENCRYPTED SIGSTORE PRIVATE KEY"
    static let legacyPEMType = "ENCRYPTED COSIGN PRIVATE KEY"
    /// The parameters cosign writes (about 32 MiB of memory for scrypt).
    static let scryptN: UInt64 = 32768, scryptR: UInt32 = 8, scryptP: UInt32 = 1
    /// A file may ask for more work than the default, but not so much that reading a hostile file exhausts memory.
    static let maximumScryptMemory: UInt64 = 256 << 20

    /// Encrypts PKCS #8 DER bytes under a passphrase, as a PEM document.
    public static func seal(pkcs8 der: [UInt8], passphrase: [UInt8]) throws(TrustError) -> String {
        let salt = try Sodium.randomBytes(32)
        let nonce = try Sodium.randomBytes(Sodium.secretboxNonceBytes)
        var key = try Sodium.scrypt(passphrase, salt: salt, n: scryptN, r: scryptR, p: scryptP, length: Sodium.secretboxKeyBytes)
        defer { Sodium.wipe(&key) }
        let sealed = try Sodium.secretboxSeal(der, nonce: nonce, key: key)
        let body: JSONValue = .fields([
            "kdf": .fields([
                "name": .string("scrypt"),
                "params": .fields(["N": .integer(Int64(scryptN)), "r": .integer(Int64(scryptR)), "p": .integer(Int64(scryptP))]),
                "salt": .string(Data(salt).base64EncodedString()),
            ]),
            "cipher": .fields(["name": .string("nacl/secretbox"), "nonce": .string(Data(nonce).base64EncodedString())]),
            "ciphertext": .string(Data(sealed).base64EncodedString()),
        ])
        return PEMDocument(type: pemType, derBytes: Array(GoJSON.encode(body))).pemString + "\n"
    }

    /// Whether `text` looks like this format (so that a plain PEM key can be told apart).
    public static func isEncryptedKey(_ text: String) -> Bool {
        text.contains("-----BEGIN " + pemType + "-----") || text.contains("-----BEGIN " + legacyPEMType + "-----")
    }

    /// The PKCS #8 DER bytes inside an encrypted key file. A wrong passphrase and a damaged file are told apart
    /// where the format allows (the authenticator cannot say which of the two it was).
    public static func open(_ text: String, passphrase: [UInt8]) throws(TrustError) -> [UInt8] {
        let document: PEMDocument
        do { document = try PEMDocument(pemString: text.trimmingCharacters(in: .whitespacesAndNewlines)) } catch {
            throw TrustError(.invalidArgument, "invalid key file: not a PEM document")
        }
        guard document.discriminator == pemType || document.discriminator == legacyPEMType else {
            throw TrustError(.invalidArgument, "invalid key file: PEM type \(document.discriminator), want \(pemType)")
        }
        let fields = try parse(Data(document.derBytes))
        let n = fields.n, r = fields.r, p = fields.p
        guard n > 1, n & (n - 1) == 0, r > 0, p > 0, p <= 16, 128 * n * UInt64(r) <= maximumScryptMemory else {
            throw TrustError(.invalidArgument, "invalid key file: unacceptable scrypt parameters N=\(n) r=\(r) p=\(p)")
        }
        var key = try Sodium.scrypt(passphrase, salt: fields.salt, n: n, r: r, p: p, length: Sodium.secretboxKeyBytes)
        defer { Sodium.wipe(&key) }
        guard let der = try Sodium.secretboxOpen(fields.ciphertext, nonce: fields.nonce, key: key) else {
            throw TrustError(.unauthorized, "decrypting the private key failed: wrong passphrase or damaged key file")
        }
        return der
    }

    private struct Fields {
        var n: UInt64, r: UInt32, p: UInt32
        var salt: [UInt8], nonce: [UInt8], ciphertext: [UInt8]
    }

    private static func parse(_ json: Data) throws(TrustError) -> Fields {
        struct Body: Decodable {
            struct KDF: Decodable {
                struct Params: Decodable { var N: UInt64; var r: UInt32; var p: UInt32 }
                var name: String; var params: Params; var salt: String
            }
            struct Cipher: Decodable { var name: String; var nonce: String }
            var kdf: KDF; var cipher: Cipher; var ciphertext: String
        }
        guard let body = try? JSONDecoder().decode(Body.self, from: json) else {
            throw TrustError(.invalidArgument, "invalid key file: its body is not the encrypted key JSON")
        }
        guard body.kdf.name == "scrypt" else { throw TrustError(.invalidArgument, "invalid key file: unsupported kdf \(body.kdf.name)") }
        guard body.cipher.name == "nacl/secretbox" else {
            throw TrustError(.invalidArgument, "invalid key file: unsupported cipher \(body.cipher.name)")
        }
        guard let salt = Data(base64Encoded: body.kdf.salt), let nonce = Data(base64Encoded: body.cipher.nonce),
              let ciphertext = Data(base64Encoded: body.ciphertext) else {
            throw TrustError(.invalidArgument, "invalid key file: salt, nonce or ciphertext is not base64")
        }
        guard nonce.count == Sodium.secretboxNonceBytes else { throw TrustError(.invalidArgument, "invalid key file: bad nonce length") }
        return Fields(n: body.kdf.params.N, r: body.kdf.params.r, p: body.kdf.params.p,
                      salt: Array(salt), nonce: Array(nonce), ciphertext: Array(ciphertext))
    }
}
