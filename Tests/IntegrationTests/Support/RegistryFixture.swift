import Foundation

/// A throw-away distribution 2.8 registry on 127.0.0.1 (a free port, a temporary storage directory), with
/// no auth, htpasswd basic auth, or token auth backed by Fixtures/token-server.py; optionally TLS with a
/// fresh CA. Started and stopped by Fixtures/registry-fixture, which can also be run by hand.
///
/// Suites use `.enabled(if: RegistryFixture.shouldRun)` and `try RegistryFixture.requireTools()`: missing
/// tools skip locally and fail under CI=true. `stop()` ends the registry and its token service; deinit
/// kills them too if a test forgot (or failed before) stopping.
final class RegistryFixture: @unchecked Sendable {
    /// How clients must authenticate.
    enum Auth: Sendable, Equatable, CustomStringConvertible {
        case open
        case basic(user: String, password: String)
        /// Token auth; anonymous clients get pull access unless `anonymousPull` is false.
        case token(user: String, password: String, anonymousPull: Bool = true)

        var description: String {
            switch self {
            case .open: "open"
            case .basic: "basic"
            case let .token(_, _, anonymousPull): anonymousPull ? "token" : "token (no anonymous pull)"
            }
        }

        /// The user and password that work, if the registry needs any.
        var login: (user: String, password: String)? {
            switch self {
            case .open: nil
            case let .basic(user, password), let .token(user, password, _): (user, password)
            }
        }
    }

    let auth: Auth
    /// Everything the fixture made: config.yml, storage/, logs, tls/, token/.
    let directory: URL
    /// `127.0.0.1:PORT`, what image references use.
    let host: String
    /// `http://host` or `https://host`.
    let url: String
    /// The CA certificate that signed the server certificate (TLS only).
    let caPath: String?
    /// The token service's realm URL (token auth only).
    let tokenRealm: String?
    /// JSON lines, one per token request (token auth only).
    let tokenLog: String?

    private let processGroups: [Int32]
    private let lock = NSLock()
    private var running = true

    static let fixturesDirectory = TestEnvironment.packageRoot.appendingPathComponent("Tests/IntegrationTests/Fixtures")
    static let script = fixturesDirectory.appendingPathComponent("registry-fixture").path

