import Foundation
import Testing
import GoText
@testable import OCI
import TestKit



/// docker/distribution v2.7's regular expressions (docker 20.10), used only here as an oracle for the
/// hand-written grammar.
struct RegexOracle {
    let reference: NSRegularExpression
    let anchoredName: NSRegularExpression

    init() {
        let alnum = "[a-z0-9]+"
        // The daemon's `[-]*` accepts the same language as `[-]+` but backtracks exponentially in ICU.
        let separator = "(?:[._]|__|[-]+)"
        let component = "\(alnum)(?:\(separator)\(alnum))*"
        let domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
        let domainName = "\(domainComponent)(?:\\.\(domainComponent))*"
        let domain = "\(domainName)(?::[0-9]+)?"
        let path = "\(component)(?:/\(component))*"
        let tag = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
        let digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}"
        reference = try! NSRegularExpression(pattern: "^((?:\(domain)/)?\(path))(?::(\(tag)))?(?:@(\(digest)))?$")
        anchoredName = try! NSRegularExpression(pattern: "^(?:(\(domain))/)?(\(path))$")
    }

    /// name, domain, path, tag, digest as strings (nil when absent), or nil when there is no match.
    func match(_ s: String) -> [String?]? {
        let ns = s as NSString
        guard let m = reference.firstMatch(in: s, range: NSRange(location: 0, length: ns.length)) else { return nil }
        func group(_ m: NSTextCheckingResult, _ i: Int, _ ns: NSString) -> String? {
            let r = m.range(at: i)
            return r.location == NSNotFound ? nil : ns.substring(with: r)
        }
        let name = group(m, 1, ns)!
        let nameNS = name as NSString
        let n = anchoredName.firstMatch(in: name, range: NSRange(location: 0, length: nameNS.length))!
        return [name, group(n, 1, nameNS), group(n, 2, nameNS), group(m, 2, ns), group(m, 3, ns)]
    }
}

@Suite struct ReferenceFuzzTests {
    static let alphabet = Array("abcxyz019AZ./:@-_ [];!".unicodeScalars) + ["é"]
    static let seeds = groundTruthInputs + ["sha256:" + h64, "localhost:5000/a/b:t@sha256:" + h64, "[::1]:80/x"]
    /// The inputs of docker's recorded reference ground truth (DockerViewsTests' DockerReferenceCases.swift), in
    /// its order, as mutation seeds.
    static let groundTruthInputs: [String] = [
        "nginx", "nginx:latest", "nginx:1.25-alpine", "library/nginx", "docker.io/nginx", "docker.io/library/nginx:1",
        "index.docker.io/nginx", "index.docker.io/library/nginx", "user/repo", "user/repo:tag", "docker.io/user/repo",
        "localhost/foo", "localhost:5000/a/b:tag", "localhost:5000", "localhost:5000/foo", "example.com/foo/bar",
        "example.com:443/foo", "EXAMPLE.com/foo", "Example.Com:5000/x/y:z", "127.0.0.1:5000/x", "a-b.example/c",
        "a/b/c/d/e", "a_b/c__d/e-f/g.h", "a--b/c---d", "a___b", "a__b", "a._b", "a..b", "a.b", "a-", "_a", "a_", "a/",
        "/a", "a//b", "UPPER", "Upper/lower", "upper/Lower", "Foo_bar/x", "Localhost/x", "localhost/X",
        "example.com:5000/A", "foo_bar.com/baz", "a__b.c/x:t", "a:", ":tag", "a::b", "a:b:c", "a:-tag", "a:_tag",
        "a:.tag", "a:Tag_1.x-2", "x y", "héllo", "nginx@sha256:" + h64, "nginx:1@sha256:" + h64,
        "nginx@sha256:" + h32, "nginx@sha256:" + h64.uppercased(), "nginx@SHA256:" + h64, "nginx:t@Sha256:" + h64,
        "nginx@md5:" + h32, "nginx@sha512:" + h64, "nginx@sha384:" + h64 + h32, "nginx@sha256:zz", "nginx@sha256:123",
        "nginx@", "nginx@@sha256:" + h64, h64, "b" + h64, h32 + "0123456789abcdef0123456789abcde", "sha256:" + h64,
        "[::1]:5000/foo", "[::1]/foo", "example.com:/foo", "example.com:x/foo", "ex-.com/foo",
        String(repeating: "a", count: 237), String(repeating: "a", count: 238),
        "ex.com/" + String(repeating: "a", count: 243), "ex.com/" + String(repeating: "a", count: 255),
        "a:" + String(repeating: "a", count: 128), "a:" + String(repeating: "a", count: 127) + "b", "", "a\tb\"c",
        "Foo/bar", "a@sha256:zz", "a@md5:" + h32, "a@sha256:" + h32, "Ex_ample.com/foo", "Oracle/BB:t3",
        String(repeating: "a", count: 256), "ex.com/" + String(repeating: "a", count: 248),
        "ex.com/" + String(repeating: "a", count: 249), String(repeating: "a", count: 255),
        "ex.com/" + String(repeating: "a", count: 247), "localhost:5000/" + String(repeating: "a", count: 240),
    ]

