@testable import DockerViews
import OCI
import Testing

/// One row of docker ground truth, recorded on this machine with the docker 20.10.24 client (`/usr/bin/docker`)
/// and dockerd 20.10.24: `docker tag local/busybox <input>`, then `docker rmi <input>` (whose "Untagged: X"
/// gives the familiar form when the tag was made, and the daemon-side error when it was not).
struct ReferenceCase: CustomTestStringConvertible, Sendable {
    let input: String
    /// docker's familiar string after adding the default tag, when `docker tag` accepted the input.
    let accepted: String?
    /// Full stderr of the failed `docker tag`.
    let tagMessage: String?
    /// Full stderr of `docker rmi <input>` when the tag failed. "Error: No such image: …" means dockerd
    /// accepted the name and merely found nothing.
    let rmiMessage: String?

    init(_ input: String, accepted: String) {
        self.input = input; self.accepted = accepted; tagMessage = nil; rmiMessage = nil
    }

    init(_ input: String, tag: String, rmi: String) {
        self.input = input; accepted = nil; tagMessage = tag; rmiMessage = rmi
    }

    var testDescription: String { input.count > 60 ? String(input.prefix(40)) + "…(\(input.count))" : input }
}

let h32 = "0123456789abcdef0123456789abcdef"
let h64 = h32 + h32

