import GoText
import Testing
@testable import OCI

@Suite struct ImageReferenceTests {
    @Test(arguments: dockerReferenceCases)
    func matchesDockerTag(_ row: ReferenceCase) throws {
        let failure = DockerReferenceCommand.tag.failure(for: row.input)
        if let accepted = row.accepted {
            #expect(failure == nil)
            let reference = try ImageReference(row.input)
            #expect(reference.withDefaultTag().familiarString == accepted)
        } else {
            #expect(failure?.message == row.tagMessage)
            #expect(failure?.exitCode == 1)
        }
        if let rmi = row.rmiMessage {
            let expected = rmi.contains("No such image") ? nil : rmi
            #expect(DockerReferenceCommand.rmi.failure(for: row.input)?.message == expected)
        }
    }

    @Test(arguments: dockerCommandCases)
    func matchesDockerCommand(_ row: CommandCase) {
        #expect(row.command.failure(for: row.input) == row.failure)
    }

    /// Every rejected row, through every command, framed as the 20.10 recording showed for all of them:
    /// the CLI-side commands print the bare message, the daemon-side ones the rmi text.
    @Test(arguments: dockerReferenceCases.filter { $0.tagMessage?.hasPrefix("Error parsing reference: ") == true })
    func rejectedRowsAcrossCommands(_ row: ReferenceCase) throws {
        let message = try #require(row.tagMessage?.components(separatedBy: " is not a valid repository/tag: ").last)
        for command in [DockerReferenceCommand.pull, .push, .commit] where !(command == .commit && row.input.isEmpty) {
            #expect(command.failure(for: row.input) == DockerReferenceFailure(message: message, exitCode: 1, stdout: nil))
        }
        if row.input != h64 {
            #expect(DockerReferenceCommand.create.failure(for: row.input)?.message == message)
            #expect(DockerReferenceCommand.run.failure(for: row.input)?.message == "docker: \(message).\nSee 'docker run --help'.")
        }
        guard let rmi = row.rmiMessage, !rmi.contains("No such image") else { return }
        #expect(rmi == "Error response from daemon: \(message)")
        #expect(DockerReferenceCommand.history.failure(for: row.input)?.message == rmi)
        #expect(DockerReferenceCommand.save.failure(for: row.input)?.message == rmi)
        #expect(DockerReferenceCommand.imageInspect.failure(for: row.input)?.message
            == "Error response from daemon: no such image: \(row.input): \(message)")
        #expect(DockerReferenceCommand.inspect.failure(for: row.input)?.message
            == (message.contains("invalid reference format")
                ? "Error: No such object: \(row.input)"
                : "Error response from daemon: no such image: \(row.input): \(message)"))
    }

    @Test(arguments: dockerReferenceCases.filter { $0.accepted != nil })
    func acceptedReferencesRoundTrip(_ row: ReferenceCase) throws {
        let reference = try ImageReference(row.input)
        #expect(try ImageReference(reference.description) == reference)
        #expect(try ImageReference(reference.familiarString) == reference)
    }

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

    @Test func perCommandMessages() {
        let upper = "invalid reference format: repository name must be lowercase"
        let daemonUpper = "Error response from daemon: \(upper)"
        #expect(DockerReferenceCommand.pull.failure(for: "UPPER")?.message == upper)
        #expect(DockerReferenceCommand.push.failure(for: "UPPER")?.message == upper)
        #expect(DockerReferenceCommand.create.failure(for: "UPPER")?.message == upper)
        #expect(DockerReferenceCommand.run.failure(for: "UPPER")
            == DockerReferenceFailure(message: "docker: \(upper).\nSee 'docker run --help'.", exitCode: 125, stdout: nil))
        #expect(DockerReferenceCommand.rmi.failure(for: "UPPER")?.message == daemonUpper)
        #expect(DockerReferenceCommand.history.failure(for: "UPPER")?.message == daemonUpper)
        #expect(DockerReferenceCommand.save.failure(for: "UPPER")?.message == daemonUpper)
        #expect(DockerReferenceCommand.pull.failure(for: "Foo/bar")?.message == upper)
        #expect(DockerReferenceCommand.tag.failure(for: "Oracle/BB:t3")?.message
            == #"Error parsing reference: "Oracle/BB:t3" is not a valid repository/tag: \#(upper)"#)
        #expect(DockerReferenceCommand.rmi.failure(for: "Oracle/BB")?.message == daemonUpper)
        #expect(DockerReferenceCommand.imageInspect.failure(for: "UPPER")
            == DockerReferenceFailure(
                message: "Error response from daemon: no such image: UPPER: invalid reference format: repository name must be lowercase",
                exitCode: 1, stdout: "[]"))
        #expect(DockerReferenceCommand.inspect.failure(for: "UPPER")?.message == "Error: No such object: UPPER")
        #expect(DockerReferenceCommand.inspect.failure(for: "a@sha256:" + h32)?.message
            == "Error response from daemon: no such image: a@sha256:\(h32): invalid checksum digest length")
        #expect(DockerReferenceCommand.pull.failure(for: "a@sha256:zz")?.message == "invalid reference format")
        #expect(DockerReferenceCommand.pull.failure(for: "a@md5:" + h32)?.message == "unsupported digest algorithm")
        // Formatting an error the caller classified itself (e.g. a daemon answer) frames it the same way.
        #expect(DockerReferenceCommand.run.failure(.rejectedByDaemon(.invalidFormat), input: "x").message
            == "docker: Error response from daemon: invalid reference format.\nSee 'docker run --help'.")
        // IDs are fine for daemon-side lookups but not as names to pull.
        #expect(DockerReferenceCommand.rmi.failure(for: h64) == nil)
        #expect(DockerReferenceCommand.rmi.failure(for: "sha256:" + h64) == nil)
        #expect(DockerReferenceCommand.pull.failure(for: h64)?.message
            == "invalid repository name (\(h64)), cannot specify 64-byte hexadecimal strings")
        #expect(DockerReferenceCommand.run.failure(for: h64) == nil)
        #expect(DockerReferenceCommand.create.failure(for: h64) == nil)
        #expect(DockerReferenceCommand.commit.failure(for: h64) != nil)
        #expect(DockerReferenceCommand.commit.failure(for: "") == nil)
        // rmi/history/inspect names travel in the URL path, which Go cleans.
        #expect(DockerReferenceCommand.rmi.failure(for: "a//b") == nil)
        #expect(DockerReferenceCommand.rmi.failure(for: "") == nil)
        #expect(DockerReferenceCommand.rmi.daemonVisibleName("/a/./b/../c/") == "a/c")
        #expect(DockerReferenceCommand.save.failure(for: "a//b")?.message == "Error response from daemon: invalid reference format")
        #expect(ReferenceError.dockerTagMessage(input: "UPPER")
            == #"Error parsing reference: "UPPER" is not a valid repository/tag: \#(upper)"#)
        #expect(ReferenceError.dockerTagMessage(input: "ok") == nil)
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
