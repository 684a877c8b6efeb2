import GoText
import Testing
@testable import OCI

@Suite struct ImageReferenceTests {
    struct Normalised: Sendable {
        let input, description, domain, path, familiarName: String
        let tag: String?
    }

    @Test(arguments: [
        Normalised(input: "nginx", description: "docker.io/library/nginx", domain: "docker.io", path: "library/nginx", familiarName: "nginx", tag: nil),
        Normalised(input: "nginx:1.25", description: "docker.io/library/nginx:1.25", domain: "docker.io", path: "library/nginx", familiarName: "nginx", tag: "1.25"),
        Normalised(input: "index.docker.io/user/repo:t", description: "docker.io/user/repo:t", domain: "docker.io", path: "user/repo", familiarName: "user/repo", tag: "t"),
        Normalised(input: "docker.io/library/a/b", description: "docker.io/library/a/b", domain: "docker.io", path: "library/a/b", familiarName: "library/a/b", tag: nil),
        Normalised(input: "localhost:5000/a/b:tag", description: "localhost:5000/a/b:tag", domain: "localhost:5000", path: "a/b", familiarName: "localhost:5000/a/b", tag: "tag"),
        Normalised(input: "localhost:5000", description: "docker.io/library/localhost:5000", domain: "docker.io", path: "library/localhost", familiarName: "localhost", tag: "5000"),
        Normalised(input: "localhost/foo", description: "localhost/foo", domain: "localhost", path: "foo", familiarName: "localhost/foo", tag: nil),
        Normalised(input: "Example.Com:5000/x/y:z", description: "Example.Com:5000/x/y:z", domain: "Example.Com:5000", path: "x/y", familiarName: "Example.Com:5000/x/y", tag: "z"),
        Normalised(input: "foo_bar.com/baz", description: "foo_bar.com/baz", domain: "", path: "foo_bar.com/baz", familiarName: "foo_bar.com/baz", tag: nil),
        Normalised(input: "user/repo", description: "docker.io/user/repo", domain: "docker.io", path: "user/repo", familiarName: "user/repo", tag: nil),
    ])
    func normalises(_ row: Normalised) throws {
        let reference = try ImageReference(row.input)
        #expect(reference.description == row.description)
        #expect(reference.domain == row.domain)
        #expect(reference.path == row.path)
        #expect(reference.familiarName == row.familiarName)
        #expect(reference.tag == row.tag)
        #expect(reference.name == (row.domain.isEmpty ? row.path : row.domain + "/" + row.path))
    }

    @Test func digestReferences() throws {
        let digested = try ImageReference("nginx:1@sha256:" + h64)
        #expect(digested.tag == "1")
        #expect(digested.digest == (try Digest("sha256:" + h64)))
        #expect(digested.description == "docker.io/library/nginx:1@sha256:" + h64)
        #expect(digested.familiarString == "nginx:1@sha256:" + h64)
        #expect(digested.withDefaultTag() == digested)
        #expect(try ImageReference("nginx").withDefaultTag().description == "docker.io/library/nginx:latest")
        #expect(try ImageReference("nginx").tagged("v1").familiarString == "nginx:v1")
        #expect(throws: ReferenceError.invalidTag) { try ImageReference("nginx").tagged(".bad") }
        #expect(ReferenceError.invalidTag.description == "invalid tag format")
        #expect(try ImageReference("a:t@sha256:" + h64).repository.description == "docker.io/library/a")
    }

    @Test func errorsSayWhoRejected() throws {
        #expect(throws: ReferenceError.nameNotLowercase) { try ImageReference("UPPER") }
        // 20.10 does not read an uppercase first component as a registry host.
        #expect(throws: ReferenceError.nameNotLowercase) { try ImageReference("Oracle/BB:t3") }
        #expect(throws: ReferenceError.invalidFormat) { try ImageReference("[::1]:5000/foo") }
        #expect(throws: ReferenceError.nameTooLong) { try ImageReference(String(repeating: "a", count: 238)) }
        #expect(throws: ReferenceError.hexadecimalRepositoryName(h64)) { try ImageReference(h64) }
        #expect(throws: ReferenceError.digest(.invalidLength)) { try ImageReference("a@sha256:" + h32) }
        #expect(throws: ReferenceError.nameContainsUppercase) { try ImageReference("Ex_ample.com/foo") }
        #expect(throws: ReferenceError.nameEmpty) { try ImageReference.parseQualified([]) }
        // Both sides parse alike; only daemon-side commands attribute the error to the daemon.
        for input in ["UPPER", "Upper/lower", "[::1]/foo", String(repeating: "a", count: 238), "Ex_ample.com/foo"] {
            #expect(Result { try ImageReference.parse(input, rules: .client) }.mapError { $0 as! ReferenceError }
                == Result { try ImageReference.parse(input, rules: .daemon) }.mapError { $0 as! ReferenceError })
        }
        #expect(ReferenceError.rejectedByDaemon(.nameNotLowercase).isFromDaemon)
        #expect(!ReferenceError.nameNotLowercase.isFromDaemon)
    }

    @Test func anyReference() throws {
        #expect(try AnyImageReference(h64) == .id(try Digest("sha256:" + h64)))
        #expect(try AnyImageReference("sha256:" + h64) == .id(try Digest("sha256:" + h64)))
        #expect(try AnyImageReference("busybox") == .named(try ImageReference("busybox")))
        // Not a valid digest, so (like docker) it is a repository "sha256" with tag "abc".
        #expect(try AnyImageReference("sha256:abc").description == "docker.io/library/sha256:abc")
    }

    @Test func imageIDPrefixes() throws {
        let id = try Digest("sha256:" + h64)
        #expect(ImageIDPrefix("0123")?.matches(id) == true)
        #expect(ImageIDPrefix("sha256:0123")?.matches(id) == true)
        #expect(ImageIDPrefix("sha256:" + h64)?.matches(id) == true)
        #expect(ImageIDPrefix("bad")?.matches(id) == false)
        #expect(ImageIDPrefix.isIDLike("busybox") == false)
        #expect(ImageIDPrefix.isIDLike("ABC") == false)
        #expect(ImageIDPrefix.isIDLike("") == false)
        #expect(ImageIDPrefix.isIDLike("sha256:") == false)
        #expect(ImageIDPrefix.isIDLike("md5:abc") == false)
        #expect(ImageIDPrefix.isIDLike(h64 + "0") == false)
    }

    @Test func goQuote() {
        #expect(GoQuote.quote("a\tb\"c\\") == #""a\tb\"c\\""#)
        #expect(GoQuote.quote("héllo") == "\"héllo\"")
        #expect(GoQuote.quote("\u{1}\u{7f}") == #""\x01\x7f""#)
        #expect(GoQuote.quote("\u{200b}") == #""\u200b""#)
    }
}