let dockerReferenceCases: [ReferenceCase] = [
    .init("nginx", accepted: "nginx:latest"),
    .init("nginx:latest", accepted: "nginx:latest"),
    .init("nginx:1.25-alpine", accepted: "nginx:1.25-alpine"),
    .init("library/nginx", accepted: "nginx:latest"),
    .init("docker.io/nginx", accepted: "nginx:latest"),
    .init("docker.io/library/nginx:1", accepted: "nginx:1"),
    .init("index.docker.io/nginx", accepted: "nginx:latest"),
    .init("index.docker.io/library/nginx", accepted: "nginx:latest"),
    .init("user/repo", accepted: "user/repo:latest"),
    .init("user/repo:tag", accepted: "user/repo:tag"),
    .init("docker.io/user/repo", accepted: "user/repo:latest"),
    .init("localhost/foo", accepted: "localhost/foo:latest"),
    .init("localhost:5000/a/b:tag", accepted: "localhost:5000/a/b:tag"),
    .init("localhost:5000", accepted: "localhost:5000"),
    .init("localhost:5000/foo", accepted: "localhost:5000/foo:latest"),
    .init("example.com/foo/bar", accepted: "example.com/foo/bar:latest"),
    .init("example.com:443/foo", accepted: "example.com:443/foo:latest"),
    .init("EXAMPLE.com/foo", accepted: "EXAMPLE.com/foo:latest"),
    .init("Example.Com:5000/x/y:z", accepted: "Example.Com:5000/x/y:z"),
    .init("127.0.0.1:5000/x", accepted: "127.0.0.1:5000/x:latest"),
    .init("a-b.example/c", accepted: "a-b.example/c:latest"),
    .init("a/b/c/d/e", accepted: "a/b/c/d/e:latest"),
    .init("a_b/c__d/e-f/g.h", accepted: "a_b/c__d/e-f/g.h:latest"),
    .init("a--b/c---d", accepted: "a--b/c---d:latest"),
    .init("a___b", tag: "Error parsing reference: \"a___b\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("a__b", accepted: "a__b:latest"),
    .init("a._b", tag: "Error parsing reference: \"a._b\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("a..b", tag: "Error parsing reference: \"a..b\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("a.b", accepted: "a.b:latest"),
    .init("a-", tag: "Error parsing reference: \"a-\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("_a", tag: "Error parsing reference: \"_a\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("a_", tag: "Error parsing reference: \"a_\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("a/", tag: "Error parsing reference: \"a/\" is not a valid repository/tag: invalid reference format", rmi: "Error: No such image: a/"),
    .init("/a", tag: "Error parsing reference: \"/a\" is not a valid repository/tag: invalid reference format", rmi: "Error: No such image: /a"),
    .init("a//b", tag: "Error parsing reference: \"a//b\" is not a valid repository/tag: invalid reference format", rmi: "Error: No such image: a//b"),
    .init("UPPER", tag: "Error parsing reference: \"UPPER\" is not a valid repository/tag: invalid reference format: repository name must be lowercase", rmi: "Error response from daemon: invalid reference format: repository name must be lowercase"),
    .init("Upper/lower", tag: "Error parsing reference: \"Upper/lower\" is not a valid repository/tag: invalid reference format: repository name must be lowercase", rmi: "Error response from daemon: invalid reference format: repository name must be lowercase"),
    .init("upper/Lower", tag: "Error parsing reference: \"upper/Lower\" is not a valid repository/tag: invalid reference format: repository name must be lowercase", rmi: "Error response from daemon: invalid reference format: repository name must be lowercase"),
    .init("Foo_bar/x", tag: "Error parsing reference: \"Foo_bar/x\" is not a valid repository/tag: invalid reference format: repository name must be lowercase", rmi: "Error response from daemon: invalid reference format: repository name must be lowercase"),
    .init("Localhost/x", tag: "Error parsing reference: \"Localhost/x\" is not a valid repository/tag: invalid reference format: repository name must be lowercase", rmi: "Error response from daemon: invalid reference format: repository name must be lowercase"),
    .init("localhost/X", tag: "Error parsing reference: \"localhost/X\" is not a valid repository/tag: invalid reference format: repository name must be lowercase", rmi: "Error response from daemon: invalid reference format: repository name must be lowercase"),
    .init("example.com:5000/A", tag: "Error parsing reference: \"example.com:5000/A\" is not a valid repository/tag: invalid reference format: repository name must be lowercase", rmi: "Error response from daemon: invalid reference format: repository name must be lowercase"),
    .init("foo_bar.com/baz", accepted: "foo_bar.com/baz:latest"),
    .init("a__b.c/x:t", accepted: "a__b.c/x:t"),
    .init("a:", tag: "Error parsing reference: \"a:\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init(":tag", tag: "Error parsing reference: \":tag\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("a::b", tag: "Error parsing reference: \"a::b\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("a:b:c", tag: "Error parsing reference: \"a:b:c\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("a:-tag", tag: "Error parsing reference: \"a:-tag\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("a:_tag", accepted: "a:_tag"),
    .init("a:.tag", tag: "Error parsing reference: \"a:.tag\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("a:Tag_1.x-2", accepted: "a:Tag_1.x-2"),
    .init("x y", tag: "Error parsing reference: \"x y\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("héllo", tag: "Error parsing reference: \"héllo\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("nginx@sha256:" + h64, tag: "refusing to create a tag with a digest reference", rmi: "Error: No such image: nginx@sha256:" + h64),
    .init("nginx:1@sha256:" + h64, tag: "refusing to create a tag with a digest reference", rmi: "Error: No such image: nginx:1@sha256:" + h64),
    .init("nginx@sha256:" + h32, tag: "Error parsing reference: \"nginx@sha256:" + h32 + "\" is not a valid repository/tag: invalid checksum digest length", rmi: "Error response from daemon: invalid checksum digest length"),
    .init("nginx@sha256:" + h64.uppercased(), tag: "Error parsing reference: \"nginx@sha256:" + h64.uppercased() + "\" is not a valid repository/tag: invalid checksum digest format", rmi: "Error response from daemon: invalid checksum digest format"),
    .init("nginx@SHA256:" + h64, tag: "Error parsing reference: \"nginx@SHA256:" + h64 + "\" is not a valid repository/tag: invalid reference format: repository name must be lowercase", rmi: "Error response from daemon: invalid reference format: repository name must be lowercase"),
    .init("nginx:t@Sha256:" + h64, tag: "Error parsing reference: \"nginx:t@Sha256:" + h64 + "\" is not a valid repository/tag: invalid checksum digest format", rmi: "Error response from daemon: invalid checksum digest format"),
    .init("nginx@md5:" + h32, tag: "Error parsing reference: \"nginx@md5:" + h32 + "\" is not a valid repository/tag: unsupported digest algorithm", rmi: "Error response from daemon: unsupported digest algorithm"),
    .init("nginx@sha512:" + h64, tag: "Error parsing reference: \"nginx@sha512:" + h64 + "\" is not a valid repository/tag: invalid checksum digest length", rmi: "Error response from daemon: invalid checksum digest length"),
    .init("nginx@sha384:" + h64 + h32, tag: "refusing to create a tag with a digest reference", rmi: "Error: No such image: nginx@sha384:" + h64 + h32),
    .init("nginx@sha256:zz", tag: "Error parsing reference: \"nginx@sha256:zz\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("nginx@sha256:123", tag: "Error parsing reference: \"nginx@sha256:123\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("nginx@", tag: "Error parsing reference: \"nginx@\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("nginx@@sha256:" + h64, tag: "Error parsing reference: \"nginx@@sha256:" + h64 + "\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init(h64, tag: "Error parsing reference: \"" + h64 + "\" is not a valid repository/tag: invalid repository name (" + h64 + "), cannot specify 64-byte hexadecimal strings", rmi: "Error: No such image: " + h64),
    .init("b" + h64, accepted: "b" + h64 + ":latest"),
    .init(h32 + "0123456789abcdef0123456789abcde", accepted: h32 + "0123456789abcdef0123456789abcde:latest"),
    .init("sha256:" + h64, tag: "Error response from daemon: refusing to create an ambiguous tag using digest algorithm as name", rmi: "Error: No such image: sha256:" + h64),
    .init("[::1]:5000/foo", tag: "Error parsing reference: \"[::1]:5000/foo\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("[::1]/foo", tag: "Error parsing reference: \"[::1]/foo\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("example.com:/foo", tag: "Error parsing reference: \"example.com:/foo\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("example.com:x/foo", tag: "Error parsing reference: \"example.com:x/foo\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("ex-.com/foo", tag: "Error parsing reference: \"ex-.com/foo\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init(String(repeating: "a", count: 237), accepted: String(repeating: "a", count: 237) + ":latest"),
    .init(String(repeating: "a", count: 238), tag: "Error parsing reference: \"" + String(repeating: "a", count: 238) + "\" is not a valid repository/tag: repository name must not be more than 255 characters", rmi: "Error response from daemon: repository name must not be more than 255 characters"),
    .init("ex.com/" + String(repeating: "a", count: 243), accepted: "ex.com/" + String(repeating: "a", count: 243) + ":latest"),
    .init("ex.com/" + String(repeating: "a", count: 255), tag: "Error parsing reference: \"ex.com/" + String(repeating: "a", count: 255) + "\" is not a valid repository/tag: repository name must not be more than 255 characters", rmi: "Error response from daemon: repository name must not be more than 255 characters"),
    .init("a:" + String(repeating: "a", count: 128), accepted: "a:" + String(repeating: "a", count: 128)),
    .init("a:" + String(repeating: "a", count: 127) + "b", accepted: "a:" + String(repeating: "a", count: 127) + "b"),
    .init("", tag: "Error parsing reference: \"\" is not a valid repository/tag: invalid reference format", rmi: "Error: No such image:"),
    .init("a\tb\"c", tag: "Error parsing reference: \"a\\tb\\\"c\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("Foo/bar", tag: "Error parsing reference: \"Foo/bar\" is not a valid repository/tag: invalid reference format: repository name must be lowercase", rmi: "Error response from daemon: invalid reference format: repository name must be lowercase"),
    .init("a@sha256:zz", tag: "Error parsing reference: \"a@sha256:zz\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("a@md5:" + h32, tag: "Error parsing reference: \"a@md5:" + h32 + "\" is not a valid repository/tag: unsupported digest algorithm", rmi: "Error response from daemon: unsupported digest algorithm"),
    .init("a@sha256:" + h32, tag: "Error parsing reference: \"a@sha256:" + h32 + "\" is not a valid repository/tag: invalid checksum digest length", rmi: "Error response from daemon: invalid checksum digest length"),
    .init("Ex_ample.com/foo", tag: "Error parsing reference: \"Ex_ample.com/foo\" is not a valid repository/tag: repository name must be lowercase", rmi: "Error response from daemon: repository name must be lowercase"),
    .init("Oracle/BB:t3", tag: "Error parsing reference: \"Oracle/BB:t3\" is not a valid repository/tag: invalid reference format: repository name must be lowercase", rmi: "Error response from daemon: invalid reference format: repository name must be lowercase"),
    .init(String(repeating: "a", count: 256), tag: "Error parsing reference: \"" + String(repeating: "a", count: 256) + "\" is not a valid repository/tag: repository name must not be more than 255 characters", rmi: "Error response from daemon: repository name must not be more than 255 characters"),
    .init("ex.com/" + String(repeating: "a", count: 248), accepted: "ex.com/" + String(repeating: "a", count: 248) + ":latest"),
    .init("ex.com/" + String(repeating: "a", count: 249), tag: "Error parsing reference: \"ex.com/" + String(repeating: "a", count: 249) + "\" is not a valid repository/tag: repository name must not be more than 255 characters", rmi: "Error response from daemon: repository name must not be more than 255 characters"),
    .init(String(repeating: "a", count: 255), tag: "Error parsing reference: \"" + String(repeating: "a", count: 255) + "\" is not a valid repository/tag: repository name must not be more than 255 characters", rmi: "Error response from daemon: repository name must not be more than 255 characters"),
    .init("ex.com/" + String(repeating: "a", count: 247), accepted: "ex.com/" + String(repeating: "a", count: 247) + ":latest"),
    .init("localhost:5000/" + String(repeating: "a", count: 240), accepted: "localhost:5000/" + String(repeating: "a", count: 240) + ":latest"),
]

/// One command's recorded reaction to a reference, from the same docker 20.10.24 session (`docker save` with
/// `-o <file>`; `run` as `docker run --rm <input>`; `commit` from a container created from local/busybox).
struct CommandCase: CustomTestStringConvertible, Sendable {
    let command: DockerReferenceCommand
    let input: String
    /// nil when docker accepted the reference (it then failed, if at all, with "No such image").
    let failure: DockerReferenceFailure?

    init(_ command: DockerReferenceCommand, _ input: String, _ stderr: String, exit: Int32, stdout: String? = nil) {
        self.command = command; self.input = input
        failure = DockerReferenceFailure(message: stderr, exitCode: exit, stdout: stdout)
    }

    init(_ command: DockerReferenceCommand, _ input: String, accepted: Void) {
        self.command = command; self.input = input; failure = nil
    }

    var testDescription: String {
        "\(command) " + (input.count > 60 ? String(input.prefix(40)) + "…(\(input.count))" : input)
    }
}

let dockerCommandCases: [CommandCase] = [
    .init(.pull, "a___b", "invalid reference format", exit: 1),
    .init(.push, "a___b", "invalid reference format", exit: 1),
    .init(.create, "a___b", "invalid reference format", exit: 1),
    .init(.commit, "a___b", "invalid reference format", exit: 1),
    .init(.run, "a___b", "docker: invalid reference format.\nSee 'docker run --help'.", exit: 125),
    .init(.rmi, "a___b", "Error response from daemon: invalid reference format", exit: 1),
    .init(.history, "a___b", "Error response from daemon: invalid reference format", exit: 1),
    .init(.imageInspect, "a___b", "Error response from daemon: no such image: a___b: invalid reference format", exit: 1, stdout: "[]"),
    .init(.inspect, "a___b", "Error: No such object: a___b", exit: 1, stdout: "[]"),
    .init(.pull, "UPPER", "invalid reference format: repository name must be lowercase", exit: 1),
    .init(.push, "UPPER", "invalid reference format: repository name must be lowercase", exit: 1),
    .init(.create, "UPPER", "invalid reference format: repository name must be lowercase", exit: 1),
    .init(.commit, "UPPER", "invalid reference format: repository name must be lowercase", exit: 1),
    .init(.run, "UPPER", "docker: invalid reference format: repository name must be lowercase.\nSee 'docker run --help'.", exit: 125),
    .init(.rmi, "UPPER", "Error response from daemon: invalid reference format: repository name must be lowercase", exit: 1),
    .init(.history, "UPPER", "Error response from daemon: invalid reference format: repository name must be lowercase", exit: 1),
    .init(.imageInspect, "UPPER", "Error response from daemon: no such image: UPPER: invalid reference format: repository name must be lowercase", exit: 1, stdout: "[]"),
    .init(.inspect, "UPPER", "Error: No such object: UPPER", exit: 1, stdout: "[]"),
    .init(.pull, "Oracle/BB:t3", "invalid reference format: repository name must be lowercase", exit: 1),
    .init(.push, "Oracle/BB:t3", "invalid reference format: repository name must be lowercase", exit: 1),
    .init(.create, "Oracle/BB:t3", "invalid reference format: repository name must be lowercase", exit: 1),
    .init(.commit, "Oracle/BB:t3", "invalid reference format: repository name must be lowercase", exit: 1),
    .init(.run, "Oracle/BB:t3", "docker: invalid reference format: repository name must be lowercase.\nSee 'docker run --help'.", exit: 125),
    .init(.rmi, "Oracle/BB:t3", "Error response from daemon: invalid reference format: repository name must be lowercase", exit: 1),
    .init(.history, "Oracle/BB:t3", "Error response from daemon: invalid reference format: repository name must be lowercase", exit: 1),
    .init(.imageInspect, "Oracle/BB:t3", "Error response from daemon: no such image: Oracle/BB:t3: invalid reference format: repository name must be lowercase", exit: 1, stdout: "[]"),
    .init(.inspect, "Oracle/BB:t3", "Error: No such object: Oracle/BB:t3", exit: 1, stdout: "[]"),
    .init(.pull, "Foo_bar/x", "invalid reference format: repository name must be lowercase", exit: 1),
    .init(.push, "Foo_bar/x", "invalid reference format: repository name must be lowercase", exit: 1),
    .init(.create, "Foo_bar/x", "invalid reference format: repository name must be lowercase", exit: 1),
    .init(.commit, "Foo_bar/x", "invalid reference format: repository name must be lowercase", exit: 1),
    .init(.run, "Foo_bar/x", "docker: invalid reference format: repository name must be lowercase.\nSee 'docker run --help'.", exit: 125),
    .init(.rmi, "Foo_bar/x", "Error response from daemon: invalid reference format: repository name must be lowercase", exit: 1),
    .init(.history, "Foo_bar/x", "Error response from daemon: invalid reference format: repository name must be lowercase", exit: 1),
    .init(.imageInspect, "Foo_bar/x", "Error response from daemon: no such image: Foo_bar/x: invalid reference format: repository name must be lowercase", exit: 1, stdout: "[]"),
    .init(.inspect, "Foo_bar/x", "Error: No such object: Foo_bar/x", exit: 1, stdout: "[]"),
    .init(.pull, "Ex_ample.com/foo", "repository name must be lowercase", exit: 1),
    .init(.push, "Ex_ample.com/foo", "repository name must be lowercase", exit: 1),
    .init(.create, "Ex_ample.com/foo", "repository name must be lowercase", exit: 1),
    .init(.commit, "Ex_ample.com/foo", "repository name must be lowercase", exit: 1),
    .init(.run, "Ex_ample.com/foo", "docker: repository name must be lowercase.\nSee 'docker run --help'.", exit: 125),
    .init(.rmi, "Ex_ample.com/foo", "Error response from daemon: repository name must be lowercase", exit: 1),
    .init(.history, "Ex_ample.com/foo", "Error response from daemon: repository name must be lowercase", exit: 1),
    .init(.imageInspect, "Ex_ample.com/foo", "Error response from daemon: no such image: Ex_ample.com/foo: repository name must be lowercase", exit: 1, stdout: "[]"),
    .init(.inspect, "Ex_ample.com/foo", "Error response from daemon: no such image: Ex_ample.com/foo: repository name must be lowercase", exit: 1, stdout: "[]"),
    .init(.pull, "a@sha256:" + h32, "invalid checksum digest length", exit: 1),
    .init(.push, "a@sha256:" + h32, "invalid checksum digest length", exit: 1),
    .init(.create, "a@sha256:" + h32, "invalid checksum digest length", exit: 1),
    .init(.commit, "a@sha256:" + h32, "invalid checksum digest length", exit: 1),
    .init(.run, "a@sha256:" + h32, "docker: invalid checksum digest length.\nSee 'docker run --help'.", exit: 125),
    .init(.rmi, "a@sha256:" + h32, "Error response from daemon: invalid checksum digest length", exit: 1),
    .init(.history, "a@sha256:" + h32, "Error response from daemon: invalid checksum digest length", exit: 1),
    .init(.imageInspect, "a@sha256:" + h32, "Error response from daemon: no such image: a@sha256:" + h32 + ": invalid checksum digest length", exit: 1, stdout: "[]"),
    .init(.inspect, "a@sha256:" + h32, "Error response from daemon: no such image: a@sha256:" + h32 + ": invalid checksum digest length", exit: 1, stdout: "[]"),
    .init(.pull, "a@md5:" + h32, "unsupported digest algorithm", exit: 1),
    .init(.push, "a@md5:" + h32, "unsupported digest algorithm", exit: 1),
    .init(.create, "a@md5:" + h32, "unsupported digest algorithm", exit: 1),
    .init(.commit, "a@md5:" + h32, "unsupported digest algorithm", exit: 1),
    .init(.run, "a@md5:" + h32, "docker: unsupported digest algorithm.\nSee 'docker run --help'.", exit: 125),
    .init(.rmi, "a@md5:" + h32, "Error response from daemon: unsupported digest algorithm", exit: 1),
    .init(.history, "a@md5:" + h32, "Error response from daemon: unsupported digest algorithm", exit: 1),
    .init(.imageInspect, "a@md5:" + h32, "Error response from daemon: no such image: a@md5:" + h32 + ": unsupported digest algorithm", exit: 1, stdout: "[]"),
    .init(.inspect, "a@md5:" + h32, "Error response from daemon: no such image: a@md5:" + h32 + ": unsupported digest algorithm", exit: 1, stdout: "[]"),
    .init(.pull, "nginx@sha256:" + h64.uppercased(), "invalid checksum digest format", exit: 1),
    .init(.push, "nginx@sha256:" + h64.uppercased(), "invalid checksum digest format", exit: 1),
    .init(.create, "nginx@sha256:" + h64.uppercased(), "invalid checksum digest format", exit: 1),
    .init(.commit, "nginx@sha256:" + h64.uppercased(), "invalid checksum digest format", exit: 1),
    .init(.run, "nginx@sha256:" + h64.uppercased(), "docker: invalid checksum digest format.\nSee 'docker run --help'.", exit: 125),
    .init(.rmi, "nginx@sha256:" + h64.uppercased(), "Error response from daemon: invalid checksum digest format", exit: 1),
    .init(.history, "nginx@sha256:" + h64.uppercased(), "Error response from daemon: invalid checksum digest format", exit: 1),
    .init(.imageInspect, "nginx@sha256:" + h64.uppercased(), "Error response from daemon: no such image: nginx@sha256:" + h64.uppercased() + ": invalid checksum digest format", exit: 1, stdout: "[]"),
    .init(.inspect, "nginx@sha256:" + h64.uppercased(), "Error response from daemon: no such image: nginx@sha256:" + h64.uppercased() + ": invalid checksum digest format", exit: 1, stdout: "[]"),
    .init(.pull, String(repeating: "a", count: 238), "repository name must not be more than 255 characters", exit: 1),
    .init(.push, String(repeating: "a", count: 238), "repository name must not be more than 255 characters", exit: 1),
    .init(.create, String(repeating: "a", count: 238), "repository name must not be more than 255 characters", exit: 1),
    .init(.commit, String(repeating: "a", count: 238), "repository name must not be more than 255 characters", exit: 1),
    .init(.run, String(repeating: "a", count: 238), "docker: repository name must not be more than 255 characters.\nSee 'docker run --help'.", exit: 125),
    .init(.rmi, String(repeating: "a", count: 238), "Error response from daemon: repository name must not be more than 255 characters", exit: 1),
    .init(.history, String(repeating: "a", count: 238), "Error response from daemon: repository name must not be more than 255 characters", exit: 1),
    .init(.imageInspect, String(repeating: "a", count: 238), "Error response from daemon: no such image: " + String(repeating: "a", count: 238) + ": repository name must not be more than 255 characters", exit: 1, stdout: "[]"),
    .init(.inspect, String(repeating: "a", count: 238), "Error response from daemon: no such image: " + String(repeating: "a", count: 238) + ": repository name must not be more than 255 characters", exit: 1, stdout: "[]"),
    .init(.pull, "[::1]/foo", "invalid reference format", exit: 1),
    .init(.push, "[::1]/foo", "invalid reference format", exit: 1),
    .init(.create, "[::1]/foo", "invalid reference format", exit: 1),
    .init(.commit, "[::1]/foo", "invalid reference format", exit: 1),
    .init(.run, "[::1]/foo", "docker: invalid reference format.\nSee 'docker run --help'.", exit: 125),
    .init(.rmi, "[::1]/foo", "Error response from daemon: invalid reference format", exit: 1),
    .init(.history, "[::1]/foo", "Error response from daemon: invalid reference format", exit: 1),
    .init(.imageInspect, "[::1]/foo", "Error response from daemon: no such image: [::1]/foo: invalid reference format", exit: 1, stdout: "[]"),
    .init(.inspect, "[::1]/foo", "Error: No such object: [::1]/foo", exit: 1, stdout: "[]"),
    .init(.pull, h64, "invalid repository name (" + h64 + "), cannot specify 64-byte hexadecimal strings", exit: 1),
    .init(.push, h64, "invalid repository name (" + h64 + "), cannot specify 64-byte hexadecimal strings", exit: 1),
    .init(.create, h64, accepted: ()),
    .init(.commit, h64, "invalid repository name (" + h64 + "), cannot specify 64-byte hexadecimal strings", exit: 1),
    .init(.run, h64, accepted: ()),
    .init(.rmi, h64, accepted: ()),
    .init(.history, h64, accepted: ()),
    .init(.imageInspect, h64, accepted: ()),
    .init(.inspect, h64, accepted: ()),
    .init(.pull, "a//b", "invalid reference format", exit: 1),
    .init(.push, "a//b", "invalid reference format", exit: 1),
    .init(.create, "a//b", "invalid reference format", exit: 1),
    .init(.commit, "a//b", "invalid reference format", exit: 1),
    .init(.run, "a//b", "docker: invalid reference format.\nSee 'docker run --help'.", exit: 125),
    .init(.rmi, "a//b", accepted: ()),
    .init(.history, "a//b", accepted: ()),
    .init(.imageInspect, "a//b", accepted: ()),
    .init(.inspect, "a//b", accepted: ()),
    .init(.pull, "", "invalid reference format", exit: 1),
    .init(.push, "", "invalid reference format", exit: 1),
    .init(.create, "", "invalid reference format", exit: 1),
    .init(.commit, "", accepted: ()),
    .init(.run, "", "docker: invalid reference format.\nSee 'docker run --help'.", exit: 125),
    .init(.rmi, "", accepted: ()),
    .init(.history, "", accepted: ()),
    .init(.imageInspect, "", accepted: ()),
    .init(.inspect, "", accepted: ()),
    .init(.rmi, "nginx@sha256:" + h64, accepted: ()),
    .init(.history, "nginx@sha256:" + h64, accepted: ()),
    .init(.imageInspect, "nginx@sha256:" + h64, accepted: ()),
    .init(.inspect, "nginx@sha256:" + h64, accepted: ()),
    .init(.save, "UPPER", "Error response from daemon: invalid reference format: repository name must be lowercase", exit: 1),
    .init(.save, "a//b", "Error response from daemon: invalid reference format", exit: 1),
    .init(.save, "a___b", "Error response from daemon: invalid reference format", exit: 1),
    .init(.save, "Ex_ample.com/foo", "Error response from daemon: repository name must be lowercase", exit: 1),
    .init(.save, "a@sha256:" + h32, "Error response from daemon: invalid checksum digest length", exit: 1),
    .init(.save, "", "Error response from daemon: invalid reference format", exit: 1),
    .init(.save, "[::1]/foo", "Error response from daemon: invalid reference format", exit: 1),
    .init(.save, "Foo/bar", "Error response from daemon: invalid reference format: repository name must be lowercase", exit: 1),
    .init(.inspect, "/UPPER/", "Error: No such object: /UPPER/", exit: 1, stdout: "[]"),
    .init(.imageInspect, "/UPPER/", "Error response from daemon: no such image: UPPER: invalid reference format: repository name must be lowercase", exit: 1, stdout: "[]"),
    .init(.rmi, "/UPPER/", "Error response from daemon: invalid reference format: repository name must be lowercase", exit: 1),
    .init(.inspect, "x//a___b", "Error: No such object: x//a___b", exit: 1, stdout: "[]"),
    .init(.imageInspect, "x//a___b", "Error response from daemon: no such image: x/a___b: invalid reference format", exit: 1, stdout: "[]"),
    .init(.history, "x//a___b", "Error response from daemon: invalid reference format", exit: 1),
    .init(.inspect, "/a@sha256:" + h32, "Error response from daemon: no such image: a@sha256:" + h32 + ": invalid checksum digest length", exit: 1, stdout: "[]"),
]
