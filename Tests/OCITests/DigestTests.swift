import Foundation
import Testing
@testable import OCI

@Suite struct DigestTests {
    @Test(arguments: [
        ("sha256:" + h64, nil),
        ("sha384:" + h64 + h32, nil),
        ("sha512:" + h64 + h64, nil),
        ("sha256:" + h32, DigestError.invalidLength),
        ("sha512:" + h64, .invalidLength),
        ("sha256:" + h64.uppercased(), .invalidFormat),
        ("sha256:" + String(h64.dropLast()) + "g", .invalidFormat),
        ("md5:" + h32, .unsupportedAlgorithm),
        ("foo.bar+baz:abc=_-", .unsupportedAlgorithm),
        ("SHA256:" + h64, .invalidFormat),
        ("foo..bar:abc", .invalidFormat),
        ("foo:ab!c", .invalidFormat),
        (":" + h64, .invalidFormat),
        ("sha256:", .invalidFormat),
        ("sha256", .invalidFormat),
        ("", .invalidFormat),
    ] as [(String, DigestError?)])
    func validatesLikeGoDigest(_ input: String, _ expected: DigestError?) {
        do {
            let digest = try Digest(input)
            #expect(expected == nil)
            #expect(digest.description == input)
        } catch {
            #expect(error == expected)
        }
    }

    @Test func hashingAndCoding() throws {
        let empty = Digest.sha256(Data())
        #expect(empty.description == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(empty.shortID == "e3b0c44298fc")
        var hasher = SHA256Hasher()
        let bytes = Array("hello world".utf8)
        bytes[..<5].withUnsafeBytes { hasher.update(bufferPointer: $0) }
        hasher.update(data: bytes[5...])
        #expect(hasher.finalize() == Digest.sha256(Data(bytes)))
        let encoded = try JSONEncoder().encode([empty])
        #expect(String(decoding: encoded, as: UTF8.self) == #"["sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]"#)
        #expect(try JSONDecoder().decode([Digest].self, from: encoded) == [empty])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Digest].self, from: Data(#"["sha256:12"]"#.utf8)) }
        #expect(try Digest("sha256:" + h64) < Digest("sha512:" + h64 + h64))
        #expect(DigestError.invalidLength.description == "invalid checksum digest length")
    }
}
