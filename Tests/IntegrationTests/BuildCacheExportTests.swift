import Foundation
import Testing

/// `--cache-to` / `--cache-from` in BuildKit's formats. The contract: a fresh store (a new CI runner) given the cache
/// runs no RUN step and makes the very same image. Read back by an independent reader of the format (a Python
/// script written from BuildKit's published layout), and exchanged with docker 20.10's BuildKit through inline
/// caches both ways.
@Suite("build cache export and import", .enabled(if: RegistryFixture.shouldRun, "needs docker-registry (see RegistryFixture)"), .serialized)
struct BuildCacheExportTests {
    /// A base image in the registry (what a CI runner pulls) and a context whose RUN writes random bytes, so a step
    /// that ran again would change the image.
    static func prepare(_ registry: RegistryFixture, stages: Bool = false) async throws -> (context: URL, base: String) {
        let seeder = try StrataRunner()
        let base = "\(registry.host)/cache/base:1"
        try await seeder.importImage(try Files.busyboxRootfs(), base)
        let pushed = try await seeder.run(["push", "-q", base])
        guard pushed.status == 0 else { throw FixtureError("push base: \(pushed)") }
        let context = try Files.tempDirectory("cache-ctx")
        // Content of its own, so no earlier build's cache (docker's included) can serve it.
        try Data("hello \(UUID())\n".utf8).write(to: context.appendingPathComponent("f"))
        let dockerfile = stages ? """
            FROM \(base) AS builder
            RUN head -c 16 /dev/urandom | od -An -tx1 > /made
            RUN true

            FROM \(base)
            COPY f /f
            COPY --from=builder /made /made
            RUN cat /f /made > /both

            """ : """
            FROM \(base)
            COPY f /f
            RUN head -c 16 /dev/urandom | od -An -tx1 > /rand
            ENV A=b
            RUN true
            RUN cat /f /rand > /both

            """
        try Data(dockerfile.utf8).write(to: context.appendingPathComponent("Dockerfile"))
        return (context, base)
    }

    /// The steps a plain-progress build ran (a `DONE` step line) and took from a cache (`CACHED`).
    static func steps(_ stderr: String) -> (ran: [String], cached: [String]) {
        var names: [String: String] = [:]
        var ran: [String] = [], cached: [String] = []
        for line in stderr.lines {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[0].hasPrefix("#") else { continue }
            if parts[1].hasPrefix("[") && !parts[1].hasPrefix("[internal]") { names[parts[0]] = parts[1] }
            guard let name = names[parts[0]] else { continue }
            if parts[1] == "CACHED" { cached.append(name) } else if parts[1].hasPrefix("DONE") { ran.append(name) }
        }
        return (ran.filter { $0.contains(" RUN ") }, cached)
    }

