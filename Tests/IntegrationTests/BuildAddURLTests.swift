import Foundation
import Testing

/// `ADD <url>` in `strata build` downloads with the registry client's HTTP settings, here `HTTP_PROXY`. The URL's
/// host does not resolve, so the file can only come from Fixtures/tunnelling-proxy.py, the proxy and origin both.
@Suite("build: ADD <url>")
struct BuildAddURLTests {
    static let script = RegistryFixture.fixturesDirectory.appendingPathComponent("tunnelling-proxy.py").path

    @Test("ADD <url> goes through HTTP_PROXY")
    func addGoesThroughTheProxy() async throws {
        let work = try Files.tempDirectory("add-url")
        defer { try? FileManager.default.removeItem(at: work) }
        let served = work.appendingPathComponent("served"), context = work.appendingPathComponent("context")
        for directory in [served, context] { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) }
        try Data("from the proxy\n".utf8).write(to: served.appendingPathComponent("payload.txt"))
        try Data("FROM scratch\nADD http://files.strata.test/payload.txt /payload.txt\n".utf8)
            .write(to: context.appendingPathComponent("Dockerfile"))
        let log = work.appendingPathComponent("requests.log").path

        let pipe = Pipe()
        let proxy = Process()
        proxy.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        proxy.arguments = [Self.script, served.path, log]
        proxy.standardOutput = pipe
        try proxy.run()
        defer { kill(proxy.processIdentifier, SIGKILL); proxy.waitUntilExit() }
        let port = try #require(Int(String(decoding: pipe.fileHandleForReading.availableData, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)))

        let strata = try StrataRunner(environment: ["HTTP_PROXY": "http://127.0.0.1:\(port)", "NO_PROXY": ""])
        let exported = work.appendingPathComponent("rootfs").path
        let r = try await strata.run(["build", "--progress", "plain", "-o", "type=local,dest=\(exported)", context.path])
        #expect(r.status == 0, "\(r)")
        #expect(try String(contentsOfFile: exported + "/payload.txt", encoding: .utf8) == "from the proxy\n")
        #expect(try String(contentsOfFile: log, encoding: .utf8) == "CONNECT files.strata.test:80\nGET /payload.txt\n")
    }
}
