import Foundation
import Testing

/// Docker is the oracle: the same rootfs imported into strata and into docker 20.10 must give the same
/// layers, the same inspect structure and the same command output (modulo IDs, times and ages).
@Suite("Docker parity", .enabled(if: DockerPeer.shouldRun, "needs the docker 20.10 peer (scripts/peers-up)"))
struct DockerParityTests {
    @Test("import: RootFS.Layers equal docker's, plain and gzip input")
    func rootfsLayers() async throws {
        let docker = try DockerPeer.require()
        let strata = try StrataRunner()
        let rootfs = try Files.busyboxRootfs()
        let scratch = try Files.tempDirectory("gz")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let gz = try await Files.gzipped(rootfs, into: scratch)
        let repo = DockerPeer.uniqueRepository("layers")
        let diffID = try await Files.sha256(rootfs)

        for (input, tag) in [(rootfs, "plain"), (gz, "gz")] {
            let ref = "\(repo):\(tag)"
            let id = try await strata.importImage(input, ref)
            #expect(id.wholeMatch(of: /sha256:[0-9a-f]{64}/) != nil)
            try await docker.importImage(input, ref)
            let s = try await strata("inspect", "--format={{.RootFS.Layers}}", ref)
            let d = try await docker("inspect", "--format={{.RootFS.Layers}}", ref)
            expectIdentical(s, d, "inspect --format={{.RootFS.Layers}} (\(tag))")
            // docker's diffID is the digest of the uncompressed tar stream.
            #expect(s.stdout == "[\(diffID)]\n", "\(tag): layer must be sha256 of the uncompressed tar")
        }
        await docker.remove(["\(repo):plain", "\(repo):gz"])
    }

    @Test("import: stdin input and -c/-m options behave like docker")
    func importOptions() async throws {
        let docker = try DockerPeer.require()
        let strata = try StrataRunner()
        let rootfs = try Files.busyboxRootfs()
        let ref = DockerPeer.uniqueRepository("opts") + ":1"
        let args = ["import", "-c", "CMD [\"/bin/sh\"]", "-c", "ENV A=1", "-c", "LABEL it=1", "-m", "hello msg", "-", ref]
        let si = try await strata.run(args, stdinFile: rootfs)
        let di = try await docker.run(args, stdinFile: rootfs)
        expectSameShape(si, di, "import -c … -m … -")
        #expect(si.stderr.isEmpty)
        let template = "{{.Config.Cmd}} {{.Config.Env}} {{.Config.Labels}} {{.Comment}} {{.Size}} {{.VirtualSize}} {{.Os}} {{.Architecture}} {{.RepoTags}} {{.RepoDigests}} {{.Parent}}"
        expectIdentical(try await strata("inspect", "--format", template, ref),
                        try await docker("inspect", "--format", template, ref), "inspect --format <config fields>")
        await docker.remove([ref])
    }

    @Test("inspect: same JSON keys and types as docker, equal Size")
    func inspectStructure() async throws {
        let docker = try DockerPeer.require()
        let strata = try StrataRunner()
        let rootfs = try Files.busyboxRootfs()
        let repo = DockerPeer.uniqueRepository("inspect")
        for (tag, changes) in [("bare", [String]()), ("cmd", ["CMD [\"/bin/sh\"]", "ENV A=1", "LABEL it=1"])] {
            let ref = "\(repo):\(tag)"
            try await strata.importImage(rootfs, ref, changes: changes)
            try await docker.importImage(rootfs, ref, changes: changes)
            let s = try await strata("inspect", ref)
            let d = try await docker("inspect", ref)
            try #require(s.status == 0, "strata inspect failed: \(s)")
            let sj = try JSONValue.parse(s.stdout)
            let dj = try JSONValue.parse(d.stdout)
            // GraphDriver.Data is storage-driver specific in docker (null for vfs, paths for overlay2).
            let diffs = sj.structuralDifferences(from: dj, ignoring: ["[0].GraphDriver.Data"])
            #expect(diffs.isEmpty, "\(tag): inspect structure differs:\n\(diffs.joined(separator: "\n"))\n--- strata ---\n\(s.stdout)")
            #expect(sj[0]?["Size"] == dj[0]?["Size"], "\(tag): Size")
            #expect(sj[0]?["VirtualSize"] == dj[0]?["VirtualSize"], "\(tag): VirtualSize")
            #expect(sj[0]?["RootFS"] == dj[0]?["RootFS"], "\(tag): RootFS")
            #expect(sj[0]?["Config"] == dj[0]?["Config"], "\(tag): Config")
            #expect(sj[0]?["RepoTags"] == dj[0]?["RepoTags"], "\(tag): RepoTags")
            // Same indentation and key order as docker's JSON: identical once the variable values are masked.
            #expect(maskInspect(s.stdout) == maskInspect(d.stdout), "\(tag): inspect text (masked) differs")
        }
        await docker.remove(["\(repo):bare", "\(repo):cmd"])
    }

