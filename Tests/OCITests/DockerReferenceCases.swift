import Testing
@testable import OCI

/// One row of docker ground truth, recorded from docker CLI 28.2 + dockerd 20.10.24 on this machine with
/// `docker tag local/busybox <input>` (then `docker rmi <input>`, whose "Untagged: X" gives the familiar form).
struct ReferenceCase: CustomTestStringConvertible, Sendable {
    let input: String
    /// docker's familiar string after adding the default tag, when `docker tag` accepted the input.
    let accepted: String?
    /// Full stderr of the failed `docker tag`.
    let tagMessage: String?
    /// Full stderr of `docker rmi <input>` (daemon-side parse), when recorded.
    let rmiMessage: String?

    init(_ input: String, accepted: String) {
        self.input = input; self.accepted = accepted; tagMessage = nil; rmiMessage = nil
    }

    init(_ input: String, tag: String, rmi: String? = nil) {
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
    .init("a/", tag: "Error parsing reference: \"a/\" is not a valid repository/tag: invalid reference format"),
    .init("/a", tag: "Error parsing reference: \"/a\" is not a valid repository/tag: invalid reference format"),
    .init("a//b", tag: "Error parsing reference: \"a//b\" is not a valid repository/tag: invalid reference format"),
    .init("UPPER", tag: "Error parsing reference: \"UPPER\" is not a valid repository/tag: invalid reference format: repository name (library/UPPER) must be lowercase", rmi: "Error response from daemon: invalid reference format: repository name must be lowercase"),
    .init("Upper/lower", tag: "Error response from daemon: invalid reference format: repository name must be lowercase", rmi: "Error response from daemon: invalid reference format: repository name must be lowercase"),
    .init("upper/Lower", tag: "Error parsing reference: \"upper/Lower\" is not a valid repository/tag: invalid reference format: repository name (upper/Lower) must be lowercase", rmi: "Error response from daemon: invalid reference format: repository name must be lowercase"),
    .init("Foo_bar/x", tag: "Error parsing reference: \"Foo_bar/x\" is not a valid repository/tag: repository name must be lowercase", rmi: "Error response from daemon: invalid reference format: repository name must be lowercase"),
    .init("Localhost/x", tag: "Error response from daemon: invalid reference format: repository name must be lowercase", rmi: "Error response from daemon: invalid reference format: repository name must be lowercase"),
    .init("localhost/X", tag: "Error parsing reference: \"localhost/X\" is not a valid repository/tag: invalid reference format: repository name (X) must be lowercase", rmi: "Error response from daemon: invalid reference format: repository name must be lowercase"),
    .init("example.com:5000/A", tag: "Error parsing reference: \"example.com:5000/A\" is not a valid repository/tag: invalid reference format: repository name (A) must be lowercase", rmi: "Error response from daemon: invalid reference format: repository name must be lowercase"),
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
    .init("nginx@sha256:" + h64, tag: "refusing to create a tag with a digest reference"),
    .init("nginx:1@sha256:" + h64, tag: "refusing to create a tag with a digest reference"),
    .init("nginx@sha256:" + h32, tag: "Error parsing reference: \"nginx@sha256:" + h32 + "\" is not a valid repository/tag: invalid checksum digest length", rmi: "Error response from daemon: invalid checksum digest length"),
    .init("nginx@sha256:" + h64.uppercased(), tag: "Error parsing reference: \"nginx@sha256:" + h64.uppercased() + "\" is not a valid repository/tag: invalid checksum digest format", rmi: "Error response from daemon: invalid checksum digest format"),
    .init("nginx@SHA256:" + h64, tag: "Error parsing reference: \"nginx@SHA256:" + h64 + "\" is not a valid repository/tag: invalid reference format: repository name (library/nginx@SHA256) must be lowercase", rmi: "Error response from daemon: invalid reference format: repository name must be lowercase"),
    .init("nginx:t@Sha256:" + h64, tag: "Error parsing reference: \"nginx:t@Sha256:" + h64 + "\" is not a valid repository/tag: invalid checksum digest format", rmi: "Error response from daemon: invalid checksum digest format"),
    .init("nginx@md5:" + h32, tag: "Error parsing reference: \"nginx@md5:" + h32 + "\" is not a valid repository/tag: unsupported digest algorithm", rmi: "Error response from daemon: unsupported digest algorithm"),
    .init("nginx@sha512:" + h64, tag: "Error parsing reference: \"nginx@sha512:" + h64 + "\" is not a valid repository/tag: invalid checksum digest length", rmi: "Error response from daemon: invalid checksum digest length"),
    .init("nginx@sha384:" + h64 + h32, tag: "refusing to create a tag with a digest reference"),
    .init("nginx@sha256:zz", tag: "Error parsing reference: \"nginx@sha256:zz\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("nginx@sha256:123", tag: "Error parsing reference: \"nginx@sha256:123\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("nginx@", tag: "Error parsing reference: \"nginx@\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("nginx@@sha256:" + h64, tag: "Error parsing reference: \"nginx@@sha256:" + h64 + "\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init(h64, tag: "Error parsing reference: \"" + h64 + "\" is not a valid repository/tag: invalid repository name (" + h64 + "), cannot specify 64-byte hexadecimal strings"),
    .init("b" + h64, accepted: "b" + h64 + ":latest"),
    .init(h32 + "0123456789abcdef0123456789abcde", accepted: h32 + "0123456789abcdef0123456789abcde:latest"),
    .init("sha256:" + h64, tag: "Error response from daemon: refusing to create an ambiguous tag using digest algorithm as name"),
    .init("[::1]:5000/foo", tag: "Error response from daemon: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("[::1]/foo", tag: "Error response from daemon: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("example.com:/foo", tag: "Error parsing reference: \"example.com:/foo\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("example.com:x/foo", tag: "Error parsing reference: \"example.com:x/foo\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init("ex-.com/foo", tag: "Error parsing reference: \"ex-.com/foo\" is not a valid repository/tag: invalid reference format", rmi: "Error response from daemon: invalid reference format"),
    .init(String(repeating: "a", count: 237), accepted: String(repeating: "a", count: 237) + ":latest"),
    .init(String(repeating: "a", count: 238), tag: "Error response from daemon: repository name must not be more than 255 characters", rmi: "Error response from daemon: repository name must not be more than 255 characters"),
    .init("ex.com/" + String(repeating: "a", count: 243), accepted: "ex.com/" + String(repeating: "a", count: 243) + ":latest"),
    .init("ex.com/" + String(repeating: "a", count: 255), tag: "Error response from daemon: repository name must not be more than 255 characters", rmi: "Error response from daemon: repository name must not be more than 255 characters"),
    .init("a:" + String(repeating: "a", count: 128), accepted: "a:" + String(repeating: "a", count: 128)),
    .init("a:" + String(repeating: "a", count: 127) + "b", accepted: "a:" + String(repeating: "a", count: 127) + "b"),
    .init("", tag: #"Error parsing reference: "" is not a valid repository/tag: invalid reference format"#),
    .init("a\tb\"c", tag: #"Error parsing reference: "a\tb\"c" is not a valid repository/tag: invalid reference format"#),
]
