import Foundation
import Testing

/// Pull and push through Fixtures/fault-proxy.py: transient faults (a dropped download, 500s, a 429) are
/// recovered from with the right image; a corrupted blob fails with one clear line and leaves the store clean.
@Suite("registry faults", .enabled(if: RegistryFixture.shouldRun, "needs docker-registry, python3 (see RegistryFixture)"))
struct RegistryFaultTests {
    struct Fault: Sendable, CustomStringConvertible {
        var name: String
        var modes: [String]
        /// The fault the proxy must have logged (proof the fault really happened).
        var logged: String
        var description: String { name }
    }

    static let transient: [Fault] = [
        Fault(name: "connection dropped mid-blob once", modes: ["drop-blob-after=100000"], logged: "drop"),
        Fault(name: "500 twice on blobs", modes: ["fail=2:/blobs/sha256:"], logged: "fail"),
        Fault(name: "500 twice on the manifest", modes: ["fail=2:/manifests/"], logged: "fail"),
        Fault(name: "429 with Retry-After once", modes: ["throttle-once:/blobs/"], logged: "throttle"),
    ]

    /// Pushes busybox straight to a fresh registry, then runs `body` with a proxy in front of it.
    static func withPushedImage(modes: [String] = [],
                                _ body: (RegistryWorkspace, FaultProxyFixture, _ path: String, _ id: String) async throws -> Void) async throws {
        let w = try RegistryWorkspace()
        defer { w.remove() }
        try await RegistryFixture.with(.open) { registry in
            let path = "fault/busybox:v1"
            let id = try await w.importBusybox("\(registry.host)/\(path)")
            let push = try await w.strata.run(["push", "\(registry.host)/\(path)"])
            guard push.status == 0 else { throw FixtureError("direct push failed: \(push)") }
            try await FaultProxyFixture.with(in: registry, modes: modes) { proxy in
                try await body(w, proxy, path, id)
            }
        }
    }

    @Test("transient faults while pulling are recovered from", arguments: transient)
    func pullRecovers(fault: Fault) async throws {
        try await Self.withPushedImage(modes: fault.modes) { _, proxy, path, id in
            let store = try RegistryWorkspace()
            defer { store.remove() }
            let reference = "\(proxy.host)/\(path)"
            let pull = try await store.strata.run(["pull", reference])
            #expect(pull.status == 0, "\(pull)")
            #expect(try await store.idAndDigests(reference).hasPrefix(id + " "))
            let log = proxy.requests()
            #expect(log.contains { $0.fault == fault.logged }, "the proxy never applied \(fault.modes): \(log.map(\.path))")
            if fault.logged == "drop" {
                let blobGets = log.filter { $0.method == "GET" && $0.path.contains("/blobs/") }
                #expect(blobGets.count >= 3, "config, the cut download and its resumption: \(blobGets.map(\.path))")
            }
            try await store.expectCheckIsGreen()
        }
    }

    @Test("a corrupted blob: one clear error line, non-zero exit, nothing stored, check green")
    func corruptedBlob() async throws {
        try await Self.withPushedImage(modes: ["corrupt-blob=5000"]) { _, proxy, path, _ in
            let store = try RegistryWorkspace()
            defer { store.remove() }
            let pull = try await store.strata.run(["pull", "\(proxy.host)/\(path)"])
            #expect(pull.status != 0, "\(pull)")
            #expect(pull.stderr.lines.count == 1, "one line: \(pull.stderr)")
            #expect(pull.stderr.lowercased().contains("digest") || pull.stderr.lowercased().contains("checksum"), "\(pull.stderr)")
            #expect(try await store.strata.run(["images", "-a", "-q"]).stdout.isEmpty)
            #expect(store.strata.ingestLeftovers().isEmpty, "\(store.strata.ingestLeftovers())")
            try await store.expectCheckIsGreen()
        }
    }

