import Crypto
import OCI

/// Incremental hash for whichever algorithm a digest names (sha256, sha384, sha512).
struct ContentHasher {
    private enum State {
        case sha256(SHA256), sha384(SHA384), sha512(SHA512)
    }
    private var state: State
    let algorithm: String

    init(algorithm: String) {
        self.algorithm = algorithm
        switch algorithm {
        case "sha384": state = .sha384(SHA384())
        case "sha512": state = .sha512(SHA512())
        default: state = .sha256(SHA256())
        }
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        switch state {
        case .sha256(var h): h.update(bufferPointer: bytes); state = .sha256(h)
        case .sha384(var h): h.update(bufferPointer: bytes); state = .sha384(h)
        case .sha512(var h): h.update(bufferPointer: bytes); state = .sha512(h)
        }
    }

    func finalize() -> OCI.Digest {
        let hex: String
        switch state {
        case .sha256(let h): hex = h.finalize().map { String($0, radix: 16).leftPadded(2) }.joined()
        case .sha384(let h): hex = h.finalize().map { String($0, radix: 16).leftPadded(2) }.joined()
        case .sha512(let h): hex = h.finalize().map { String($0, radix: 16).leftPadded(2) }.joined()
        }
        // The hex is well formed by construction.
        return try! OCI.Digest(algorithm + ":" + hex)
    }

    static func digest(of bytes: some Sequence<UInt8>, algorithm: String) -> OCI.Digest {
        var hasher = ContentHasher(algorithm: algorithm)
        Array(bytes).withUnsafeBytes { hasher.update($0) }
        return hasher.finalize()
    }
}