    @Test("history: default, -H=false, --no-trunc, -q and a --format template match docker")
    func history() async throws {
        let docker = try DockerPeer.require()
        let strata = try StrataRunner()
        let rootfs = try Files.busyboxRootfs()
        let ref = DockerPeer.uniqueRepository("history") + ":1"
        try await strata.importImage(rootfs, ref)
        try await docker.importImage(rootfs, ref)
        for args in [["history"], ["history", "-H=false"], ["history", "--no-trunc"], ["history", "-q"],
                     ["history", "-q", "--no-trunc"], ["history", "--format", "{{json .}}"]] {
            expectSameShape(try await strata.run(args + [ref]), try await docker.run(args + [ref]), args.joined(separator: " "))
        }
        let template = ["history", "--no-trunc", "--format", "{{.Size}}\t{{.CreatedBy}}", ref]
        expectIdentical(try await strata.run(template), try await docker.run(template), "history --format {{.Size}}\\t{{.CreatedBy}}")
        await docker.remove([ref])
    }

    @Test("images: columns and templates match docker for the same repository")
    func images() async throws {
        let docker = try DockerPeer.require()
        let strata = try StrataRunner()
        let rootfs = try Files.busyboxRootfs()
        let repo = DockerPeer.uniqueRepository("images")
        try await strata.importImage(rootfs, "\(repo):1")
        try await docker.importImage(rootfs, "\(repo):1")
        #expect(try await strata("tag", "\(repo):1", "\(repo):alias").status == 0)
        #expect(try await docker("tag", "\(repo):1", "\(repo):alias").status == 0)
        for args in [["images"], ["image", "ls"], ["images", "-q"], ["images", "-a"], ["images", "--digests"],
                     ["images", "--no-trunc"], ["images", "--format", "{{.ID}}\t{{.CreatedAt}}"],
                     ["images", "--format", "{{.Repository}}:{{.Tag}} {{.Size}} {{.VirtualSize}} {{.Digest}}"],
                     ["images", "--format", "table {{.Repository}}\t{{.Tag}}\t{{.Size}}"],
                     ["images", "--format", "{{json .}}"]] {
            expectSameShape(try await strata.run(args + [repo]), try await docker.run(args + [repo]), args.joined(separator: " "))
        }
        // Filtering to a repository nobody has: header only.
        expectIdentical(try await strata("images", "\(repo)-none"), try await docker("images", "\(repo)-none"), "images <unknown repo>")
        await docker.remove(["\(repo):1", "\(repo):alias"])
    }

