import Foundation

/// Fixtures/fault-proxy.py in front of a `RegistryFixture`: a plain-HTTP proxy on a free loopback port that
/// can drop blob downloads after N bytes, answer 500 or 429, or corrupt a byte (modes: see the script's header).
/// Modes can be changed while it runs with `setModes(_:)`, which also resets the proxy's counters.
final class FaultProxyFixture: @unchecked Sendable {
    /// `127.0.0.1:PORT` of the proxy (always plain HTTP, even in front of a TLS registry).
    let host: String
    var url: String { "http://\(host)" }
    let registry: RegistryFixture

    private let directory: URL
    private let controlFile: URL
    private let logFile: URL
    private let process: LaunchedProcess
    private let lock = NSLock()
    private var running = true

    static let script = RegistryFixture.fixturesDirectory.appendingPathComponent("fault-proxy.py").path

    private init(host: String, registry: RegistryFixture, directory: URL, process: LaunchedProcess) {
        self.host = host
        self.registry = registry
        self.directory = directory
        controlFile = directory.appendingPathComponent("control")
        logFile = directory.appendingPathComponent("requests.jsonl")
        self.process = process
    }

    /// Starts the proxy with `modes` active (e.g. `["fail=2:/manifests/", "drop-blob-after=1000"]`).
    static func start(in front: RegistryFixture, modes: [String] = []) async throws -> FaultProxyFixture {
        let directory = try Files.tempDirectory("fault-proxy")
        let control = directory.appendingPathComponent("control")
        try Data((modes.joined(separator: "\n") + "\n").utf8).write(to: control)
        let portFile = directory.appendingPathComponent("port")
        var args = [script, "--upstream", front.url, "--port-file", portFile.path, "--control", control.path,
                    "--log", directory.appendingPathComponent("requests.jsonl").path]
        if let ca = front.caPath { args += ["--upstream-ca", ca] }
        let process = try ProcessRunner.launch("/usr/bin/python3", args, environment: TestEnvironment.processEnvironment)
        for _ in 0..<100 {
            if let text = try? String(contentsOf: portFile, encoding: .utf8),
               let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return FaultProxyFixture(host: "127.0.0.1:\(port)", registry: front, directory: directory, process: process)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        process.kill()
        let result = await process.wait(timeout: .seconds(5))
        try? FileManager.default.removeItem(at: directory)
        throw FixtureError("fault-proxy.py did not start: \(result)")
    }

    /// Runs `body` with a started proxy and always stops the proxy afterwards.
    static func with<T>(in front: RegistryFixture, modes: [String] = [],
                        _ body: (FaultProxyFixture) async throws -> T) async throws -> T {
        let proxy = try await start(in: front, modes: modes)
        do {
            let value = try await body(proxy)
            await proxy.stop()
            return value
        } catch {
            await proxy.stop()
            throw error
        }
    }

    /// Replaces the active modes (atomically; the proxy re-reads the file on its next request).
    func setModes(_ modes: [String]) throws {
        let temp = directory.appendingPathComponent("control.tmp")
        try Data((modes.joined(separator: "\n") + "\n").utf8).write(to: temp)
        guard rename(temp.path, controlFile.path) == 0 else {
            throw FixtureError("cannot replace \(controlFile.path): errno \(errno)")
        }
    }

    /// One proxied request as the proxy logged it.
    struct Request: Decodable, Sendable {
        var method: String
        var path: String
        var status: Int?
        var bytes: Int?
        /// `fail`, `throttle`, `drop`, `corrupt`, or nil when passed through untouched.
        var fault: String?
    }

    /// Every request so far, oldest first.
    func requests() -> [Request] {
        guard let text = try? String(contentsOf: logFile, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Request.self, from: Data($0.utf8)) }
    }

    /// Stops the proxy (not the registry behind it).
    func stop() async {
        guard lock.withLock({ () -> Bool in defer { running = false }; return running }) else { return }
        let pid = process.pid
        if pid > 1 { _ = kill(-pid, SIGTERM) }
        process.kill(SIGTERM)
        _ = await process.wait(timeout: .seconds(5))
        try? FileManager.default.removeItem(at: directory)
    }

    deinit {
        guard running else { return }
        let pid = process.pid
        if pid > 1 { _ = kill(-pid, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }
}
