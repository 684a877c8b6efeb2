import Archive
import Foundation
import Testing

/// Shared helpers for the Scan tests: temp dirs, external oracles (processes, the Python venv), tar fixtures.
enum ScanTestSupport {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("scan-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Whether an external tool the test compares against is installed. Under `CI=true` a missing tool is
    /// recorded as a failure (CI installs them all: scripts/install-test-tools), so no test silently skips.
    static func toolExists(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let found = ["/usr/bin/", "/bin/", "/usr/local/bin/", "/usr/sbin/"].contains {
            FileManager.default.isExecutableFile(atPath: $0 + name)
        }
        if !found && isCI {
            Issue.record("\(name) is required under CI=true (the test compares against it)", sourceLocation: sourceLocation)
        }
        return found
    }

    /// The Python of the tests' venv (scripts/test-venv, Tests/IntegrationTests/Fixtures/requirements.txt); nil
    /// when it cannot be made here (recorded as a failure under CI).
    static let venvPython: String? = {
        let script = packageRoot.appendingPathComponent("scripts/test-venv").path
        guard let result = try? run(["/bin/bash", script]), result.status == 0 else { return nil }
        let path = String(decoding: result.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }()

    static func requireVenvPython(sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        if venvPython == nil && isCI {
            Issue.record("scripts/test-venv failed: the Python test tools are required under CI=true", sourceLocation: sourceLocation)
        }
        return venvPython
    }

    /// Runs `arguments[0]` (a path, or a name looked up by /usr/bin/env) feeding `input` on stdin; stdout and status.
    @discardableResult
    static func run(_ arguments: [String], input: [UInt8] = [], directory: URL? = nil) throws -> (output: [UInt8], status: Int32) {
        let process = Process()
        if arguments[0].hasPrefix("/") {
            process.executableURL = URL(fileURLWithPath: arguments[0])
            process.arguments = Array(arguments.dropFirst())
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
        }
        if let directory { process.currentDirectoryURL = directory }
        let stdinPipe = Pipe()
        let stdoutPipe = Pipe()
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = FileHandle.standardError
        try process.run()
        let writer = Thread {
            try? stdinPipe.fileHandleForWriting.write(contentsOf: Data(input))
            try? stdinPipe.fileHandleForWriting.close()
        }
        writer.start()
        let output = stdoutPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (Array(output), process.terminationStatus)
    }

    /// One entry of a test layer: a file (with bytes), a directory, a symlink, or a whiteout (`.wh.NAME`).
    enum LayerEntry {
        case file(String, [UInt8], mode: UInt32 = 0o644)
        case directory(String)
        case symlink(String, target: String)
        case hardLink(String, target: String)
    }

    /// An uncompressed layer tar made by Strata's writer.
    static func layerTar(_ entries: [LayerEntry]) throws -> [UInt8] {
        var tar: [UInt8] = []
        let writer = TarWriter(bufferSize: 1 << 16) { tar.append(contentsOf: $0) }
        for entry in entries {
            switch entry {
            case .file(let name, let bytes, let mode):
                try writer.writeEntry(TarEntryHeader(name: name, kind: .regular, mode: mode), data: bytes)
            case .directory(let name):
                try writer.writeEntry(TarEntryHeader(name: name.hasSuffix("/") ? name : name + "/", kind: .directory, mode: 0o755))
            case .symlink(let name, let target):
                try writer.writeEntry(TarEntryHeader(name: name, kind: .symbolicLink, linkName: target))
            case .hardLink(let name, let target):
                try writer.writeEntry(TarEntryHeader(name: name, kind: .hardLink, linkName: target))
            }
        }
        try writer.finish()
        return tar
    }
}
