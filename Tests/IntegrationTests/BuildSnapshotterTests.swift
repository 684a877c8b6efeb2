import Foundation
import Testing

/// The same Dockerfile built three ways must give the same filesystem: on overlayfs (the default), on the
/// copy-based snapshotter (`STRATA_SNAPSHOTTER=copy`, the fallback without overlayfs), and with `--squash`
/// (one layer on top of the base). The Dockerfile deletes a base file (a whiteout), reads files a COPY wrote
/// (the placeholders filled from the blob), links, chmods and adds a WORKDIR.
@Suite("build: snapshotters and --squash", .serialized)
struct BuildSnapshotterTests {
    static let dockerfile = """
        FROM snap/base
        COPY files /app
        RUN cat /app/a.txt > /app/copied.txt && rm /app/b.txt && rm -f /bin/uname && mkdir -p /made && echo hi > /made/x
        WORKDIR /w
        COPY files/sub/ /app/sub2/
        RUN ln -s /app/a.txt /app/link && chmod 600 /app/copied.txt && ln /app/a.txt /app/hard
        """

    static let inspect = """
        cd / && find app made w -exec stat -c '%n %F %a %u:%g %s %h' {} + | sort; md5sum app/copied.txt app/sub2/c.txt; \
        test -e /bin/uname && echo uname-present || echo uname-gone
        """