    @Test("system df: layout equals docker's; values equal docker's for a one-image store")
    func systemDF() async throws {
        let docker = try DockerPeer.require()
        let strata = try StrataRunner()
        let rootfs = try Files.busyboxRootfs()

        // Empty store: docker 20.10 on an empty data root prints exactly this (notes/oracle/fresh-store.txt).
        let empty = try await strata("system", "df")
        #expect(empty.stdout == """
            TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE
            Images          0         0         0B        0B
            Containers      0         0         0B        0B
            Local Volumes   0         0         0B        0B
            Build Cache     0         0         0B        0B

            """, "system df on an empty store:\n\(empty)")

        let ref = DockerPeer.uniqueRepository("df") + ":1"
        try await strata.importImage(rootfs, ref)
        try await docker.importImage(rootfs, ref)
        let bytes = Int(try await docker("inspect", "--format", "{{.Size}}", ref).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        let size = dockerHumanSize(bytes)

        let template = ["system", "df", "--format", "{{.Type}}\t{{.TotalCount}}\t{{.Size}}"]
        let st = try await strata.run(template)
        #expect(st.stdout == "Images\t1\t\(size)\nContainers\t0\t0B\nLocal Volumes\t0\t0B\nBuild Cache\t0\t0B\n", "\(st)")
        // The peer holds other images: compare the layout, not the numbers.
        let dt = try await docker.run(template)
        let rowTypes = { (text: String) -> [String] in
            text.split(separator: "\n").map { String($0.split(separator: "\t").first ?? "") }
        }
        #expect(rowTypes(dt.stdout) == rowTypes(st.stdout), "row types and order")

        let sd = try await strata("system", "df")
        let dd = try await docker("system", "df")
        #expect(sd.stdout.split(separator: "\n").first == dd.stdout.split(separator: "\n").first, "header")
        let sizeCell = size.padding(toLength: max(10, size.count + 3), withPad: " ", startingAt: 0)
        #expect(sd.stdout.contains("\nImages          1         0         \(sizeCell)\(size) (100%)\n"), "images row:\n\(sd.stdout)")
        let sv = try await strata("system", "df", "-v")
        let dv = try await docker("system", "df", "-v")
        let section = { (text: String) -> [String] in
            // The peer's build cache size depends on other builds: compare the line, not the number.
            text.split(separator: "\n").map(String.init).filter { $0.hasSuffix(":") || $0.contains("usage") }
                .map { $0.hasPrefix("Build cache usage:") ? "Build cache usage:" : $0 }
        }
        #expect(section(sv.stdout) == section(dv.stdout), "system df -v sections\n--- strata ---\n\(sv.stdout)--- docker ---\n\(dv.stdout)")
        #expect(sv.stdout.contains("SHARED SIZE   UNIQUE SIZE   CONTAINERS"), "system df -v image header")
        await docker.remove([ref])
    }

    @Test("rmi and tag print what docker prints")
    func rmiAndTag() async throws {
        let docker = try DockerPeer.require()
        let strata = try StrataRunner()
        let rootfs = try Files.busyboxRootfs()
        let repo = DockerPeer.uniqueRepository("rmi")
        try await strata.importImage(rootfs, "\(repo):1")
        try await docker.importImage(rootfs, "\(repo):1")
        for args in [["tag", "\(repo):1", "\(repo):2"], ["tag", "\(repo):1", "\(repo):2"], ["tag", "\(repo):1", repo]] {
            expectIdentical(try await strata.run(args), try await docker.run(args), args.joined(separator: " "))
        }
        expectIdentical(try await strata("rmi", "\(repo):2"), try await docker("rmi", "\(repo):2"), "rmi (untag only)")
        expectIdentical(try await strata("image", "rm", repo), try await docker("image", "rm", repo), "image rm (untag only)")
        // Last tag: "Untagged:" then "Deleted:" lines; the layer line only where the layer is unshared.
        let s = try await strata("rmi", "\(repo):1")
        let d = try await docker("rmi", "\(repo):1")
        #expect(s.status == 0 && d.status == 0)
        #expect(s.stdout.hasPrefix("Untagged: \(repo):1\nDeleted: sha256:"), "\(s)")
        #expect(s.stdout.split(separator: "\n").count == 3, "strata's store has no other image, so the layer goes too:\n\(s.stdout)")
    }
}

extension DockerParityTests {
    @Test("events: the same sequence of image events, in docker's line format")
    func events() async throws {
        let docker = try DockerPeer.require()
        let strata = try StrataRunner()
        let scratch = try Files.tempDirectory("ev")
        defer { try? FileManager.default.removeItem(at: scratch) }
        // A unique layer, so docker's delete events are not affected by other images on the peer.
        let unique = try await Files.largeRootfs(megabytes: 1, into: scratch)
        let repo = DockerPeer.uniqueRepository("events")
        let since = String(Int(Date().timeIntervalSince1970) - 1)

        var outputs: [CommandResult] = []
        for side in 0..<2 {
            let run: ([String]) async throws -> CommandResult = side == 0
                ? { try await strata.run($0) } : { try await docker.run($0) }
            let id = try await run(["import", unique, "\(repo):1"]).stdout.trimmingCharacters(in: .newlines)
            _ = try await run(["tag", "\(repo):1", "\(repo):2"])
            _ = try await run(["rmi", "\(repo):2"])
            _ = try await run(["rmi", "\(repo):1"])
            try await Task.sleep(for: .milliseconds(1100))   // --until has second resolution
            let until = String(Int(Date().timeIntervalSince1970))
            outputs.append(try await run(["events", "--since", since, "--until", until, "--filter", "image=\(id)"]))
        }
        expectSameShape(outputs[0], outputs[1], "events --filter image=<id>")
        let actions = { (r: CommandResult) in r.stdout.split(separator: "\n").map { $0.split(separator: " ")[2] } }
        #expect(actions(outputs[0]) == actions(outputs[1]), "event actions")
    }
}

/// Replaces the values that legitimately differ between two imports (IDs, times, driver paths).
private func maskInspect(_ text: String) -> String {
    text.replacing(/"Id": "sha256:[0-9a-f]{64}"/, with: "\"Id\": \"<id>\"")
        .replacing(/"(Created|LastTagTime)": "[^"]*"/) { "\"\($0.output.1)\": \"<time>\"" }
        .replacing(/"DockerVersion": "[^"]*"/, with: "\"DockerVersion\": \"<version>\"")
        .replacing(/"GraphDriver": \{[\s\S]*?"Name": "[^"]*"\s*\}/, with: "\"GraphDriver\": <driver>")
}