    @Test("a trickled manifest and a blob that stalls after every resume end with an error that names the stall")
    func stallsEnd() async throws {
        try await Self.withPushedImage { w, proxy, path, _ in
            // A 2 s request timeout and 3 attempts: the non-refillable budget then allows 8 retries in all.
            let settings = try w.file("settings.json", #"{"registry-timeout-seconds": 2, "registry-attempts": 3}"#)
            for (modes, what) in [(["trickle=0.5:/manifests/"], "trickled manifest"), (["stall-blob-after=1000"], "stalled blob")] {
                try proxy.setModes(modes)
                let store = try RegistryWorkspace()
                defer { store.remove() }
                let started = ContinuousClock.now
                let pull = try await store.strata.run(["pull", "\(proxy.host)/\(path)"], environment: ["STRATA_CONFIG": settings],
                                                      timeout: .seconds(240))
                let took = ContinuousClock.now - started
                #expect(!pull.timedOut && pull.status == 1, "\(what): \(pull)")
                #expect(pull.stderr.contains("stalled") && pull.stderr.lines.count == 1, "\(what): \(pull.stderr)")
                #expect(took < .seconds(120), "\(what) took \(took)")
                #expect(try await store.strata.run(["images", "-a", "-q"]).stdout.isEmpty)
                try await store.expectCheckIsGreen()
            }
        }
    }

    @Test("an image whose layer is not the diffID its config names is pulled pending, then refused by push")
    func lyingLayerIsNotPushed() async throws {
        let w = try RegistryWorkspace()
        defer { w.remove() }
        try await RegistryFixture.with(.open) { registry in
            // An independent writer puts a gzip layer and a config whose diff_ids name other bytes.
            let script = """
                import gzip, hashlib, io, json, sys, tarfile, urllib.request
                host = sys.argv[1]
                def put(data):
                    digest = "sha256:" + hashlib.sha256(data).hexdigest()
                    r = urllib.request.urlopen(urllib.request.Request(f"http://{host}/v2/lie/app/blobs/uploads/", method="POST"))
                    loc = r.headers["Location"]
                    loc = loc if loc.startswith("http") else f"http://{host}{loc}"
                    sep = "&" if "?" in loc else "?"
                    urllib.request.urlopen(urllib.request.Request(loc + sep + "digest=" + digest, data=data, method="PUT",
                                                                  headers={"Content-Type": "application/octet-stream"}))
                    return digest, len(data)
                buf = io.BytesIO()
                with tarfile.open(fileobj=buf, mode="w") as t:
                    info = tarfile.TarInfo("hello.txt"); payload = b"the real bytes\\n"; info.size = len(payload)
                    t.addfile(info, io.BytesIO(payload))
                layer = gzip.compress(buf.getvalue())
                ld, ls = put(layer)
                config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                                     "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "ab" * 32]}}).encode()
                cd, cs = put(config)
                manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": cd, "size": cs},
                    "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "digest": ld, "size": ls}]}).encode()
                urllib.request.urlopen(urllib.request.Request(f"http://{host}/v2/lie/app/manifests/1", data=manifest, method="PUT",
                    headers={"Content-Type": "application/vnd.docker.distribution.manifest.v2+json"}))
                """
            let made = try await ProcessRunner.run("/usr/bin/python3", ["-c", script, registry.host])
            try #require(made.status == 0, "\(made)")
            let pulled = try await w.strata.run(["pull", "\(registry.host)/lie/app:1"])
            #expect(pulled.status == 0, "the blob digests are right; the diffID is proven on first use: \(pulled)")
            #expect(try await w.strata.run(["tag", "\(registry.host)/lie/app:1", "\(registry.host)/lie/copy:1"]).status == 0)
            let pushed = try await w.strata.run(["push", "\(registry.host)/lie/copy:1"])
            #expect(pushed.status == 1 && pushed.stderr.lines.count == 1, "\(pushed)")
            #expect(try await Skopeo.run(["inspect", "--raw", "--tls-verify=false", "docker://\(registry.host)/lie/copy:1"]).status != 0,
                    "nothing was pushed")
        }
    }

    @Test("push through 500s on uploads recovers (or fails cleanly), and what arrived is intact")
    func pushThroughFailures() async throws {
        try await Self.withPushedImage { w, proxy, _, _ in
            let reference = "\(proxy.host)/fault/pushed:v1"
            let id = try await w.importBusybox(reference, changes: ["ENV PUSHED=1"])
            try proxy.setModes(["fail=2:/blobs/uploads/"])
            let push = try await w.strata.run(["push", reference])
            #expect(proxy.requests().contains { $0.fault == "fail" })
            if push.status == 0 {
                try proxy.setModes([])
                let store = try RegistryWorkspace()
                defer { store.remove() }
                let pull = try await store.strata.run(["pull", reference])
                let pulled = try await store.idAndDigests(reference)
                #expect(pull.status == 0 && pulled.hasPrefix(id), "\(pull)")
            } else {
                #expect(push.stderr.lines.count == 1, "one clear line: \(push)")
            }
            try await w.expectCheckIsGreen()

            // Failing for good: a clean error, no retry storm, the store untouched.
            try proxy.setModes(["fail=1000:/blobs/uploads/"])
            try await w.strata.run(["tag", reference, "\(proxy.host)/fault/hopeless:v1"])
            let start = ContinuousClock.now
            let failed = try await w.strata.run(["push", "\(proxy.host)/fault/hopeless:v1"])
            #expect(failed.status == 1, "\(failed)")
            #expect(failed.stderr.lines.count == 1, "one clear line: \(failed.stderr)")
            #expect(ContinuousClock.now - start < .seconds(30))
            try await w.expectCheckIsGreen()
        }
    }
}
