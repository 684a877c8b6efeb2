import OCI
import Testing
@testable import Transport

@Suite struct TransportNameTests {
    private let zeros = "sha256:" + String(repeating: "0", count: 64)

    @Test func registryNames() throws {
        #expect(try TransportName("docker://busybox") == .registry(try ImageReference("docker.io/library/busybox:latest")))
        #expect(try TransportName("docker://127.0.0.1:5555/x/y:v1") == .registry(try ImageReference("127.0.0.1:5555/x/y:v1")))
        #expect(try TransportName("docker://busybox@" + zeros) == .registry(try ImageReference("busybox@" + zeros)))
        #expect(try TransportName("docker://busybox").description == "docker://docker.io/library/busybox:latest")
    }

    @Test func layoutNames() throws {
        #expect(try TransportName("oci:/tmp/dir") == .ociLayout(path: "/tmp/dir", reference: nil))
        #expect(try TransportName("oci:/tmp/dir:v1") == .ociLayout(path: "/tmp/dir", reference: "v1"))
        #expect(try TransportName("oci:/tmp/dir:a:b") == .ociLayout(path: "/tmp/dir", reference: "a:b"))
        #expect(try TransportName("oci:dir:") == .ociLayout(path: "dir", reference: nil))
        #expect(try TransportName("oci-archive:x.tar:repo/name--x+1") == .ociArchive(path: "x.tar", reference: "repo/name--x+1"))
    }

    @Test func dockerArchiveNames() throws {
        #expect(try TransportName("docker-archive:a.tar") == .dockerArchive(path: "a.tar", image: nil))
        #expect(try TransportName("docker-archive:a.tar:busybox")
            == .dockerArchive(path: "a.tar", image: .reference(try ImageReference("busybox:latest"))))
        #expect(try TransportName("docker-archive:a.tar:localhost:5000/x:v2")
            == .dockerArchive(path: "a.tar", image: .reference(try ImageReference("localhost:5000/x:v2"))))
        #expect(try TransportName("docker-archive:a.tar:@2") == .dockerArchive(path: "a.tar", image: .index(2)))
        #expect(try TransportName("docker-archive:a.tar:@2").description == "docker-archive:a.tar:@2")
    }

    @Test func storeNames() throws {
        #expect(try TransportName("busybox") == .store("busybox"))
        #expect(try TransportName("busybox:latest") == .store("busybox:latest"))
        #expect(try TransportName("localhost:5000/x") == .store("localhost:5000/x"))
        #expect(try TransportName("strata:busybox") == .store("busybox"))
        #expect(try TransportName("strata:oci:1") == .store("oci:1"))
        #expect(try TransportName("strata:" + zeros) == .store(zeros))
        #expect(try TransportName("0553259f959a") == .store("0553259f959a"))
    }

    @Test(arguments: [
        ("foo:bar:baz", #"Invalid image name "foo:bar:baz", unknown transport "foo""#),
        ("dir:/tmp/x", #"Invalid image name "dir:/tmp/x", unknown transport "dir""#),
        ("docker:busybox", "docker: image reference busybox does not start with //"),
        ("docker://Busybox", "invalid reference format: repository name must be lowercase"),
        ("docker://", "invalid reference format"),
        ("docker://busybox:latest@sha256:" + String(repeating: "0", count: 64),
         "Docker references with both a tag and digest are currently not supported"),
        ("oci:/tmp/x:Bad Ref", "Invalid image Bad Ref"),
        ("oci:/tmp/x:a---b", "Invalid image a---b"),
        ("docker-archive:", "docker-archive reference  isn't of the form <path>[:<reference>]"),
        ("docker-archive:/tmp/x:@-1", "Invalid source index @-1: must not be negative"),
        ("docker-archive:/tmp/x:@a", #"Invalid source index @a: strconv.Atoi: parsing "a": invalid syntax"#),
        ("docker-archive:/tmp/x:Foo", "docker-archive parsing reference: invalid reference format: repository name must be lowercase"),
        ("docker-archive:/tmp/x:busybox@sha256:" + String(repeating: "0", count: 64),
         "reference does not include a tag: docker.io/library/busybox@sha256:" + String(repeating: "0", count: 64)),
        ("Busybox", "invalid reference format: repository name must be lowercase"),
        ("strata:", "invalid reference format"),
    ])
    func errors(_ input: String, _ message: String) {
        #expect(throws: TransportNameError(message)) { try TransportName(input) }
    }

    @Test func ociRefGrammar() {
        for good in ["a", "a.b", "a--b", "a:b@c+d", "x/y/z", "A9"] { #expect(TransportName.isValidOCIRefName(good), "\(good)") }
        for bad in ["", "-a", "a-", "a/", "/a", "a//b", "a b", "a---b", "a..b"] {
            #expect(!TransportName.isValidOCIRefName(bad), "\(bad)")
        }
    }
}
