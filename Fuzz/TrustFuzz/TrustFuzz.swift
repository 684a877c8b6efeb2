// libFuzzer entry point for the trust parsers: signature policies, encrypted key files, public keys, simple signing
// payloads, Sigstore bundles and `.sig` manifests. Any input must parse or fail with a TrustError, never trap.
import Foundation
import Trust

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)
    _ = try? TrustPolicy(data: bytes, directory: "/nonexistent")
    _ = try? VerificationKey(pem: text)
    _ = try? SimpleSigningPayload(parsing: bytes)
    _ = try? SigstoreBundle.decode(bytes)
    _ = try? SignatureImage.signatureLayers(ofManifest: bytes, limit: 16)
    // The key file parser runs scrypt only when the body parses; the fuzzer's files rarely get that far, and when
    // they do the parameters are bounded (see EncryptedKeyFile).
    _ = try? EncryptedKeyFile.open(text, passphrase: [])
    return 0
}
