// The libsodium primitives the encrypted key format needs: scrypt (the salsa20/8 + SHA-256 variant), NaCl secretbox
// (XSalsa20-Poly1305) and the system's random bytes. Nothing here is hand-written crypto; it only adapts pointers.
import CSodium
import Foundation
import Synchronization

enum Sodium {
    private static let initialised = Mutex(false)

    /// libsodium must be initialised once before use; the call is idempotent and thread-safe, the flag only saves it.
    static func ready() throws(TrustError) {
        let ok = initialised.withLock { done -> Bool in
            if done { return true }
            done = sodium_init() >= 0
            return done
        }
        if !ok { throw TrustError(.internal, "libsodium could not be initialised") }
    }

    static func randomBytes(_ count: Int) throws(TrustError) -> [UInt8] {
        try ready()
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, count) }
        return bytes
    }

    /// scrypt(passphrase, salt, N, r, p) stretched to `length` bytes.
    static func scrypt(_ passphrase: [UInt8], salt: [UInt8], n: UInt64, r: UInt32, p: UInt32, length: Int) throws(TrustError) -> [UInt8] {
        try ready()
        var key = [UInt8](repeating: 0, count: max(length, 1))
        // An empty array has no base address; libsodium only needs a valid pointer for a zero length.
        let pass = passphrase.isEmpty ? [0] : passphrase, saltBytes = salt.isEmpty ? [0] : salt
        let status = pass.withUnsafeBufferPointer { passBuffer in
            saltBytes.withUnsafeBufferPointer { saltBuffer in
                key.withUnsafeMutableBufferPointer { out in
                    crypto_pwhash_scryptsalsa208sha256_ll(passBuffer.baseAddress!, passphrase.count, saltBuffer.baseAddress!, salt.count,
                                                          n, r, p, out.baseAddress!, length)
                }
            }
        }
        guard status == 0 else { throw TrustError(.invalidArgument, "scrypt refused its parameters (N=\(n), r=\(r), p=\(p))") }
        return key
    }

    static let secretboxKeyBytes = Int(crypto_secretbox_KEYBYTES)
    static let secretboxNonceBytes = Int(crypto_secretbox_NONCEBYTES)
    static let secretboxMACBytes = Int(crypto_secretbox_MACBYTES)

    /// The authenticator followed by the ciphertext, as NaCl's `secretbox` (and Go's `nacl/secretbox.Seal`) lays it out.
    static func secretboxSeal(_ message: [UInt8], nonce: [UInt8], key: [UInt8]) throws(TrustError) -> [UInt8] {
        try ready()
        guard nonce.count == secretboxNonceBytes, key.count == secretboxKeyBytes else {
            throw TrustError(.invalidArgument, "secretbox needs a \(secretboxNonceBytes)-byte nonce and a \(secretboxKeyBytes)-byte key")
        }
        var sealed = [UInt8](repeating: 0, count: message.count + secretboxMACBytes)
        let input = message.isEmpty ? [0] : message
        let status = input.withUnsafeBufferPointer { m in
            sealed.withUnsafeMutableBufferPointer { c in
                crypto_secretbox_easy(c.baseAddress!, m.baseAddress!, UInt64(message.count), nonce, key)
            }
        }
        guard status == 0 else { throw TrustError(.internal, "secretbox failed to seal") }
        return sealed
    }

    /// The message, or nil when the authenticator does not match (a wrong key or damaged bytes).
    static func secretboxOpen(_ sealed: [UInt8], nonce: [UInt8], key: [UInt8]) throws(TrustError) -> [UInt8]? {
        try ready()
        guard nonce.count == secretboxNonceBytes, key.count == secretboxKeyBytes, sealed.count >= secretboxMACBytes else { return nil }
        let length = sealed.count - secretboxMACBytes
        var message = [UInt8](repeating: 0, count: max(length, 1))
        let status = sealed.withUnsafeBufferPointer { c in
            message.withUnsafeMutableBufferPointer { m in
                crypto_secretbox_open_easy(m.baseAddress!, c.baseAddress!, UInt64(c.count), nonce, key)
            }
        }
        return status == 0 ? Array(message.prefix(length)) : nil
    }

    /// Overwrites secret bytes in place before they are released.
    static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { if let base = $0.baseAddress { sodium_memzero(base, $0.count) } }
    }
}
