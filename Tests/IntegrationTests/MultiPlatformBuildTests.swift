import Foundation
import Testing

/// `build --platform P1,P2`: one solve per platform joined into an OCI index, read back by independent tools
/// (oci-image-tool, skopeo) and by docker 20.10 pulling one platform of the pushed index.
@Suite("multi-platform build", .enabled(if: RegistryFixture.shouldRun, "needs docker-registry (see RegistryFixture)"), .serialized)
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

        // Exports to the client: one tree per platform (BuildKit's split), the index as an OCI layout; nothing named.
        let local = work.appendingPathComponent("local").path
        let exported = try await strata.run(["build", "-q", "--platform", "linux/amd64,linux/arm64", "-o", "type=local,dest=\(local)",
                                             context.path])
        #expect(exported.status == 0, "\(exported)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: local).sorted() == ["linux_amd64", "linux_arm64"])
        #expect(FileManager.default.fileExists(atPath: local + "/linux_arm64/a"))
        let ociTar = work.appendingPathComponent("index.tar").path
        #expect(try await strata.run(["build", "-q", "--platform", "linux/amd64,linux/arm64", "-o", "type=oci,dest=\(ociTar)",
                                      context.path]).status == 0)
        let names = try await ProcessRunner.run("/bin/tar", ["-tf", ociTar])
        #expect(names.stdout.lines.contains("index.json") && names.stdout.lines.contains("oci-layout"), "\(names)")
        // docker's exporter cannot hold an index (a tar of several platforms: MultiPlatformBuildSharingTests).
        let refused = try await strata.run(["build", "-q", "--platform", "linux/amd64,linux/arm64", "-o",
                                            "type=docker,dest=\(work.path)/x.tar", context.path])
        #expect(refused.status == 1 && refused.stderr.lines.count == 1, "\(refused)")
        // Pushed whole; docker 20.10 pulls the arm64 entry and finds what that solve built.
        try await RegistryFixture.with(.open) { registry in
            let remote = "\(registry.host)/multi/app:1"
            #expect(try await strata.run(["tag", "multi/app:1", remote]).status == 0)
            let pushed = try await strata.run(["push", remote])
            #expect(pushed.status == 0, "\(pushed)")
            // imagetools reads it from the registry: the entries with their platforms, and the raw bytes skopeo reads.
            let inspected = try await strata.run(["buildx", "imagetools", "inspect", remote])
            #expect(inspected.stdout.contains("MediaType: application/vnd.oci.image.index.v1+json")
                    && inspected.stdout.contains("Platform:  linux/amd64") && inspected.stdout.contains("Platform:  linux/arm64"),
                    "\(inspected)")
            let raw = try await strata.run(["buildx", "imagetools", "inspect", "--raw", remote])
            if let skopeo = try Self.tool("skopeo") {
                let theirs = try await ProcessRunner.run(skopeo, ["inspect", "--tls-verify=false", "--raw", "docker://\(remote)"])
                #expect(raw.stdout == theirs.stdout, "strata: \(raw)\nskopeo: \(theirs)")
            }
            let json = try await strata.run(["buildx", "imagetools", "inspect", "--format", "{{json .Manifest}}", remote])
            #expect(json.stdout.hasPrefix("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\""), "\(json)")
            // imagetools create joins single-platform images into an index without pulling their layers.
            for arch in ["amd64", "arm64"] {
                let single = "\(registry.host)/multi/single:\(arch)"
                #expect(try await strata.run(["build", "-q", "--platform", "linux/\(arch)", "-t", single, context.path]).status == 0)
                #expect(try await strata.run(["push", "-q", single]).status == 0)
            }
            let joined = "\(registry.host)/multi/single:both"
            let created = try await strata.run(["buildx", "imagetools", "create", "-t", joined, "\(registry.host)/multi/single:amd64",
                                                "\(registry.host)/multi/single:arm64"])
            #expect(created.status == 0, "\(created)")
            let both = try await strata.run(["buildx", "imagetools", "inspect", joined])
            #expect(both.stdout.contains("Platform:  linux/amd64") && both.stdout.contains("Platform:  linux/arm64"), "\(both)")
            guard DockerPeer.shouldRun else { return }
            let docker = try DockerPeer.require()
            defer { Task { _ = try? await docker.run(["rmi", "-f", remote, joined]) } }
            let joinedPull = try await docker.run(["pull", "--platform", "linux/arm64", joined])
            #expect(joinedPull.status == 0, "\(joinedPull)")
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

    /// Debian's arm64 busybox-static (scripts/install-test-tools downloads it) unpacked as a root filesystem tar.
    static func arm64Rootfs(in directory: URL) async throws -> String {
        let debs = (try? FileManager.default.contentsOfDirectory(atPath: "/var/cache/strata-tests")) ?? []
        guard let deb = debs.first(where: { $0.hasPrefix("busybox-static_") && $0.hasSuffix("_arm64.deb") }) else {
            throw FixtureError("no arm64 busybox-static in /var/cache/strata-tests (scripts/install-test-tools fetches it)")
        }
        let tree = directory.appendingPathComponent("arm64-tree").path
        let tar = directory.appendingPathComponent("rootfs-arm64.tar").path
        let made = try await ProcessRunner.run("/bin/sh", ["-c", """
            set -e; mkdir -p '\(tree)'; dpkg-deb -x '/var/cache/strata-tests/\(deb)' '\(tree)'; cd '\(tree)'
            mkdir -p tmp etc usr/bin; for a in sh ls cat echo uname true; do ln -sf busybox bin/$a; done
            echo 'root:x:0:0:root:/root:/bin/sh' > etc/passwd; tar -cf '\(tar)' .
            """])
        guard made.status == 0 else { throw FixtureError("arm64 rootfs: \(made)") }
        return tar
    }

    @Test("RUN of another architecture runs under QEMU: a cross-compiled program, uname, run --platform, docker's pull")
    func emulatedRun() async throws {
        guard let qemu = try Self.tool("qemu-aarch64-static"), let cross = try Self.tool("aarch64-linux-gnu-gcc"),
              let gcc = try Self.tool("gcc") else { return }
        _ = qemu
        let strata = try StrataRunner()
        let installed = try await strata.run(["buildx", "install-emulators"])
        #expect(installed.status == 0 && installed.stdout.lines.contains("linux/arm64"), "\(installed)")
        let listed = try await strata.run(["buildx", "ls"])
        #expect(listed.stdout.contains("linux/amd64, linux/arm64"), "\(listed)")

        let context = try Files.tempDirectory("emulated")
        defer { try? FileManager.default.removeItem(at: context) }
        let arm64 = try await Self.arm64Rootfs(in: context)
        try FileManager.default.copyItem(atPath: arm64, toPath: context.appendingPathComponent("base-arm64.tar").path)
        try FileManager.default.copyItem(atPath: try Files.busyboxRootfs(), toPath: context.appendingPathComponent("base-amd64.tar").path)
        let source = context.appendingPathComponent("hello.c").path
        try Data("#include <stdio.h>\nint main(void) { puts(\"hello from a compiled program\"); return 0; }\n".utf8)
            .write(to: URL(fileURLWithPath: source))
        for (compiler, arch) in [(cross, "arm64"), (gcc, "amd64")] {
            let compiled = try await ProcessRunner.run(compiler, ["-static", "-O2", "-o", context.appendingPathComponent("hello-\(arch)").path, source])
            #expect(compiled.status == 0, "\(compiled)")
        }
        // The base: one multi-platform image of the two busybox trees.
        try Data("FROM scratch\nARG TARGETARCH\nADD base-${TARGETARCH}.tar /\nCMD [\"/bin/sh\"]\n".utf8)
            .write(to: context.appendingPathComponent("Dockerfile.base"))
        let base = try await strata.run(["build", "-q", "--platform", "linux/amd64,linux/arm64", "-f",
                                         context.appendingPathComponent("Dockerfile.base").path, "-t", "emu/base:1", context.path])
        #expect(base.status == 0, "\(base)")
        // Cross-compilation pattern: a stage on the build platform picks the target's binary; the target stage runs it.
        try Data("""
            FROM --platform=$BUILDPLATFORM emu/base:1 AS pick
            ARG TARGETARCH
            COPY hello-${TARGETARCH} /out/hello
            FROM emu/base:1
            COPY --from=pick /out/hello /bin/hello
            RUN uname -m > /arch && /bin/hello > /hello.out

            """.utf8).write(to: context.appendingPathComponent("Dockerfile"))
        let built = try await strata.run(["buildx", "build", "--progress", "plain", "--platform", "linux/amd64,linux/arm64",
                                          "--metadata-file", context.appendingPathComponent("meta.json").path, "-t", "emu/app:1", context.path])
        #expect(built.status == 0, "\(built)")
        for (platform, machine) in [("linux/arm64", "aarch64"), ("linux/amd64", "x86_64")] {
            let shown = try await strata.run(["run", "--rm", "--platform", platform, "emu/app:1", "cat", "/arch", "/hello.out"])
            #expect(shown.stdout == "\(machine)\nhello from a compiled program\n", "\(platform): \(shown)")
        }
        // --platform all: every platform the FROM images offer (here the base's two).
        let all = try await strata.run(["build", "-q", "--platform", "all", "-t", "emu/all:1", context.path])
        #expect(all.status == 0, "\(all)")
        #expect(try await strata.run(["run", "--rm", "--platform", "linux/arm64", "emu/all:1", "cat", "/arch"]).stdout == "aarch64\n")
        let live = try await strata.run(["run", "--rm", "--platform", "linux/arm64", "emu/app:1", "uname", "-m"])
        #expect(live.stdout == "aarch64\n", "\(live)")
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: context.appendingPathComponent("meta.json"))) as? [String: Any]
        #expect((meta?["containerimage.digest"] as? String)?.hasPrefix("sha256:") == true, "\(String(describing: meta))")
        #expect(meta?["image.name"] as? String == "docker.io/emu/app:1", "\(String(describing: meta))")

        // docker 20.10 pulls the arm64 entry of the pushed index and runs it under the same emulator.
        if DockerPeer.shouldRun {
            try await RegistryFixture.with(.open) { registry in
                let remote = "\(registry.host)/emu/app:1"
                #expect(try await strata.run(["tag", "emu/app:1", remote]).status == 0)
                #expect(try await strata.run(["push", remote]).status == 0)
                let docker = try DockerPeer.require()
                defer { Task { _ = try? await docker.run(["rmi", "-f", remote]) } }
                #expect(try await docker.run(["pull", "--platform", "linux/arm64", remote]).status == 0)
                let ran = try await docker.run(["run", "--rm", "--network", "host", "--platform", "linux/arm64", remote, "cat", "/arch", "/hello.out"])
                #expect(ran.stdout == "aarch64\nhello from a compiled program\n", "\(ran)")
            }
        }

        // No emulator: one line naming the platform and the fix.
        let handler = "/proc/sys/fs/binfmt_misc/qemu-aarch64"
        try Data("0".utf8).write(to: URL(fileURLWithPath: handler))
        defer { try? Data("1".utf8).write(to: URL(fileURLWithPath: handler)) }
        let refused = try await strata.run(["build", "-q", "--no-cache", "--platform", "linux/arm64", context.path])
        #expect(refused.status == 1 && refused.stderr.contains("cannot run a RUN step for linux/arm64 on this linux/amd64 host")
                && refused.stderr.contains("strata buildx install-emulators"), "\(refused)")
    }

    @Test("buildx's builder commands speak for the one built-in builder; unsupported flags are refused, never ignored")
    func buildxSurface() async throws {
        let strata = try StrataRunner()
        #expect(try await strata.run(["buildx", "create", "--use"]).stdout == "default\n")
        #expect(try await strata.run(["buildx", "use", "default"]).status == 0)
        let other = try await strata.run(["buildx", "use", "elsewhere"])
        #expect(other.status == 1 && other.stderr.contains("no builder \"elsewhere\" found"), "\(other)")
        #expect(try await strata.run(["buildx", "inspect"]).stdout.contains("Driver: strata"))
        let context = try Self.context()
        defer { try? FileManager.default.removeItem(at: context) }
        for flags in [["--cache-to", "type=s3,region=x"], ["--cache-from", "type=gha"]] {
            let refused = try await strata.run(["buildx", "build", "-q"] + flags + [context.path])
            #expect(refused.status == 1 && refused.stderr.contains("is not supported by Strata's builder"), "\(flags): \(refused)")
        }
        let plain = try await strata.run(["buildx", "build", "-q", "--load", "--provenance=false", "--builder", "default", context.path])
        #expect(plain.status == 0 && plain.stdout.hasPrefix("sha256:"), "\(plain)")
    }
}

