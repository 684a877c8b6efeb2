import Foundation
import Testing
@testable import Sandbox

/// Runs real processes in namespaces over a busybox rootfs (needs root; CI runs as root, so there a
/// missing privilege or rootfs is a failure rather than a skip).
@Suite("Sandbox: namespaces and snapshots", .serialized)
struct SandboxNamespaceTests {
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// An unpacked busybox rootfs shared by the tests (from $BUSYBOX_ROOTFS or the peers' tar).
    static let busybox: String? = {
        let tar = ProcessInfo.processInfo.environment["BUSYBOX_ROOTFS"] ?? "/tmp/strata-peers/busybox-rootfs.tar"
        guard geteuid() == 0, FileManager.default.fileExists(atPath: tar) else { return nil }
        let directory = NSTemporaryDirectory() + "/sandbox-busybox-\(getpid())"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/tar")
        process.arguments = ["-xf", tar, "-C", directory]
        guard (try? process.run()) != nil else { return nil }
        process.waitUntilExit()
        return process.terminationStatus == 0 ? directory : nil
    }()

    func requireRootfs() throws -> String? {
        if let busybox = Self.busybox { return busybox }
        if Self.isCI { Issue.record("namespace tests need root and a busybox rootfs (BUSYBOX_ROOTFS) in CI") }
        return nil
    }

    /// Runs `arguments` over a fresh snapshot of busybox; returns (status, stdout, stderr).
    func run(_ arguments: [String], kind: SnapshotterKind = .overlay, configure: (inout SandboxSpec) -> Void = { _ in })
        async throws -> (Int32, String, String)? {
        guard let lower = try requireRootfs() else { return nil }
        let scratch = NSTemporaryDirectory() + "/sandbox-test-\(UUID().uuidString)"
        let rootfs = try RootfsSnapshot.prepare(lowerDirs: [lower], scratch: scratch, kind: kind)
        defer { try? rootfs.remove() }
        let out = try Capture(), err = try Capture()
        var spec = SandboxSpec(arguments: arguments,
                               environment: ["PATH=\(ContainerFiles.defaultPath)", "HOSTNAME=box", "HOME=/root"],
                               rootfs: rootfs.mountPoint, hostname: "box", stdout: out.fd, stderr: err.fd)
        configure(&spec)
        let status = try await SandboxProcess.run(spec)
        return (status, out.text(), err.text())
    }

    @Test func echoAndExitStatus() async throws {
        guard let (status, out, _) = try await run(["echo", "hello"]) else { return }
        #expect(status == 0)
        #expect(out == "hello\n")
        guard let (three, _, _) = try await run(["sh", "-c", "exit 3"]) else { return }
        #expect(three == 3)
        guard let (killed, _, _) = try await run(["sh", "-c", "sleep 5 & kill -KILL $!; wait $!; kill -9 $$"]) else { return }
        #expect(killed == 0)  // PID 1 ignores signals it has no handler for, even SIGKILL from inside
    }

    @Test func namespacesAndFiles() async throws {
        let script = "echo $$; hostname; cat /etc/hostname; ls /dev; test -c /dev/null && echo null-ok; mount | grep -c ' /proc '"
        guard let (status, out, _) = try await run(["sh", "-c", script]) else { return }
        #expect(status == 0)
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.first == "1")
        #expect(lines.dropFirst().prefix(2) == ["box", "box"])
        #expect(lines.contains("null-ok"))
        for node in ["fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin", "stdout", "tty", "urandom", "zero"] {
            #expect(lines.contains(node), "missing /dev/\(node)")
        }
    }

    @Test func commandNotFoundAndNotExecutable() async throws {
        await #expect(throws: SandboxError.startFailed("exec: \"nosuch\": executable file not found in $PATH")) {
            _ = try await run(["nosuch"])
        }
        await #expect(throws: SandboxError.startFailed("exec: \"/etc\": permission denied")) { _ = try await run(["/etc"]) }
        await #expect(throws: SandboxError.startFailed("exec: \"./x\": stat ./x: no such file or directory")) {
            _ = try await run(["./x"])
        }
    }

    @Test func userWorkdirAndNetworkNone() async throws {
        guard let (status, out, _) = try await run(["sh", "-c", "id; pwd; cat /proc/net/dev | tail -n +3 | cut -d: -f1"], configure: {
            $0.user = ContainerUser(uid: 65534, gid: 65534, groups: [65534], home: "/nonexistent")
            $0.workingDirectory = "/made/here"
            $0.network = .none
        }) else { return }
        #expect(status == 0)
        #expect(out == "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n/made/here\n    lo\n")
    }

    @Test func readOnlyBindMountAndCopySnapshot() async throws {
        let source = NSTemporaryDirectory() + "/sandbox-bind-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: source) }
        try "data\n".write(toFile: source + "/f", atomically: true, encoding: .utf8)
        for kind in [SnapshotterKind.overlay, .copy] {
            guard let (status, out, err) = try await run(["sh", "-c", "cat /mnt/in/f; touch /mnt/in/g"], kind: kind, configure: {
                $0.mounts = [SandboxMount(kind: .bind(source: source), destination: "/mnt/in", readOnly: true)]
            }) else { return }
            #expect(status == 1)
            #expect(out == "data\n")
            #expect(err.contains("Read-only file system"))
        }
    }

    @Test func upperDirCollectsChangesAndLowerIsUntouched() async throws {
        guard let lower = try requireRootfs() else { return }
        let scratch = NSTemporaryDirectory() + "/sandbox-upper-\(UUID().uuidString)"
        let rootfs = try RootfsSnapshot.prepare(lowerDirs: [lower], scratch: scratch, kind: .overlay)
        defer { try? rootfs.remove() }
        let spec = SandboxSpec(arguments: ["sh", "-c", "echo new > /made; rm /bin/ls"],
                               environment: ["PATH=/bin"], rootfs: rootfs.mountPoint, hostname: "x")
        let outcome = try await SandboxProcess.execute(spec)
        #expect(outcome.status == 0)
        rootfs.unmount()
        let upper = try #require(rootfs.upperDir)
        #expect(try String(contentsOfFile: upper + "/made", encoding: .utf8) == "new\n")
        var info = stat()
        #expect(lstat(upper + "/bin/ls", &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR && info.st_rdev == 0)
        #expect(FileManager.default.fileExists(atPath: lower + "/bin/ls"))
    }
}

/// A temp file a child writes to, read back afterwards.
final class Capture {
    let fd: Int32
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "/capture-\(UUID().uuidString)"
        fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SandboxError.system("open", errno) }
    }

    deinit {
        close(fd)
        unlink(path)
    }

    func text() -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
}
