import Foundation

/// Where things live for the integration tests: the package, the binary under test, the rootfs tarballs.
enum TestEnvironment {
    static let processEnvironment = ProcessInfo.processInfo.environment

    /// The package root, found from this file's location (Tests/IntegrationTests/Support/…).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Under CI a missing peer fails the docker-comparison tests instead of skipping them.
    static let isCI: Bool = processEnvironment["CI"] == "true"

    /// The strata binary: $STRATA_BIN, else .build/debug/strata of this package.
    static let strataBinary: String = processEnvironment["STRATA_BIN"]
        ?? packageRoot.appendingPathComponent(".build/debug/strata").path

    /// Output of `scripts/peers-up` (KEY=VALUE lines), run at most once per test process.
    /// With DOCKER_HOST already set only the tarballs are made (NO_DOCKER=1).
    static let peersUp: [String: String] = {
        var env = processEnvironment
        if env["DOCKER_HOST"] != nil { env["NO_DOCKER"] = "1" }
        let script = packageRoot.appendingPathComponent("scripts/peers-up").path
        guard let result = ProcessRunner.runBlocking("/bin/bash", [script], environment: env),
              result.status == 0 else { return [:] }
        var values: [String: String] = [:]
        for line in result.stdout.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            values[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        return values
    }()

    /// The Python of the tests' venv (scripts/test-venv: PyNaCl, cryptography, sigstore-protobuf-specs), made at
    /// most once per test process; nil when it cannot be made.
    static let venvPython: String? = {
        let script = packageRoot.appendingPathComponent("scripts/test-venv").path
        guard let result = ProcessRunner.runBlocking("/bin/bash", [script], environment: processEnvironment),
              result.status == 0 else { return nil }
        let path = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }()

    /// The venv's python, or a failure naming what is missing (tests using it are skipped outside CI when it
    /// cannot be made: see `canMakeVenv`).
    static func requireVenvPython() throws -> String {
        guard let venvPython else { throw FixtureError("scripts/test-venv failed: the Python test tools are required") }
        return venvPython
    }

    /// Whether the venv tests should run: always under CI (where a failure to make it fails them), else when python3
    /// can make a venv here.
    static var canMakeVenv: Bool {
        isCI || ProcessRunner.runBlocking("/usr/bin/python3", ["-c", "import ensurepip"], environment: processEnvironment)?.status == 0
    }

    /// Deterministic busybox rootfs tarball ($BUSYBOX_ROOTFS, else made by scripts/peers-up).
    static var busyboxRootfs: String? {
        if let path = processEnvironment["BUSYBOX_ROOTFS"], FileManager.default.fileExists(atPath: path) { return path }
        return peersUp["BUSYBOX_ROOTFS"].flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
    }
}

/// Errors that make a test impossible to run as written.
struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Small file helpers built on standard tools, so the tests do not depend on the code under test.
enum Files {
    /// Mount points in this namespace below `prefix` (a path ending in "/").
    static func mountPoints(under prefix: String) -> [String] {
        // procfs reports size 0: read to the end rather than by size.
        let table = FileHandle(forReadingAtPath: "/proc/self/mountinfo").map {
            String(decoding: $0.readDataToEndOfFile(), as: UTF8.self)
        } ?? ""
        return table.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            return fields.count > 4 && fields[4].hasPrefix(prefix) ? String(fields[4]) : nil
        }
    }

    static func tempDirectory(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("strata-it-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func busyboxRootfs() throws -> String {
        guard let path = TestEnvironment.busyboxRootfs else {
            throw FixtureError("no busybox rootfs: set BUSYBOX_ROOTFS or make scripts/peers-up work (needs busybox-static)")
        }
        return path
    }

    /// "sha256:<hex>" of a file's bytes (a layer diffID when the file is an uncompressed tar).
    static func sha256(_ path: String) async throws -> String {
        let r = try await ProcessRunner.run("/usr/bin/sha256sum", [path])
        guard r.status == 0, let hex = r.stdout.split(separator: " ").first, hex.count == 64 else {
            throw FixtureError("sha256sum \(path) failed: \(r)")
        }
        return "sha256:\(hex)"
    }

    /// gzip -n copy of `path` into `directory`.
    static func gzipped(_ path: String, into directory: URL) async throws -> String {
        let out = directory.appendingPathComponent(URL(fileURLWithPath: path).lastPathComponent + ".gz").path
        let r = try await ProcessRunner.run("/bin/sh", ["-c", "gzip -n -c \"$1\" > \"$2\"", "sh", path, out])
        guard r.status == 0 else { throw FixtureError("gzip failed: \(r)") }
        return out
    }

    /// The first `bytes` bytes of `path`: a tar cut off in the middle of a member.
    static func truncated(_ path: String, to bytes: Int, into directory: URL) throws -> String {
        let out = directory.appendingPathComponent("truncated.tar").path
        guard let handle = FileHandle(forReadingAtPath: path) else { throw FixtureError("cannot read \(path)") }
        defer { try? handle.close() }
        let data = try handle.read(upToCount: bytes) ?? Data()
        guard FileManager.default.createFile(atPath: out, contents: data) else { throw FixtureError("cannot write \(out)") }
        return out
    }

    /// A rootfs tar of roughly `megabytes` MB (busybox plus random data), big enough that a kill -9
    /// lands in the middle of an import.
    static func largeRootfs(megabytes: Int, into directory: URL) async throws -> String {
        let base = try busyboxRootfs()
        let tree = directory.appendingPathComponent("large-tree")
        let out = directory.appendingPathComponent("large.tar").path
        let script = """
            set -e; mkdir -p "$1/data"; tar -C "$1" -xf "$2"
            head -c "$(($3 * 1048576))" /dev/urandom > "$1/data/blob"
            tar --numeric-owner -C "$1" -cf "$4" .; rm -rf "$1"
            """
        let r = try await ProcessRunner.run("/bin/sh", ["-c", script, "sh", tree.path, base, "\(megabytes)", out])
        guard r.status == 0 else { throw FixtureError("building large rootfs failed: \(r)") }
        return out
    }
}