/// SOURCE_DATE_EPOCH: the same context built on two fresh stores gives the same index digest, its history and
/// config dated at the epoch and no file in a new layer dated later (BuildKit's rewrite-timestamp).
@Suite("reproducible builds")
struct ReproducibleBuildTests {
    @Test("two fresh roots, one SOURCE_DATE_EPOCH, one digest; without it they differ")
    func sameDigestOnTwoRoots() async throws {
        let context = try Files.tempDirectory("repro")
        defer { try? FileManager.default.removeItem(at: context) }
        try FileManager.default.copyItem(atPath: try Files.busyboxRootfs(), toPath: context.appendingPathComponent("rootfs.tar").path)
        try Data("data\n".utf8).write(to: context.appendingPathComponent("data"))
        try Data("""
            FROM scratch
            ADD rootfs.tar /
            RUN echo made > /made && mkdir -p /dir && touch /dir/file
            COPY data /data
            ENV MODE=repro

            """.utf8).write(to: context.appendingPathComponent("Dockerfile"))
        func build(epoch: String?) async throws -> (digest: String, runner: StrataRunner) {
            let strata = try StrataRunner()
            var environment: [String: String] = [:]
            if let epoch { environment["SOURCE_DATE_EPOCH"] = epoch }
            let built = try await strata.run(["build", "-q", "--platform", "linux/amd64,linux/arm64", "-t", "repro/app:1", context.path],
                                             environment: environment)
            #expect(built.status == 0, "\(built)")
            return (built.stdout.trimmingCharacters(in: .whitespacesAndNewlines), strata)
        }
        let first = try await build(epoch: "1700000000")
        try await Task.sleep(for: .milliseconds(1100))   // a second later: any unclamped time would differ
        try FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: context.appendingPathComponent("data").path)
        let second = try await build(epoch: "1700000000")
        #expect(first.digest.hasPrefix("sha256:") && first.digest == second.digest, "\(first.digest) vs \(second.digest)")
        let created = try await first.runner.run(["inspect", "-f", "{{.Created}}", "repro/app:1"])
        #expect(created.stdout == "2023-11-14T22:13:20Z\n", "\(created)")
        let times = try await first.runner.run(["run", "--rm", "repro/app:1", "stat", "-c", "%Y", "/made", "/dir/file", "/data"])
        #expect(times.stdout == "1700000000\n1700000000\n1700000000\n", "\(times)")
        let plain = try await build(epoch: nil)
        try await Task.sleep(for: .milliseconds(1100))
        let plainAgain = try await build(epoch: nil)
        #expect(plain.digest != plainAgain.digest, "without SOURCE_DATE_EPOCH the two builds should differ (their times)")
    }
}
