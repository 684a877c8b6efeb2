import Crypto
import Foundation
import Testing

@testable import Archive

/// Shared helpers for the Archive tests: temp dirs, processes, digests, tar fixtures.
enum TestSupport {
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("archive-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        "sha256:" + SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// Whether an external tool the test compares against is installed. A test that returns early without it asserts
    /// nothing, so under `CI=true` a missing tool is recorded as a failure instead (CI installs them all).
    static func toolExists(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let found = ["/usr/bin/", "/bin/", "/usr/local/bin/"].contains { FileManager.default.isExecutableFile(atPath: $0 + name) }
        if !found && ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record("\(name) is required under CI=true (the test compares against it)", sourceLocation: sourceLocation)
        }
        return found
    }

    /// Runs a tool, feeding `input` on stdin; returns stdout and the exit status.
    @discardableResult
    static func run(_ arguments: [String], input: [UInt8] = [], directory: URL? = nil) throws -> (output: [UInt8], status: Int32) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let stdinPipe = Pipe()
        let stdoutPipe = Pipe()
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = FileHandle.nullDevice
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

    /// A small tar made by our writer: a directory, files of assorted sizes, a symlink, a hard link.
    static func sampleTar(fileSizes: [Int] = [0, 1, 511, 512, 513, 5000, 70_000]) throws -> [UInt8] {
        var tar: [UInt8] = []
        let writer = TarWriter(bufferSize: 4096) { tar.append(contentsOf: $0) }
        try writer.writeEntry(TarEntryHeader(name: "dir/", kind: .directory, mode: 0o755, modificationTime: 1_700_000_000))
        for (index, size) in fileSizes.enumerated() {
            let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
            try writer.writeEntry(TarEntryHeader(name: "dir/file\(index)", kind: .regular, mode: 0o644), data: data)
        }
        try writer.writeEntry(TarEntryHeader(name: "dir/link", kind: .symbolicLink, linkName: "file1"))
        try writer.writeEntry(TarEntryHeader(name: "dir/hard", kind: .hardLink, linkName: "dir/file2"))
        try writer.finish()
        return tar
    }

    static func writeFile(_ bytes: [UInt8], to url: URL) throws {
        try Data(bytes).write(to: url)
    }

    static func ingest(
        _ bytes: [UInt8], options: LayerIngest.Options = .init()
    ) throws -> (result: LayerIngest.Result, blob: [UInt8]) {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let inputURL = directory.appendingPathComponent("in")
        let outputURL = directory.appendingPathComponent("out")
        try writeFile(bytes, to: inputURL)
        let input = open(inputURL.path, O_RDONLY)
        let output = open(outputURL.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer {
            close(input)
            close(output)
        }
        let result = try LayerIngest.ingest(from: input, to: output, options: options)
        return (result, Array(try Data(contentsOf: outputURL)))
    }
}