    func randomInput(_ rng: inout SeededGenerator) -> String {
        if Bool.random(using: &rng) {
            var scalars = Array(Self.seeds.randomElement(using: &rng)!.unicodeScalars)
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let position = Int.random(in: 0...scalars.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: scalars.insert(Self.alphabet.randomElement(using: &rng)!, at: position)
                case 1 where position < scalars.count: scalars.remove(at: position)
                default: if position < scalars.count { scalars[position] = Self.alphabet.randomElement(using: &rng)! }
                }
            }
            var out = String.UnicodeScalarView()
            out.append(contentsOf: scalars)
            return String(out)
        }
        let length = Int.random(in: 0...24, using: &rng)
        var out = String.UnicodeScalarView()
        for _ in 0..<length { out.append(Self.alphabet.randomElement(using: &rng)!) }
        return String(out)
    }

    @Test func grammarAgreesWithRegexOracle() {
        var rng = SeededGenerator(state: 42)
        let oracle = RegexOracle()
        for _ in 0..<4000 {
            let input = randomInput(&rng)
            let bytes = Array(input.utf8)
            let expected = oracle.match(input)
            let actual = ReferenceGrammar.match(bytes).map { m -> [String?] in
                func s(_ r: Range<Int>?) -> String? { r.map { String(decoding: bytes[$0], as: UTF8.self) } }
                return [s(m.name), s(m.domain), s(m.path), s(m.tag), s(m.digest)]
            }
            #expect(actual == expected, "\(input)")
        }
    }

    @Test func randomInputsNeverCrashAndRoundTrip() throws {
        var rng = SeededGenerator(state: 7)
        var accepted = 0
        for _ in 0..<3000 {
            let input = randomInput(&rng)
            input.utf8.withContiguousStorageIfAvailable { buffer in
                _ = fuzz(buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!, buffer.count)
            }
            // docker 20.10's CLI and daemon share one parser, so the two rule sets must never disagree.
            let client = Result { try ImageReference.parse(input, rules: .client) }.mapError { $0 as! ReferenceError }
            let daemon = Result { try ImageReference.parse(input, rules: .daemon) }.mapError { $0 as! ReferenceError }
            let parsed = Result { try ImageReference(input) }.mapError { $0 as! ReferenceError }
            #expect(parsed == client && client == daemon, "\(input)")
            if let reference = try? ImageReference(input) {
                accepted += 1
                #expect(try ImageReference(reference.description) == reference, "\(input)")
                // Familiar strings need not round-trip: docker prints docker.io/us.r/repo as "us.r/repo",
                // which then reads as a registry host. Only the fully qualified form must.
            }
        }
        #expect(accepted > 100)
    }
}

/// The OCI part of Fuzz/ReferenceFuzz (which is built separately with libFuzzer), minus the entry-point attribute;
/// DockerViewsTests puts random inputs through every DockerReferenceCommand.
func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let reference = try? ImageReference(input) {
        precondition((try? ImageReference(reference.description)) == reference)
    }
    _ = try? AnyImageReference(input)
    if let digest = try? Digest(input) { precondition(digest.description == input) }
    _ = ImageIDPrefix(input)
    _ = try? Platform(parsing: input)
    _ = try? Timestamp(input)
    return 0
}
