import Foundation

/// What a finished child process left behind.
struct CommandResult: Sendable, CustomStringConvertible {
    var stdout: String
    var stderr: String
    var status: Int32
    /// True when the process was killed because it ran past its timeout.
    var timedOut: Bool

    var description: String {
        "exit \(status)\(timedOut ? " (timed out)" : "")\n--- stdout ---\n\(stdout)--- stderr ---\n\(stderr)"
    }
}

/// Errors from starting child processes.
enum ProcessRunnerError: Error, CustomStringConvertible {
    case cannotStart(String, underlying: String)

    var description: String {
        switch self {
        case let .cannotStart(exe, underlying): "cannot start \(exe): \(underlying)"
        }
    }
}

/// A started child process that can be killed or awaited; used by the crash tests.
final class LaunchedProcess: @unchecked Sendable {
    // Process is not Sendable; every access goes through the lock.
    private let lock = NSLock()
    private let process: Process
    private let stdoutURL: URL
    private let stderrURL: URL
    private let exited: AsyncStream<Int32>
    private var continuation: AsyncStream<Int32>.Continuation?

    fileprivate init(process: Process, stdoutURL: URL, stderrURL: URL) {
        self.process = process
        self.stdoutURL = stdoutURL
        self.stderrURL = stderrURL
        var cont: AsyncStream<Int32>.Continuation!
        exited = AsyncStream(bufferingPolicy: .bufferingNewest(1)) { cont = $0 }
        continuation = cont
        process.terminationHandler = { [cont] finished in
            cont?.yield(finished.terminationStatus)
            cont?.finish()
        }
    }

    fileprivate func start() throws {
        try lock.withLock { try process.run() }
    }

    var pid: Int32 { lock.withLock { process.processIdentifier } }

    /// Sends `signal` (SIGKILL by default) to the process.
    func kill(_ signal: Int32 = SIGKILL) {
        let pid = self.pid
        if pid > 0 { _ = Foundation.kill(pid, signal) }
    }

    /// Waits for exit, killing the process after `timeout`.
    func wait(timeout: Duration) async -> CommandResult {
        let killer = Task { [self] in
            try await Task.sleep(for: timeout)
            self.kill()
            return true
        }
        // Foundation's Process now and then misses a child's exit under load (its termination handler never runs and
        // the child stays a zombie): a child that has been a zombie for seconds is reaped here instead.
        let reaper = Task { [self] in
            var zombieChecks = 0
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(2))
                let pid = self.pid
                guard pid > 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                      let close = stat.lastIndex(of: ")"), stat[stat.index(after: close)...].hasPrefix(" Z") else {
                    zombieChecks = 0
                    continue
                }
                zombieChecks += 1
                guard zombieChecks >= 2 else { continue }
                var raw: Int32 = 0
                if waitpid(pid, &raw, WNOHANG) == pid {
                    let code = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
                    self.lock.withLock {
                        self.continuation?.yield(code)
                        self.continuation?.finish()
                    }
                    return
                }
            }
        }
        var status: Int32 = -1
        for await code in exited { status = code }
        reaper.cancel()
        killer.cancel()
        let timedOut = (try? await killer.value) ?? false
        let out = (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: stdoutURL.deletingLastPathComponent())
        return CommandResult(stdout: out, stderr: err, status: status, timedOut: timedOut)
    }
}

/// Runs child processes with files (not pipes) for stdout/stderr, so large outputs never deadlock.
enum ProcessRunner {
    static func launch(_ executable: String, _ arguments: [String],
                       environment: [String: String]? = nil,
                       stdinFile: String? = nil,
                       currentDirectory: URL? = nil) throws -> LaunchedProcess {
        let fm = FileManager.default
        let scratch = fm.temporaryDirectory.appendingPathComponent("strata-it-io-\(UUID().uuidString)")
        try fm.createDirectory(at: scratch, withIntermediateDirectories: true)
        let outURL = scratch.appendingPathComponent("stdout")
        let errURL = scratch.appendingPathComponent("stderr")
        _ = fm.createFile(atPath: outURL.path, contents: nil)
        _ = fm.createFile(atPath: errURL.path, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        if let stdinFile {
            guard let handle = FileHandle(forReadingAtPath: stdinFile) else {
                throw ProcessRunnerError.cannotStart(executable, underlying: "cannot open stdin file \(stdinFile)")
            }
            process.standardInput = handle
        } else {
            process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        }
        let launched = LaunchedProcess(process: process, stdoutURL: outURL, stderrURL: errURL)
        do {
            try launched.start()
        } catch {
            try? fm.removeItem(at: scratch)
            throw ProcessRunnerError.cannotStart(executable, underlying: "\(error)")
        }
        return launched
    }

    static func run(_ executable: String, _ arguments: [String],
                    environment: [String: String]? = nil,
                    stdinFile: String? = nil,
                    currentDirectory: URL? = nil,
                    timeout: Duration = .seconds(120)) async throws -> CommandResult {
        let launched = try launch(executable, arguments, environment: environment,
                                  stdinFile: stdinFile, currentDirectory: currentDirectory)
        return await launched.wait(timeout: timeout)
    }

    /// Blocking variant for places that cannot be async (test traits are evaluated synchronously).
    /// Uses no Swift concurrency, so it cannot starve the cooperative pool.
    static func runBlocking(_ executable: String, _ arguments: [String],
                            environment: [String: String]? = nil) -> CommandResult? {
        let fm = FileManager.default
        let scratch = fm.temporaryDirectory.appendingPathComponent("strata-it-io-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: scratch) }
        guard (try? fm.createDirectory(at: scratch, withIntermediateDirectories: true)) != nil else { return nil }
        let outURL = scratch.appendingPathComponent("stdout")
        let errURL = scratch.appendingPathComponent("stderr")
        _ = fm.createFile(atPath: outURL.path, contents: nil)
        _ = fm.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        guard let out = try? FileHandle(forWritingTo: outURL), let err = try? FileHandle(forWritingTo: errURL) else { return nil }
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch { return nil }
        process.waitUntilExit()
        return CommandResult(stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                             stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "",
                             status: process.terminationStatus, timedOut: false)
    }
}
