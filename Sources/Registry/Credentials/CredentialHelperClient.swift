import Foundation
import Synchronization

/// Runs a docker credential helper (`docker-credential-<name>`, found on a search path) with the
/// docker-credential-helpers protocol: `get` (stdin: server URL; stdout: `{"ServerURL","Username","Secret"}`),
/// `store` (stdin: that JSON) and `erase` (stdin: server URL). A username of `<token>` means the secret is an
/// identity token. Errors are one line and never contain the secret.
public struct CredentialHelperClient: Sendable {
    /// The helper's suffix: `desktop` runs `docker-credential-desktop`.
    public let name: String
    /// A PATH-style list of directories searched for the executable; nil means the environment's PATH.
    public let searchPath: String?
    /// The helper's environment; nil inherits this process's.
    public let environment: [String: String]?

    /// What helpers answer when they hold nothing for a server.
    public static let notFoundMessage = "credentials not found in native keychain"
    /// The username helpers use for identity tokens.
    public static let tokenUsername = "<token>"

    public init(name: String, searchPath: String? = nil, environment: [String: String]? = nil) {
        self.name = name
        self.searchPath = searchPath
        self.environment = environment
    }

    /// The executable's file name.
    public var executableName: String { "docker-credential-" + name }

    /// The login the helper holds for `serverURL`, or nil when it has none.
    public func get(serverURL: String) throws -> RegistryCredentials? {
        let result = try run("get", input: Data(serverURL.utf8), secret: nil)
        guard result.status == 0 else {
            if Self.isNotFound(result.output) { return nil }
            throw CredentialHelperError(operation: .get, helper: executableName,
                                        detail: "exit status \(result.status)", output: result.output, secret: nil)
        }
        struct Answer: Decodable {
            var ServerURL: String?
            var Username: String?
            var Secret: String?
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: result.output) else {
            // The output may hold the secret; do not echo it.
            throw CredentialHelperError(operation: .get, helper: executableName,
                                        detail: "invalid JSON on stdout", output: nil, secret: nil)
        }
        let username = answer.Username ?? ""
        let secret = answer.Secret ?? ""
        if username == Self.tokenUsername {
            return RegistryCredentials(username: "", secret: "", identityToken: secret)
        }
        if username.isEmpty, secret.isEmpty { return nil }
        return RegistryCredentials(username: username, secret: secret)
    }

    /// Saves a login for `serverURL`; an identity token is stored as username `<token>`, like docker.
    public func store(_ credentials: RegistryCredentials, serverURL: String) throws {
        let token = credentials.identityToken.flatMap { $0.isEmpty ? nil : $0 }
        let payload: [String: String] = [
            "ServerURL": serverURL,
            "Username": token == nil ? credentials.username : Self.tokenUsername,
            "Secret": token ?? credentials.secret,
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let input = try encoder.encode(payload)
        let secret = token ?? credentials.secret
        let result = try run("store", input: input, secret: secret)
        guard result.status == 0 else {
            throw CredentialHelperError(operation: .store, helper: executableName,
                                        detail: "exit status \(result.status)", output: result.output, secret: secret)
        }
    }

    /// Removes the login for `serverURL`; a helper that has none is not an error.
    public func erase(serverURL: String) throws {
        let result = try run("erase", input: Data(serverURL.utf8), secret: nil)
        guard result.status == 0 || Self.isNotFound(result.output) else {
            throw CredentialHelperError(operation: .erase, helper: executableName,
                                        detail: "exit status \(result.status)", output: result.output, secret: nil)
        }
    }

    /// The executable's path, or nil when it is not on the search path.
    public func executablePath() -> String? {
        guard !name.isEmpty, !name.contains("/") else { return nil }
        let path = searchPath ?? environment?["PATH"] ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + executableName
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDir), !isDir.boolValue,
               FileManager.default.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        return nil
    }

    static func isNotFound(_ output: Data) -> Bool {
        String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == notFoundMessage
    }

    private struct RunResult {
        var status: Int32
        var output: Data
    }

    /// Runs `<helper> <action>` with `input` on stdin; stdout is the answer (helpers print errors there too).
    private func run(_ action: String, input: Data, secret: String?) throws -> RunResult {
        let operation = CredentialHelperError.Operation(rawValue: action) ?? .get
        guard let executable = executablePath() else {
            throw CredentialHelperError(operation: operation, helper: executableName,
                                        detail: "exec: \"\(executableName)\": executable file not found in $PATH",
                                        output: nil, secret: nil)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [action]
        if let environment { process.environment = environment }
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        // Inputs are tiny (a URL or a small JSON object), far below a pipe's buffer, so writing them before the
        // child starts cannot block, and cannot raise SIGPIPE because our read end is still open.
        stdin.fileHandleForWriting.write(input)
        do {
            try process.run()
        } catch {
            throw CredentialHelperError(operation: operation, helper: executableName,
                                        detail: "cannot start: \(error.localizedDescription)", output: nil, secret: nil)
        }
        try? stdin.fileHandleForWriting.close()
        let errorDrain = DrainedPipe(stderr)
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        _ = errorDrain.wait()
        process.waitUntilExit()
        return RunResult(status: process.terminationStatus, output: output)
    }
}

/// Reads a pipe to its end on a background thread, so a chatty stderr cannot block the child.
private final class DrainedPipe: Sendable {
    /// Signalled by the reader thread when it is done. A semaphore because `wait()` is called from the
    /// synchronous helper API and must block its thread; a Foundation Thread cannot be joined.
    private let done = DispatchSemaphore(value: 0)
    private let data = Mutex(Data())

    init(_ pipe: Pipe) {
        let handle = pipe.fileHandleForReading
        Thread.detachNewThread { [self] in
            let bytes = handle.readDataToEndOfFile()
            data.withLock { $0 = bytes }
            done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data.withLock { $0 }
    }
}

/// A credential helper failed. The message follows docker's (`error getting credentials - err: …, out: `…``),
/// flattened to one line with the secret, if it shows up in the helper's output, replaced by `<redacted>`.
public struct CredentialHelperError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Operation: String, Sendable {
        case get, store, erase
    }

    public let operation: Operation
    public let helper: String
    public let message: String

    init(operation: Operation, helper: String, detail: String, output: Data?, secret: String?) {
        self.operation = operation
        self.helper = helper
        var out = output.map { String(decoding: $0, as: UTF8.self) } ?? ""
        if let secret, !secret.isEmpty { out = out.replacingOccurrences(of: secret, with: "<redacted>") }
        out = out.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
        if out.count > 300 { out = String(out.prefix(300)) + "…" }
        let verb = switch operation {
        case .get: "getting"
        case .store: "storing"
        case .erase: "erasing"
        }
        message = "error \(verb) credentials - err: \(detail), out: `\(out)`"
    }

    public var description: String { message }
}
