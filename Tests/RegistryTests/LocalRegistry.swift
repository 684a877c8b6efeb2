import Foundation
import Testing

/// A throwaway distribution 2.8 registry on a free loopback port, storage in a temp dir (deletes enabled).
/// Private to RegistryTests; the integration fixtures live elsewhere.
final class LocalRegistry: @unchecked Sendable {
    static let executable = "/usr/bin/docker-registry"
    let port: Int
    let root: URL
    private let process: Process

    var host: String { "127.0.0.1:\(port)" }

    /// nil (test skipped) when the registry binary is missing, unless CI=true.
    static func startIfAvailable() throws -> LocalRegistry? {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                Issue.record("\(executable) is missing but CI=true")
            }
            return nil
        }
        return try LocalRegistry()
    }

    private init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("strata-registry-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        port = try freePort()
        let config = """
        version: 0.1
        log:
          level: error
        storage:
          filesystem:
            rootdirectory: \(root.appendingPathComponent("data").path)
          delete:
            enabled: true
        http:
          addr: 127.0.0.1:\(port)
        """
        let configURL = root.appendingPathComponent("config.yml")
        try config.write(to: configURL, atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: LocalRegistry.executable)
        process.arguments = ["serve", configURL.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: {
            let url = root.appendingPathComponent("registry.log")
            FileManager.default.createFile(atPath: url.path, contents: nil)
            return url
        }())
        try process.run()
        try waitForPort(port)
    }

    func stop() {
        // SIGKILL: a child started through Foundation's Process may not act on SIGTERM.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: root)
    }
}

/// A port the kernel just handed out (closed again; a tiny race is acceptable in tests).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Polls until something accepts TCP connections on 127.0.0.1:`port` (10 s at most).
func waitForPort(_ port: Int) throws {
    for _ in 0..<200 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        close(fd)
        if connected == 0 { return }
        usleep(50_000)
    }
    throw POSIXError(.ETIMEDOUT)
}

/// A tiny Python HTTP server misbehaving on purpose while serving one blob (see `faultServerScript`).
final class FaultServer: @unchecked Sendable {
    let port: Int
    private let process: Process
    private let script: URL

    init(mode: String, blobSize: Int) throws {
        script = FileManager.default.temporaryDirectory.appendingPathComponent("fault-\(UUID().uuidString).py")
        try faultServerScript.write(to: script, atomically: true, encoding: .utf8)
        port = try freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script.path, String(port), mode, String(blobSize)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        try waitForPort(port)
    }

    func stop() {
        // SIGKILL: a child started through Foundation's Process may not act on SIGTERM.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: script)
    }

    /// The bytes the server serves: i % 251.
    static func blob(size: Int) -> [UInt8] { (0..<size).map { UInt8($0 % 251) } }
}

/// Modes: `drop` cuts the first response halfway and honours Range afterwards; `norange` cuts the first
/// response and then ignores Range (full 200 again); `corrupt` serves the blob with one byte flipped.
/// GET /ranges lists the Range headers seen.
let faultServerScript = #"""
import sys, http.server, socket
port, mode, size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
blob = bytes(i % 251 for i in range(size))
state = {"requests": 0, "ranges": []}
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        if self.path == "/ranges":
            body = ",".join(state["ranges"]).encode()
            self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body); return
        if self.path == "/v2/":
            self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"{}"); return
        state["requests"] += 1
        rng = self.headers.get("Range")
        state["ranges"].append(rng or "none")
        data = bytearray(blob)
        if mode == "corrupt":
            data[size // 2] ^= 0xff
        start = 0
        if rng and mode == "drop":
            start = int(rng.split("=")[1].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, size - 1, size))
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(size - start))
        self.end_headers()
        if mode in ("drop", "norange") and state["requests"] == 1:
            self.wfile.write(bytes(data[:size // 3])); self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR); self.close_connection = True
            return
        self.wfile.write(bytes(data[start:]))
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
"""#
