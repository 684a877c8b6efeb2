#if canImport(Glibc)
import Glibc
#endif
import Archive
import Foundation
import OCI
import Testing

/// The Analyze tests' helpers (a few copied from the Scan tests' support): temp dirs, the Python reference, layer tars.
enum AnalyzeTestSupport {
    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("analyze-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// /usr/bin/python3, the reference's interpreter; nil when missing (a recorded failure under `CI=true`).
    static func python(sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        let path = "/usr/bin/python3"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
        if isCI { Issue.record("\(path) is required under CI=true (the reference computation)", sourceLocation: sourceLocation) }
        return nil
    }

    /// Runs a program; its stdout and exit status (stderr passes through).
    static func run(_ arguments: [String], input: [UInt8] = []) throws -> (output: [UInt8], status: Int32) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
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

    /// One entry of a test layer.
    enum LayerEntry {
        case file(String, [UInt8], mode: UInt32 = 0o644, uid: Int = 0)
        case directory(String, mode: UInt32 = 0o755, uid: Int = 0)
        case symlink(String, target: String)
        case hardLink(String, target: String)
        /// `.wh.NAME` in NAME's directory.
        case whiteout(String)
        /// `.wh..wh..opq` in the directory.
        case opaque(String)
    }

    /// An uncompressed layer tar made by Strata's writer.
    static func layerTar(_ entries: [LayerEntry]) throws -> [UInt8] {
        var tar: [UInt8] = []
        let writer = TarWriter(bufferSize: 1 << 16) { tar.append(contentsOf: $0) }
        for entry in entries {
            switch entry {
            case .file(let name, let bytes, let mode, let uid):
                try writer.writeEntry(TarEntryHeader(name: name, kind: .regular, mode: mode, uid: uid, modificationTime: 1_700_000_000),
                                      data: bytes)
            case .directory(let name, let mode, let uid):
                try writer.writeEntry(TarEntryHeader(name: name.hasSuffix("/") ? name : name + "/", kind: .directory, mode: mode,
                                                     uid: uid, modificationTime: 1_700_000_000))
            case .symlink(let name, let target):
                try writer.writeEntry(TarEntryHeader(name: name, kind: .symbolicLink, mode: 0o777, linkName: target))
            case .hardLink(let name, let target):
                try writer.writeEntry(TarEntryHeader(name: name, kind: .hardLink, linkName: target))
            case .whiteout(let path):
                let slash = path.lastIndex(of: "/")
                let name = slash.map { path[...$0] + ".wh." + path[path.index(after: $0)...] } ?? ".wh." + path
                try writer.writeEntry(TarEntryHeader(name: String(name), kind: .regular, mode: 0))
            case .opaque(let directory):
                try writer.writeEntry(TarEntryHeader(name: directory + "/.wh..wh..opq", kind: .regular, mode: 0))
            }
        }
        try writer.finish()
        return tar
    }

    /// Bytes of a given length whose content depends on `seed` (distinct seeds, distinct contents).
    static func content(_ count: Int, seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &* 7) ^ seed }
    }

    /// A layer written to `directory` as it is (`diffID` defaults to its true digest; `stored` replaces the blob, e.g.
    /// compressed or cut short).
    static func layer(_ tar: [UInt8], in directory: URL, name: String, diffID: Digest? = nil, stored: [UInt8]? = nil,
                      createdBy: String? = nil) throws -> (source: ImageLayerSource, path: String) {
        let url = directory.appendingPathComponent(name)
        try Data(stored ?? tar).write(to: url)
        let path = url.path
        let source = ImageLayerSource(diffID: diffID ?? Digest.sha256(tar), createdBy: createdBy) {
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { throw POSIXError(.ENOENT) }
            return fd
        }
        return (source, path)
    }

    /// The reference's findings for the layer tars at `paths` (and a diff against `against`); nil without Python.
    static func reference(_ paths: [String], against: [String]? = nil,
                          sourceLocation: SourceLocation = #_sourceLocation) throws -> ReferenceResult? {
        guard let python = python(sourceLocation: sourceLocation) else { return nil }
        let script = try temporaryDirectory().appendingPathComponent("analyze_reference.py")
        try AnalyzeReferenceScript.source.write(to: script, atomically: true, encoding: .utf8)
        var arguments = [python, script.path] + paths
        if let against { arguments += ["--against"] + against }
        let result = try run(arguments)
        try #require(result.status == 0, "the reference script failed", sourceLocation: sourceLocation)
        return try JSONDecoder().decode(ReferenceResult.self, from: Data(result.output))
    }
}

/// What the Python reference prints.
struct ReferenceResult: Decodable {
    struct Dive: Decodable {
        struct Path: Decodable { var path: String; var count: Int; var bytes: Int64 }
        var efficiency: Double
        var wastedBytes: Int64
        var sizeBytes: Int64
        var userSizeBytes: Int64
        var userWastedPercent: Double?
        var inefficient: [Path]
        var layerSizes: [Int64]
    }
    struct Change: Decodable, Hashable { var path: String; var kind: String; var size: Int64; var count: Int? }
    struct Layer: Decodable { var added: [Change]; var modified: [Change]; var removed: [Change] }
    struct Duplicate: Decodable { var size: Int64; var paths: [String]; var wasted: Int64 }
    struct Diff: Decodable {
        struct Changed: Decodable { var path: String; var changes: [String] }
        var added: [String]
        var removed: [String]
        var changed: [Changed]
    }
    var dive: Dive
    var layers: [Layer]
    var duplicates: [Duplicate]
    var diff: Diff?
}