    static func id(_ strata: StrataRunner, _ name: String) async throws -> String {
        try await strata.run(["inspect", "--format", "{{.Id}}", name]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("registry cache: a fresh store runs no RUN and makes the same image (mode=min and max, several stages)")
    func registryContract() async throws {
        try await RegistryFixture.with(.open) { registry in
            // mode=min holds only the result's chain: with several stages, the stage the result copies from is
            // worked out by key and never built on the fresh store.
            for (mode, stages) in [("min", false), ("max", true), ("min", true)] {
                let (context, _) = try await Self.prepare(registry, stages: stages)
                defer { try? FileManager.default.removeItem(at: context) }
                let cache = "\(registry.host)/cache/app:cache-\(mode)\(stages ? "-stages" : "")"
                let image = "\(registry.host)/cache/app:\(mode)\(stages ? "-stages" : "")"
                let first = try StrataRunner()
                let built = try await first.run(["buildx", "build", "--progress", "plain", "--cache-to", "type=registry,ref=\(cache),mode=\(mode)",
                                                 "--push", "-t", image, context.path])
                #expect(built.status == 0, "\(built)")
                #expect(built.stderr.contains("exporting cache") && built.stderr.contains("writing manifest sha256:"), "\(built.stderr)")
                let runner = try StrataRunner()
                let again = try await runner.run(["buildx", "build", "--progress", "plain", "--cache-from", "type=registry,ref=\(cache)",
                                                  "-t", image, context.path])
                #expect(again.status == 0, "\(again)")
                let steps = Self.steps(again.stderr)
                #expect(steps.ran.isEmpty, "mode=\(mode) ran \(steps.ran)\n\(again.stderr)")
                if mode == "min" && stages {
                    #expect(!again.stderr.contains("[builder"), "the builder stage was built:\n\(again.stderr)")
                }
                #expect(try await Self.id(runner, image) == Self.id(first, image))
                // The same manifest too: pushed under another tag, the registry names the same digest.
                #expect(try await runner.run(["tag", image, image + "-again"]).status == 0)
                let pushedAgain = try await runner.run(["push", image + "-again"])
                let pushedFirst = try await first.run(["inspect", "--format", "{{index .RepoDigests 0}}", image])
                let digest = pushedFirst.stdout.split(separator: "@").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? "?"
                #expect(pushedAgain.stdout.contains(digest), "first: \(pushedFirst)\nagain: \(pushedAgain)")
                // The cache taken is the store's own now: a rebuild without --cache-from is cached (and a stage the
                // result only copies from is still not built).
                let local = try await runner.run(["build", "--progress", "plain", "-t", image, context.path])
                #expect(Self.steps(local.stderr).ran.isEmpty, "\(local.stderr)")
            }
        }
    }

    @Test("local cache: an OCI layout an independent reader checks, imported by a fresh store; multi-platform shares one cache")
    func localCache() async throws {
        try await RegistryFixture.with(.open) { registry in
            let (context, _) = try await Self.prepare(registry)
            defer { try? FileManager.default.removeItem(at: context) }
            let directory = try Files.tempDirectory("cache-dir")
            defer { try? FileManager.default.removeItem(at: directory) }
            let first = try StrataRunner()
            let built = try await first.run(["buildx", "build", "-q", "--cache-to", "type=local,dest=\(directory.path),mode=max",
                                             "-t", "cache/local:1", context.path])
            #expect(built.status == 0, "\(built)")
            // BuildKit's layout, checked from its published description alone: index.json names a cache index whose
            // entries are the layer blobs (diffIDs annotated) and the cache config; every digest, diffID and link holds.
            let checker = """
                import gzip, hashlib, json, os, sys
                root = sys.argv[1]
                def blob(d): return open(os.path.join(root, 'blobs', *d.split(':')), 'rb').read()
                def check(d):
                    data = blob(d); assert 'sha256:' + hashlib.sha256(data).hexdigest() == d, d; return data
                top = json.load(open(os.path.join(root, 'index.json')))
                entry = [m for m in top['manifests'] if m['annotations']['org.opencontainers.image.ref.name'] == 'latest'][0]
                index = json.loads(check(entry['digest']))
                configs = [m for m in index['manifests'] if m['mediaType'] == 'application/vnd.buildkit.cacheconfig.v0']
                assert len(configs) == 1, index
                for m in index['manifests']:
                    data = check(m['digest']); assert len(data) == m['size']
                    if m is not configs[0]:
                        assert 'sha256:' + hashlib.sha256(gzip.decompress(data)).hexdigest() == m['annotations']['containerd.io/uncompressed']
                config = json.loads(check(configs[0]['digest']))
                blobs = {m['digest'] for m in index['manifests']}
                for layer in config['layers']:
                    assert layer['blob'] in blobs and -1 <= layer.get('parent', 0) < len(config['layers'])
                results = 0
                for record in config['records']:
                    assert record['digest'].startswith('sha256:')
                    for inputs in record.get('inputs', []):
                        for i in inputs: assert 0 <= i['link'] < len(config['records'])
                    for r in record.get('layers', []):
                        assert 0 <= r['layer'] < len(config['layers']) and r['createdAt']; results += 1
                print(len(config['layers']), len(config['records']), results)
                """
            let checked = try await ProcessRunner.run("/usr/bin/python3", ["-c", checker, directory.path])
            #expect(checked.status == 0, "\(checked)")
            let counts = checked.stdout.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            #expect(counts.count == 3 && counts[0] >= 4 && counts[1] >= 5, "\(checked)")

            let fresh = try StrataRunner()
            let again = try await fresh.run(["build", "--progress", "plain", "--cache-from", "type=local,src=\(directory.path)",
                                             "-t", "cache/local:1", context.path])
            #expect(again.status == 0 && Self.steps(again.stderr).ran.isEmpty, "\(again)")
            #expect(try await Self.id(fresh, "cache/local:1") == Self.id(first, "cache/local:1"))

            // Two platforms, one cache: a COPY-only Dockerfile, so no emulation is needed.
            let multi = try Files.tempDirectory("cache-multi")
            defer { try? FileManager.default.removeItem(at: multi) }
            try Data("x\n".utf8).write(to: multi.appendingPathComponent("x"))
            try Data("FROM scratch\nARG TARGETARCH\nCOPY x /x\nLABEL arch=$TARGETARCH\n".utf8).write(to: multi.appendingPathComponent("Dockerfile"))
            let multiCache = directory.appendingPathComponent("multi").path
            let platforms = "linux/amd64,linux/arm64"
            let made = try await first.run(["buildx", "build", "--platform", platforms, "--cache-to", "type=local,dest=\(multiCache)",
                                            "--iidfile", multi.appendingPathComponent("iid1").path, "-t", "cache/multi:1", multi.path])
            #expect(made.status == 0, "\(made)")
            let remade = try await fresh.run(["buildx", "build", "--progress", "plain", "--platform", platforms,
                                              "--cache-from", "type=local,src=\(multiCache)",
                                              "--iidfile", multi.appendingPathComponent("iid2").path, "-t", "cache/multi:1", multi.path])
            #expect(remade.status == 0, "\(remade)")
            #expect(remade.stderr.components(separatedBy: "CACHED").count - 1 == 2, "\(remade.stderr)")
            let iid1 = try String(contentsOf: multi.appendingPathComponent("iid1"), encoding: .utf8)
            let iid2 = try String(contentsOf: multi.appendingPathComponent("iid2"), encoding: .utf8)
            #expect(iid1 == iid2 && iid1.hasPrefix("sha256:"))
        }
    }

    @Test("bad caches: a corrupt or missing cache is a warning and the build goes on; a refused export keeps the image")
    func badCaches() async throws {
        try await RegistryFixture.with(.open) { registry in
            let (context, _) = try await Self.prepare(registry)
            defer { try? FileManager.default.removeItem(at: context) }
            let directory = try Files.tempDirectory("cache-bad")
            defer { try? FileManager.default.removeItem(at: directory) }
            let strata = try StrataRunner()
            #expect(try await strata.run(["buildx", "build", "-q", "--cache-to", "type=local,dest=\(directory.path)", context.path]).status == 0)
            // Corrupt the cache config: the import fails its vertex, the build runs the steps and succeeds.
            let index = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("index.json"))) as? [String: Any]
            let top = ((index?["manifests"] as? [[String: Any]])?.first?["digest"] as? String) ?? ""
            let cacheIndex = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent(
                "blobs/sha256/" + top.dropFirst(7)))) as? [String: Any]
            let config = ((cacheIndex?["manifests"] as? [[String: Any]])?.last?["digest"] as? String) ?? ""
            let configPath = directory.appendingPathComponent("blobs/sha256/" + config.dropFirst(7)).path
            try Data("{\"layers\": [{\"blob\": \"garbage\"}]".utf8).write(to: URL(fileURLWithPath: configPath))
            let fresh = try StrataRunner()
            let warned = try await fresh.run(["build", "--progress", "plain", "--cache-from", "type=local,src=\(directory.path)",
                                              "--cache-from", "type=local,src=\(directory.path)/missing", "-t", "bad/one", context.path])
            #expect(warned.status == 0, "\(warned)")
            #expect(warned.stderr.components(separatedBy: "ERROR:").count - 1 == 2, "\(warned.stderr)")
            #expect(!Self.steps(warned.stderr).ran.isEmpty)
            // A cache index in a registry whose config lies about its digest: also a warning.
            let liar = try StrataRunner()
            let lied = try await liar.run(["build", "--progress", "plain", "--cache-from", "\(registry.host)/cache/none:nothing",
                                           "-t", "bad/two", context.path])
            #expect(lied.status == 0 && lied.stderr.contains("ERROR:"), "\(lied)")
            // Flags that cannot be honoured: one line, nothing built.
            for flags in [["--cache-to", "type=gha"], ["--cache-from", "type=local"], ["--cache-to", "type=registry,ref=x,mode=most"],
                          ["--cache-from", "type=inline"]] {
                let refused = try await strata.run(["buildx", "build", "-q"] + flags + [context.path])
                #expect(refused.status != 0 && refused.stderr.lines.count == 1, "\(flags): \(refused)")
            }
        }
        // A registry that refuses the cache (it wants a login): the build fails in one line, the image is stored;
        // with ignore-error=true it is a warning.
        try await RegistryFixture.with(.basic(user: "strata", password: "s3cret")) { registry in
            let context = try Files.tempDirectory("cache-refused")
            defer { try? FileManager.default.removeItem(at: context) }
            try Data("FROM scratch\nCOPY Dockerfile /\n".utf8).write(to: context.appendingPathComponent("Dockerfile"))
            let strata = try StrataRunner()
            let refused = try await strata.run(["buildx", "build", "-q", "--cache-to", "type=registry,ref=\(registry.host)/c/app:cache",
                                                "-t", "refused/app:1", context.path])
            // (-q shows the progress when a build fails, as docker's does; the error is its last line.)
            #expect(refused.status == 1 && refused.stderr.lines.last?.hasPrefix("failed to export cache to") == true, "\(refused)")
            #expect(try await strata.run(["images", "-q", "refused/app:1"]).stdout.count == 13)
            let ignored = try await strata.run(["buildx", "build", "-q", "--cache-to",
                                                "type=registry,ref=\(registry.host)/c/app:cache,ignore-error=true",
                                                "-t", "refused/app:2", context.path])
            #expect(ignored.status == 0, "\(ignored)")
        }
    }

    @Test("docker 20.10's BuildKit: each side imports the other's inline cache; what each reuses is reported")
    func dockerInline() async throws {
        guard DockerPeer.shouldRun else {
            if TestEnvironment.isCI { throw FixtureError("docker peer missing (CI=true)") }
            return
        }
        let docker = try DockerPeer.require()
        try await RegistryFixture.with(.open) { registry in
            let (context, base) = try await Self.prepare(registry)
            defer { try? FileManager.default.removeItem(at: context) }
            // Dependencies first, sources last: the usual shape, and what history matching can follow.
            try Data("""
                FROM \(base)
                RUN echo \(UUID()) >/dev/null && head -c 16 /dev/urandom | od -An -tx1 > /rand
                ENV A=b
                RUN true
                COPY f /f
                RUN cat /f /rand > /both

                """.utf8).write(to: context.appendingPathComponent("Dockerfile"))
            let strataImage = "\(registry.host)/cache/inline:strata"
            let dockerImage = "\(registry.host)/cache/inline:docker"
            let strata = try StrataRunner()
            #expect(try await strata.run(["buildx", "build", "-q", "--cache-to", "type=inline", "--push", "-t", strataImage,
                                          context.path]).status == 0)
            // Strata's own inline cache serves a fresh store completely.
            let fresh = try StrataRunner()
            let own = try await fresh.run(["build", "--progress", "plain", "--cache-from", strataImage, "-t", "x", context.path])
            #expect(own.status == 0 && Self.steps(own.stderr).ran.isEmpty, "\(own)")
            #expect(try await Self.id(fresh, "x") != "" )

            // docker reads Strata's inline cache: accepted, no error. Its keys come from LLB digests Strata does not
            // compute, so it reuses no step (reported, not hidden).
            let theirs = try await docker.run(["build", "--network", "host", "--progress", "plain", "--cache-from", strataImage,
                                               "-t", dockerImage, "--build-arg", "BUILDKIT_INLINE_CACHE=1", context.path],
                                              environment: ["DOCKER_BUILDKIT": "1"])
            #expect(theirs.status == 0, "\(theirs)")
            #expect(theirs.stderr.contains("importing cache manifest from \(strataImage)") && !theirs.stderr.contains("ERROR"),
                    "\(theirs.stderr)")
            #expect(Self.steps(theirs.stderr).cached.filter { !$0.contains(" FROM ") }.isEmpty, "\(theirs.stderr)")
            print("docker reused from Strata's inline cache: \(Self.steps(theirs.stderr).cached)")
            #expect(try await docker.run(["push", dockerImage]).status == 0)
            defer { Task { _ = try? await docker.run(["rmi", "-f", dockerImage]) } }

            // Strata reads docker's inline cache: accepted; what it reuses is reported.
            let other = try StrataRunner()
            let mine = try await other.run(["build", "--progress", "plain", "--cache-from", dockerImage, "-t", "y", context.path])
            #expect(mine.status == 0, "\(mine)")
            #expect(mine.stderr.contains("importing cache manifest from \(dockerImage)"), "\(mine.stderr)")
            // docker's keys do not meet Strata's either, but its history does: the RUN steps before the COPY are the
            // image's own, taken with their layers (as docker's classic builder took --cache-from images).
            let reused = Self.steps(mine.stderr)
            print("Strata reused from docker's inline cache: \(reused.cached); ran \(reused.ran)")
            #expect(reused.cached.contains { $0.contains("head -c 16") } && reused.cached.contains { $0.contains("RUN true") },
                    "\(mine.stderr)")
            let theirRand = try await docker.run(["run", "--rm", "--network", "host", dockerImage, "cat", "/rand"])
            let ourRand = try await other.run(["run", "--rm", "y", "cat", "/rand"])
            #expect(theirRand.stdout == ourRand.stdout && !ourRand.stdout.isEmpty, "docker: \(theirRand)\nstrata: \(ourRand)")
        }
    }
}
