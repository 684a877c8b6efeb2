import Foundation
import Testing

/// `build --platform P1,P2`: one solve per platform joined into an OCI index, read back by independent tools
/// (oci-image-tool, skopeo) and by docker 20.10 pulling one platform of the pushed index.
@Suite("multi-platform build", .enabled(if: RegistryFixture.shouldRun, "needs docker-registry (see RegistryFixture)"))
struct MultiPlatformBuildTests {
    static func tool(_ name: String) throws -> String? {
        let path = "/usr/bin/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
        if TestEnvironment.isCI { throw FixtureError("\(path) is missing (CI=true: required)") }
        return nil
    }

    /// A COPY-only Dockerfile (no emulation needed) that records BuildKit's automatic platform arguments.
    static func context() throws -> URL {
        let context = try Files.tempDirectory("multi")
        try Data("payload\n".utf8).write(to: context.appendingPathComponent("a"))
        try Data("""
            FROM scratch
            ARG TARGETPLATFORM
            ARG TARGETARCH
            ARG BUILDPLATFORM
            COPY a /a
            LABEL built.for=$TARGETPLATFORM built.arch=$TARGETARCH built.on=$BUILDPLATFORM

            """.utf8).write(to: context.appendingPathComponent("Dockerfile"))
        return context
    }

    @Test("two platforms make an index: listed once, the host's entry inspected, every tool reads it")
    func twoPlatforms() async throws {
        let strata = try StrataRunner()
        let context = try Self.context()
        defer { try? FileManager.default.removeItem(at: context) }
        let built = try await strata.run(["build", "--progress", "plain", "--platform", "linux/amd64,linux/arm64", "-t", "multi/app:1",
                                          "--iidfile", context.appendingPathComponent("iid").path, context.path])
        #expect(built.status == 0, "\(built)")
        #expect(built.stderr.contains("[linux/amd64 1/1] COPY a /a") && built.stderr.contains("[linux/arm64 1/1] COPY a /a"),
                "\(built.stderr)")
        let listed = try await strata.run(["images", "--format", "{{.Repository}}:{{.Tag}}", "multi/app"])
        #expect(listed.stdout == "multi/app:1\n", "\(listed)")
        let inspected = try await strata.run(["inspect", "-f", "{{.Architecture}} {{index .Config.Labels \"built.for\"}}", "multi/app:1"])
        #expect(inspected.stdout == "amd64 linux/amd64\n", "\(inspected)")
        let iid = try String(contentsOf: context.appendingPathComponent("iid"), encoding: .utf8)

        let work = try Files.tempDirectory("multi-out")
        defer { try? FileManager.default.removeItem(at: work) }
        let layout = work.appendingPathComponent("layout").path
        #expect(try await strata.run(["save", "--format", "oci-dir", "-o", layout, "multi/app:1"]).status == 0)
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: layout + "/blobs/sha256/"
                                                                                + iid.dropFirst(7)))) as? [String: Any]
        let platforms = (index?["manifests"] as? [[String: Any]])?.compactMap { ($0["platform"] as? [String: String]).map { "\($0["os"]!)/\($0["architecture"]!)" } }
        #expect(platforms == ["linux/amd64", "linux/arm64"], "\(String(describing: index))")
        if let validator = try Self.tool("oci-image-tool") {
            let layoutCheck = try await ProcessRunner.run(validator, ["validate", "--type", "image", layout])
            #expect(layoutCheck.status == 0, "\(layoutCheck)")
            let indexCheck = try await ProcessRunner.run(validator, ["validate", "--type", "imageIndex",
                                                                     layout + "/blobs/sha256/" + iid.dropFirst(7)])
            #expect(indexCheck.status == 0, "\(indexCheck)")
        }
        if let skopeo = try Self.tool("skopeo") {
            let raw = try await ProcessRunner.run(skopeo, ["inspect", "--raw", "oci:\(layout):1"])
            #expect(raw.stdout.contains("\"arm64\"") && raw.stdout.contains("\"amd64\""), "\(raw)")
            let copied = try await ProcessRunner.run(skopeo, ["copy", "--all", "oci:\(layout):1", "oci:\(work.path)/copy:1"])
            #expect(copied.status == 0, "\(copied)")
        }

        // Pushed whole; docker 20.10 pulls the arm64 entry and finds what that solve built.
        try await RegistryFixture.with(.open) { registry in
            let remote = "\(registry.host)/multi/app:1"
            #expect(try await strata.run(["tag", "multi/app:1", remote]).status == 0)
            let pushed = try await strata.run(["push", remote])
            #expect(pushed.status == 0, "\(pushed)")
            guard DockerPeer.shouldRun else { return }
            let docker = try DockerPeer.require()
            defer { Task { _ = try? await docker.run(["rmi", "-f", remote]) } }
            let pulled = try await docker.run(["pull", "--platform", "linux/arm64", remote])
            #expect(pulled.status == 0, "\(pulled)")
            let theirs = try await docker.run(["image", "inspect", "-f", "{{.Architecture}} {{index .Config.Labels \"built.for\"}} "
                                               + "{{index .Config.Labels \"built.on\"}}", remote])
            #expect(theirs.stdout == "arm64 linux/arm64 linux/amd64\n", "\(theirs)")
        }
        #expect(try await strata.run(["system", "check"]).status == 0)
    }

    @Test("bad platforms and bases without the platform fail in docker's words")
    func badInput() async throws {
        let strata = try StrataRunner()
        let context = try Self.context()
        defer { try? FileManager.default.removeItem(at: context) }
        let unknown = try await strata.run(["build", "-q", "--platform", "linux/amd64,linux/bogus!", context.path])
        #expect(unknown.status != 0 && unknown.stderr.contains("\"bogus!\" is an invalid component of \"linux/bogus!\""), "\(unknown)")
        // A base stored for this host only: the other platform is pulled (and here cannot be), never built from it.
        try await strata.importImage(try Files.busyboxRootfs(), "multi/base:1")
        try Data("FROM multi/base:1\nCOPY a /a\n".utf8).write(to: context.appendingPathComponent("Dockerfile"))
        let missing = try await strata.run(["build", "-q", "--platform", "linux/amd64,linux/arm64", context.path])
        #expect(missing.status == 1 && missing.stderr.contains("multi/base"), "\(missing)")
        #expect(try await strata.run(["images", "-q", "--filter", "dangling=true"]).stdout.isEmpty)
    }
}
