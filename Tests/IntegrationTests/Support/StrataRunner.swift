import Foundation

/// Runs the strata binary against a private, freshly created store root (removed on deinit).
final class StrataRunner: Sendable {
    let root: URL
    let binary: String
    private let environment: [String: String]

    /// `environment` adds to (or overrides) the inherited environment, e.g. a private DOCKER_CONFIG.
    init(binary: String = TestEnvironment.strataBinary, environment extra: [String: String] = [:]) throws {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw FixtureError("strata binary not found at \(binary); run `swift build` or set STRATA_BIN")
        }
        self.binary = binary
        root = try Files.tempDirectory("root")
        var env = TestEnvironment.processEnvironment
        env["STRATA_ROOT"] = root.path   // belt and braces: --root is passed too
        env["TZ"] = "UTC"
        env.merge(extra) { _, new in new }
        environment = env
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// `strata --root <root> args…`
    @discardableResult
    func run(_ args: [String], environment extra: [String: String] = [:], stdinFile: String? = nil,
             timeout: Duration = .seconds(120)) async throws -> CommandResult {
        try await ProcessRunner.run(binary, ["--root", root.path] + args, environment: environment.merging(extra) { _, new in new },
                                    stdinFile: stdinFile, timeout: timeout)
    }

    @discardableResult
    func callAsFunction(_ args: String..., stdinFile: String? = nil) async throws -> CommandResult {
        try await run(args, stdinFile: stdinFile)
    }

    /// Starts strata without waiting (for kill -9 tests).
    func launch(_ args: [String]) throws -> LaunchedProcess {
        try ProcessRunner.launch(binary, ["--root", root.path] + args, environment: environment)
    }

    /// Imports `file` as `reference` and returns the printed image ID, failing loudly otherwise.
    @discardableResult
    func importImage(_ file: String, _ reference: String? = nil, changes: [String] = []) async throws -> String {
        var args = ["import"]
        for change in changes { args += ["-c", change] }
        args.append(file)
        if let reference { args.append(reference) }
        let r = try await run(args)
        let id = r.stdout.trimmingCharacters(in: .newlines)
        guard r.status == 0, id.wholeMatch(of: /sha256:[0-9a-f]{64}/) != nil else {
            throw FixtureError("strata \(args.joined(separator: " ")) failed: \(r)")
        }
        return id
    }

    /// Regular files left in <root>/ingest (temporary ingest files must not survive a command).
    func ingestLeftovers() -> [String] {
        let dir = root.appendingPathComponent("ingest")
        guard let walker = FileManager.default.enumerator(atPath: dir.path) else { return [] }
        return walker.compactMap { $0 as? String }.filter { name in
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path, isDirectory: &isDir)
            return !isDir.boolValue
        }
    }
}