    private init(auth: Auth, directory: URL, values: [String: String]) throws {
        guard let host = values["REGISTRY_HOST"], let url = values["REGISTRY_URL"] else {
            throw FixtureError("registry-fixture printed no REGISTRY_HOST/REGISTRY_URL")
        }
        self.auth = auth
        self.directory = directory
        self.host = host
        self.url = url
        caPath = values["REGISTRY_CA"]
        tokenRealm = values["TOKEN_REALM"]
        tokenLog = values["TOKEN_LOG"]
        processGroups = (values["FIXTURE_PGIDS"] ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            .split(separator: " ").compactMap { Int32($0) }
    }

    /// Starts a registry and waits until `/v2/` answers.
    static func start(_ auth: Auth = .open, tls: Bool = false, tokenExpiresIn: Int? = nil) async throws -> RegistryFixture {
        let directory = try Files.tempDirectory("registry")
        var args = [script, "start", directory.appendingPathComponent("fixture").path]
        switch auth {
        case .open: args += ["--auth", "open"]
        case let .basic(user, password): args += ["--auth", "basic", "--user", user, "--password", password]
        case let .token(user, password, anonymousPull):
            args += ["--auth", "token", "--user", user, "--password", password,
                     "--anonymous", anonymousPull ? "pull" : "none"]
        }
        if tls { args.append("--tls") }
        if let tokenExpiresIn { args += ["--token-expires", "\(tokenExpiresIn)"] }
        let result = try await ProcessRunner.run("/bin/bash", args, environment: TestEnvironment.processEnvironment,
                                                 timeout: .seconds(60))
        guard result.status == 0 else {
            try? FileManager.default.removeItem(at: directory)
            throw FixtureError("registry-fixture start (\(auth)) failed: \(result)")
        }
        return try RegistryFixture(auth: auth, directory: directory.appendingPathComponent("fixture"),
                                   values: Self.keyValues(result.stdout))
    }

    /// Runs `body` with a started registry and always stops it afterwards (even when `body` throws), so no
    /// daemon outlives the test process.
    static func with<T>(_ auth: Auth = .open, tls: Bool = false, tokenExpiresIn: Int? = nil,
                        _ body: (RegistryFixture) async throws -> T) async throws -> T {
        let registry = try await start(auth, tls: tls, tokenExpiresIn: tokenExpiresIn)
        do {
            let value = try await body(registry)
            await registry.stop()
            return value
        } catch {
            await registry.stop()
            throw error
        }
    }

    /// Stops the registry (and token service) and removes its files.
    func stop() async {
        guard lock.withLock({ () -> Bool in defer { running = false }; return running }) else { return }
        _ = try? await ProcessRunner.run("/bin/bash", [Self.script, "stop", directory.path], timeout: .seconds(20))
        try? FileManager.default.removeItem(at: directory.deletingLastPathComponent())
    }

    deinit {
        guard running else { return }
        for group in processGroups where group > 1 { _ = kill(-group, SIGKILL) }
        try? FileManager.default.removeItem(at: directory.deletingLastPathComponent())
    }

    /// Writes `root/<host>/ca.crt`, the certs.d layout docker and containers tools read; returns the
    /// per-host directory. TLS fixtures only.
    @discardableResult
    func writeCertsDirectory(root: URL) throws -> URL {
        guard let caPath else { throw FixtureError("writeCertsDirectory needs a TLS fixture") }
        let hostDir = root.appendingPathComponent(host)
        try FileManager.default.createDirectory(at: hostDir, withIntermediateDirectories: true)
        let target = hostDir.appendingPathComponent("ca.crt")
        try? FileManager.default.removeItem(at: target)
        try FileManager.default.copyItem(at: URL(fileURLWithPath: caPath), to: target)
        return hostDir
    }

    /// The registry's own log (for failure messages).
    func registryLog() -> String {
        (try? String(contentsOf: directory.appendingPathComponent("registry.log"), encoding: .utf8)) ?? ""
    }

    static func keyValues(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            values[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        return values
    }

    // MARK: - Tools

    /// Executables the fixtures (and their smoke tests) need, with the Debian package that has each.
    static let requiredTools: [(path: String, package: String)] = [
        ("/usr/bin/docker-registry", "docker-registry"), ("/usr/bin/htpasswd", "apache2-utils"),
        ("/usr/bin/openssl", "openssl"), ("/usr/bin/curl", "curl"), ("/usr/bin/python3", "python3"),
        ("/usr/bin/setsid", "util-linux"), ("/usr/bin/skopeo", "skopeo"), ("/usr/bin/umoci", "umoci"),
    ]

    /// Why the fixtures cannot run here, or nil when they can.
    static let missingTools: String? = {
        let missing = requiredTools.filter { !FileManager.default.isExecutableFile(atPath: $0.path) }
        if !missing.isEmpty {
            return "missing " + missing.map { "\($0.path) (Debian \($0.package))" }.joined(separator: ", ")
        }
        let check = ProcessRunner.runBlocking("/usr/bin/python3", ["-c", "import cryptography"])
        if check?.status != 0 { return "python3 cannot import cryptography (Debian python3-cryptography)" }
        return nil
    }()

    /// Whether registry-fixture tests run at all (always under CI, where missing tools then fail them).
    static var shouldRun: Bool { TestEnvironment.isCI || missingTools == nil }

    /// Throws (failing the test) when tools are missing; reached only when `shouldRun`.
    static func requireTools() throws {
        if let missingTools {
            throw FixtureError("registry fixtures unavailable\(TestEnvironment.isCI ? " (CI=true: required; scripts/peers-up installs them)" : ""): \(missingTools)")
        }
    }
}
