import Crypto

/// Incremental SHA-256 that renders as an OCI digest string ("sha256:<64 hex>").
///
/// Kept internal to Archive so the module does not depend on OCI's `Digest` yet; callers get strings.
struct Sha256Digester {
    private var hasher = SHA256()

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        if bytes.count > 0 { hasher.update(bufferPointer: bytes) }
    }

    func finalizeDigestString() -> String {
        Self.digestString(hasher.finalize())
    }

    static func digestString(_ digest: SHA256.Digest) -> String {
        let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(7 + 64)
        text.append(contentsOf: "sha256:".utf8)
        for byte in digest {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