    static func makeContext() throws -> URL {
        let context = try Files.tempDirectory("snap-ctx")
        let files = context.appendingPathComponent("files")
        try FileManager.default.createDirectory(at: files.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try Data("alpha\n".utf8).write(to: files.appendingPathComponent("a.txt"))
        try Data("beta\n".utf8).write(to: files.appendingPathComponent("b.txt"))
        try Data(String(repeating: "c", count: 300_000).utf8).write(to: files.appendingPathComponent("sub/c.txt"))
        try Data(dockerfile.utf8).write(to: context.appendingPathComponent("Dockerfile"))
        return context
    }

    /// Builds with `environment` and `flags`; returns the listing from inside the image and its layer count.
    static func buildAndList(environment: [String: String] = [:], flags: [String] = []) async throws -> (listing: String, layers: Int) {
        let strata = try StrataRunner(environment: environment)
        _ = try await strata.importImage(try Files.busyboxRootfs(), "snap/base")
        let context = try makeContext()
        defer { try? FileManager.default.removeItem(at: context) }
        let build = try await strata.run(["build", "-q", "-t", "snap/out"] + flags + [context.path])
        #expect(build.status == 0, "\(build)")
        let run = try await strata.run(["run", "--rm", "snap/out", "sh", "-c", inspect])
        #expect(run.status == 0, "\(run)")
        let layers = try await strata.run(["inspect", "--format", "{{len .RootFS.Layers}}", "snap/out"])
        return (run.stdout, Int(layers.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1)
    }

    @Test("overlay, copy snapshotter and --squash give one filesystem")
    func sameFilesystemThreeWays() async throws {
        let overlay = try await Self.buildAndList()
        #expect(overlay.listing.contains("uname-gone"))
        #expect(overlay.listing.contains("app/copied.txt regular file 600 0:0 6 1"))
        #expect(overlay.listing.contains("app/hard regular file 644 0:0 6 2"))
        #expect(!overlay.listing.contains("app/b.txt"))
        #expect(overlay.layers == 6)  // base + COPY, RUN, WORKDIR, COPY, RUN

        let copy = try await Self.buildAndList(environment: ["STRATA_SNAPSHOTTER": "copy"])
        #expect(copy.listing == overlay.listing)
        #expect(copy.layers == overlay.layers)

        let squashed = try await Self.buildAndList(flags: ["--squash"])
        #expect(squashed.listing == overlay.listing)
        #expect(squashed.layers == 2)  // the base's layer and one more
    }

    @Test("builder prune -a drops the snapshot dirs; the next build rebuilds them")
    func pruneDropsSnapshots() async throws {
        let strata = try StrataRunner()
        _ = try await strata.importImage(try Files.busyboxRootfs(), "snap/base")
        let context = try Self.makeContext()
        defer { try? FileManager.default.removeItem(at: context) }
        #expect(try await strata.run(["build", "-q", "-t", "snap/out", context.path]).status == 0)
        let layers = strata.root.appendingPathComponent("snapshots/layers").path
        #expect(try !FileManager.default.contentsOfDirectory(atPath: layers).isEmpty)
        // Without -a the dirs of layers images still use stay.
        #expect(try await strata.run(["builder", "prune", "-f"]).status == 0)
        #expect(try !FileManager.default.contentsOfDirectory(atPath: layers).isEmpty)
        let pruned = try await strata.run(["builder", "prune", "-a", "-f"])
        #expect(pruned.status == 0, "\(pruned)")
        #expect(pruned.stdout.contains("Total reclaimed space:"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: layers).isEmpty)
        #expect(try await strata.run(["build", "-q", "-t", "snap/again", context.path]).status == 0)
        let run = try await strata.run(["run", "--rm", "snap/again", "sh", "-c", Self.inspect])
        #expect(run.status == 0 && run.stdout.contains("uname-gone"), "\(run)")
    }

    @Test("kill -9 in the middle of a RUN: the next build unmounts and removes what the dead one left")
    func killedBuildIsSweptByTheNext() async throws {
        let strata = try StrataRunner()
        _ = try await strata.importImage(try Files.busyboxRootfs(), "snap/base")
        let context = try Files.tempDirectory("snap-kill")
        defer { try? FileManager.default.removeItem(at: context) }
        try Data("FROM snap/base\nRUN sleep 60\n".utf8).write(to: context.appendingPathComponent("Dockerfile"))
        let scratch = strata.root.appendingPathComponent("build-tmp").path + "/"
        func mounts() -> [String] { Files.mountPoints(under: scratch) }
        let child = try strata.launch(["build", "--no-cache", "-q", context.path])
        let deadline = ContinuousClock.now + .seconds(30)
        while mounts().isEmpty && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!mounts().isEmpty, "the RUN's overlay never appeared")
        child.kill(SIGKILL)
        _ = await child.wait(timeout: .seconds(30))
        #expect(!mounts().isEmpty, "expected the dead build's mount to stay until swept")

        try Data("FROM snap/base\nRUN true\n".utf8).write(to: context.appendingPathComponent("Dockerfile"))
        let next = try await strata.run(["build", "-q", context.path])
        #expect(next.status == 0, "\(next)")
        #expect(mounts().isEmpty, "left mounted: \(mounts())")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty)
        #expect(try await strata.run(["system", "check"]).status == 0)
    }

    @Test("two builds filling the same COPY tree at once both see the copied bytes")
    func concurrentFills() async throws {
        let strata = try StrataRunner()
        _ = try await strata.importImage(try Files.busyboxRootfs(), "snap/base")
        let context = try Self.makeContext()
        defer { try? FileManager.default.removeItem(at: context) }
        // The COPY alone: its tree is kept unfilled.
        try Data("FROM snap/base\nCOPY files /app\n".utf8).write(to: context.appendingPathComponent("Dockerfile"))
        #expect(try await strata.run(["build", "-q", context.path]).status == 0)
        let layers = strata.root.appendingPathComponent("snapshots/layers").path
        #expect(try FileManager.default.contentsOfDirectory(atPath: layers).contains { $0.hasSuffix(".unfilled") })
        // Two builds reuse the cached COPY and run on it, so both fill the tree at the same moment.
        for n in 1...2 {
            try Data("FROM snap/base\nCOPY files /app\nRUN md5sum /app/sub/c.txt > /sum\(n)\n".utf8)
                .write(to: context.appendingPathComponent("Dockerfile.\(n)"))
        }
        async let first = strata.run(["build", "-q", "-t", "snap/fill1", "-f", context.path + "/Dockerfile.1", context.path])
        async let second = strata.run(["build", "-q", "-t", "snap/fill2", "-f", context.path + "/Dockerfile.2", context.path])
        let results = try await [first, second]
        for result in results { #expect(result.status == 0, "\(result)") }
        let expected = try await strata.run(["run", "--rm", "snap/fill1", "md5sum", "/app/sub/c.txt"])
        for n in 1...2 {
            let sum = try await strata.run(["run", "--rm", "snap/fill\(n)", "cat", "/sum\(n)"])
            #expect(sum.stdout == expected.stdout && !sum.stdout.isEmpty, "\(sum)")
        }
        #expect(try !FileManager.default.contentsOfDirectory(atPath: layers).contains { $0.hasSuffix(".unfilled") })
    }
}

/// Layers that repeat in one image (steps that changed nothing, the same COPY twice): every position is its own
/// layer, so RUN steps, `run` and `image unpack` work at the top, in the middle and at the bottom of the stack.
@Suite("build: repeated layers")
struct RepeatedLayerTests {
    @Test("repeated diffIDs at the start, middle and end of the stack")
    func repeatedLayers() async throws {
        let strata = try StrataRunner()
        try await strata.importImage(try Files.busyboxRootfs(), "repeat/base:1")
        let context = try Files.tempDirectory("repeat")
        defer { try? FileManager.default.removeItem(at: context) }
        try Data("same\n".utf8).write(to: context.appendingPathComponent("f"))
        let dockerfile = context.appendingPathComponent("Dockerfile")
        // Bottom: the same COPY twice; then the base's files; then empty RUN layers around real ones.
        try Data("""
            FROM scratch
            COPY f /f
            COPY f /f
            COPY --from=repeat/base:1 / /
            RUN true
            RUN true
            RUN cat /f > /a
            RUN true
            RUN cat /a && echo b > /b
            RUN true
            """.utf8).write(to: dockerfile)
        let built = try await strata.run(["build", "--progress=plain", "-t", "repeat/app:1", context.path])
        #expect(built.status == 0, "\(built.stderr.suffix(600))")
        let layers = try await strata.run(["inspect", "--format", "{{json .RootFS.Layers}}", "repeat/app:1"])
        let diffIDs = (try JSONSerialization.jsonObject(with: Data(layers.stdout.utf8)) as? [String]) ?? []
        #expect(diffIDs.count == 9 && diffIDs[0] == diffIDs[1] && Set(diffIDs).count < diffIDs.count, "\(diffIDs)")
        let ran = try await strata.run(["run", "--rm", "repeat/app:1", "cat", "/f", "/a", "/b"])
        #expect(ran.status == 0 && ran.stdout == "same\nsame\nb\n", "\(ran)")
        let target = context.appendingPathComponent("unpacked").path
        let unpacked = try await strata.run(["image", "unpack", "repeat/app:1", target])
        #expect(unpacked.status == 0, "\(unpacked)")
        #expect((try? String(contentsOfFile: target + "/b", encoding: .utf8)) == "b\n")
        #expect(Files.mountPoints(under: strata.root.path + "/").isEmpty)
    }
}
