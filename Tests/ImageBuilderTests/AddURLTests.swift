import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import ImageBuilder
import Registry

/// ADD of http URLs against a local python http.server. docker (BuildKit 20.10, same server):
///   ADD http://…/dir/file.txt /u/      → /u/file.txt 600 0:0, mtime = Last-Modified
///   ADD http://…/dir/file.txt /u2      → /u2 600
///   ADD --chown=7:8 http://…/file /u3/ → /u3 755 7:8, /u3/file.txt 600 7:8
///   ADD http://…/dir/ /u4/             → /u4/dir (the listing), mtime 0 (no Last-Modified)
@Suite(.serialized) struct AddURLTests {
    /// A directory for a server to serve, holding `dir/file.txt` with the text `file` and the mtime `modified`.
    static func servedDirectory(in scratch: Scratch, file: String, modified: Int) -> String {
        let served = scratch.sub("srv")
        write(served + "/dir/file.txt", file)
        var times = [timespec(tv_sec: modified, tv_nsec: 0), timespec(tv_sec: modified, tv_nsec: 0)]
        _ = utimensat(AT_FDCWD, served + "/dir/file.txt", &times, 0)
        return served
    }

    @Test func fetchesLikeBuildKit() async throws {
        guard geteuid() == 0 else { return }
        let scratch = Scratch()
        let served = Self.servedDirectory(in: scratch, file: "payload\n", modified: 1_577_934_245)
        let port = 18_000 + Int(getpid() % 1000)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        server.arguments = ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", served]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        try await Task.sleep(for: .milliseconds(700))

        let root = scratch.sub("root")
        makeBusyboxLikeRoot(root)
        let empty = SourceTree(rootDirectory: scratch.sub("ctx"), resetsOwnership: true)
        let base = "http://127.0.0.1:\(port)"
        func add(_ url: String, _ dest: String, chown: String? = nil, checksum: String? = nil) async throws {
            try await FileCopier.copy(CopyRequest(sources: [url], destination: dest, chown: chown, isAdd: true, checksum: checksum),
                                      from: empty, into: root)
        }
        try await add(base + "/dir/file.txt", "/u/")
        #expect(listing(root: root, path: "/u/file.txt") == "/u/file.txt|f|600|0|0|8||1")
        var info = stat()
        lstat(root + "/u/file.txt", &info)
        #expect(info.st_mtim.tv_sec == 1_577_934_245)
        try await add(base + "/dir/file.txt", "/u2")
        #expect(listing(root: root, path: "/u2") == "/u2|f|600|0|0|8||1")
        try await add(base + "/dir/file.txt", "/u3/", chown: "7:8")
        #expect(listing(root: root, path: "/u3") == "/u3|d|755|7|8|-||-")
        #expect(listing(root: root, path: "/u3/file.txt") == "/u3/file.txt|f|600|7|8|8||1")
        try await add(base + "/dir/", "/u4/")
        lstat(root + "/u4/dir", &info)
        #expect(info.st_mtim.tv_sec == 0)

        // --checksum (newer Dockerfile syntax; 20.10 rejects the flag): verified against the body.
        let good = "sha256:" + "payload\n".utf8.reduce(into: Crypto_SHA256Hex()) { $0.add($1) }.hex
        try await add(base + "/dir/file.txt", "/ok", checksum: good)
        #expect(readText(root + "/ok") == "payload\n")
        await #expect(throws: CopyError.self) {
            try await add(base + "/dir/file.txt", "/bad", checksum: "sha256:" + String(repeating: "0", count: 64))
        }
        #expect(listing(root: root, path: "/bad") == nil)
    }

    /// The fetcher's HTTP_PROXY is used: `files.strata.test` does not resolve, so the file can only come through
    /// the proxy, which answers the tunnelled request (CONNECT, as AsyncHTTPClient proxies) from its directory.
    @Test func fetchesThroughTheProxySetting() async throws {
        guard geteuid() == 0 else { return }
        let scratch = Scratch()
        let served = Self.servedDirectory(in: scratch, file: "through the proxy\n", modified: 1_600_000_000)
        let log = scratch.path + "/proxy.log"
        let proxy = try TunnellingProxy(directory: served, log: log)
        defer { proxy.stop() }

        let options = RegistryClientOptions(connectTimeout: .seconds(5), maxAttempts: 1,
                                            proxyEnvironment: ["HTTP_PROXY": "http://127.0.0.1:\(proxy.port)"])
        let root = scratch.sub("root")
        makeBusyboxLikeRoot(root)
        try await FileCopier.copy(CopyRequest(sources: ["http://files.strata.test/dir/file.txt"], destination: "/p/", isAdd: true),
                                  from: SourceTree(rootDirectory: scratch.sub("ctx"), resetsOwnership: true), into: root,
                                  fetcher: HTTPFetcher(options: options))
        #expect(readText(root + "/p/file.txt") == "through the proxy\n")
        #expect(listing(root: root, path: "/p/file.txt") == "/p/file.txt|f|600|0|0|18||1")
        var info = stat()
        lstat(root + "/p/file.txt", &info)
        #expect(info.st_mtim.tv_sec == 1_600_000_000)
        #expect(readText(log)?.split(separator: "\n") == ["CONNECT files.strata.test:80", "GET /dir/file.txt"])
    }
}

/// Tests/IntegrationTests/Fixtures/tunnelling-proxy.py (the integration tests start it too): a loopback HTTP proxy
/// that serves the tunnelled requests from `directory` itself and logs each request line to `log`.
final class TunnellingProxy {
    struct StartFailure: Error { let output: String }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("IntegrationTests/Fixtures/tunnelling-proxy.py").path

    let port: Int
    private let process: Process

    init(directory: String, log: String) throws {
        let output = Pipe()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [Self.script, directory, log]
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw StartFailure(output: line)
        }
        self.process = process
        self.port = port
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// Collects bytes and renders their SHA-256 in hex (keeps the test free of a Crypto import).
struct Crypto_SHA256Hex {
    var bytes: [UInt8] = []
    mutating func add(_ byte: UInt8) { bytes.append(byte) }
    var hex: String {
        let output = Pipe(), input = Pipe()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.standardInput = input
        process.standardOutput = output
        try? process.run()
        input.fileHandleForWriting.write(Data(bytes))
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        return String(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(64))
    }
}
