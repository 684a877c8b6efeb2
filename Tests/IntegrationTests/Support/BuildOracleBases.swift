import Foundation

/// The base images the oracle cases build on, shared by all cases of a test process:
/// local/busybox:latest (always in the peer) and local/debian:bookworm (made on demand with
/// `DEBIAN=1 NO_DOCKER=1 scripts/peers-up`, then imported into the peer exactly as peers-up does).
/// Strata gets them through `docker save` → `strata load`; the saved tars are kept under
/// /tmp/strata-build-oracle, named by image ID, so later runs reuse them.
actor BuildOracleBases {
    static let shared = BuildOracleBases()
    static let busybox = "local/busybox:latest"
    static let debian = "local/debian:bookworm"
    static let cacheDirectory = URL(fileURLWithPath: "/tmp/strata-build-oracle")

    private var debianReady: Task<Void, Error>?
    private var saved: [String: Task<String, Error>] = [:]

    /// Makes local/debian:bookworm exist in the peer (once per process).
    func ensureDebian(_ harness: BuildOracleHarness) async throws {
        if debianReady == nil {
            debianReady = Task { try await Self.makeDebian(harness) }
        }
        try await debianReady!.value
    }

    private static func makeDebian(_ harness: BuildOracleHarness) async throws {
        if try await harness.docker(["image", "inspect", "-f", "{{.Id}}", debian]).status == 0 { return }
        var env = TestEnvironment.processEnvironment
        env["DEBIAN"] = "1"
        env["NO_DOCKER"] = "1"
        let script = TestEnvironment.packageRoot.appendingPathComponent("scripts/peers-up").path
        let up = try await ProcessRunner.run("/bin/bash", [script], environment: env, timeout: .seconds(1200))
        guard up.status == 0,
              let line = up.stdout.split(separator: "\n").first(where: { $0.hasPrefix("DEBIAN_ROOTFS=") }) else {
            throw FixtureError("DEBIAN=1 scripts/peers-up could not make the Debian rootfs: \(up)")
        }
        let rootfs = String(line.dropFirst("DEBIAN_ROOTFS=".count))
        let imported = try await harness.docker(["import", "-c", "CMD [\"bash\"]", rootfs, debian], timeout: .seconds(600))
        guard imported.status == 0 else { throw FixtureError("docker import of \(rootfs) failed: \(imported)") }
    }

    /// A `docker save` tar of `reference`, made once per image ID.
    func savedArchive(_ reference: String, _ harness: BuildOracleHarness) async throws -> String {
        if let task = saved[reference] { return try await task.value }
        let task = Task { () throws -> String in
            let id = try await harness.docker(["image", "inspect", "-f", "{{.Id}}", reference])
            guard id.status == 0 else { throw FixtureError("\(reference) is not in the docker peer: \(id)") }
            let hex = id.stdout.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "sha256:", with: "")
            try FileManager.default.createDirectory(at: Self.cacheDirectory, withIntermediateDirectories: true)
            let path = Self.cacheDirectory.appendingPathComponent("\(hex).tar").path
            if FileManager.default.fileExists(atPath: path) { return path }
            let partial = path + ".\(UUID().uuidString.prefix(8)).partial"
            let r = try await harness.docker(["save", "-o", partial, reference], timeout: .seconds(600))
            guard r.status == 0 else { throw FixtureError("docker save \(reference) failed: \(r)") }
            try FileManager.default.moveItem(atPath: partial, toPath: path)
            return path
        }
        saved[reference] = task
        return try await task.value
    }

    /// Loads busybox (and Debian when asked) into a fresh strata store.
    func load(into strata: StrataRunner, harness: BuildOracleHarness, debian: Bool) async throws {
        var references = [Self.busybox]
        if debian {
            try await ensureDebian(harness)
            references.append(Self.debian)
        }
        for reference in references {
            let archive = try await savedArchive(reference, harness)
            let r = try await strata.run(["load", "-q", "-i", archive], timeout: .seconds(600))
            guard r.status == 0 else { throw FixtureError("strata load of \(reference) failed: \(r)") }
        }
    }
}

/// Bounds how many cases build at once (the machine has two cores and one dockerd):
/// $BUILD_ORACLE_JOBS, default 3.
actor BuildOracleLimiter {
    static let shared = BuildOracleLimiter(width: Int(TestEnvironment.processEnvironment["BUILD_ORACLE_JOBS"] ?? "") ?? 3)

    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(width: Int) { available = max(1, width) }

    func withSlot<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        if available > 0 { available -= 1; return }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty { available += 1 } else { waiters.removeFirst().resume() }
    }
}
