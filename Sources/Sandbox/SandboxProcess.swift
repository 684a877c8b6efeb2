import Archive
import CSandbox
import Foundation
import Synchronization

/// Runs a command in a root filesystem in new mount, pid, uts and ipc namespaces (and a new network
/// namespace for `NetworkMode.none`), as PID 1 of its namespace, like `docker run` without `--init`, confined
/// as docker confines it (`SandboxSecurity`). The namespace work happens in C between clone() and execve (see
/// CSandbox); a holder process between this one and the container takes the container down if Strata dies.
public enum SandboxProcess {
    /// Runs `spec` to completion and returns the command's exit status (128+n for signal n).
    public static func run(_ spec: SandboxSpec) async throws -> Int32 {
        try await execute(spec).status
    }

    /// Runs `spec` to completion; also reports which paths it created in the rootfs.
    public static func execute(_ spec: SandboxSpec) async throws -> SandboxOutcome {
        guard let program = spec.arguments.first, !program.isEmpty else {
            throw SandboxError.startFailed("exec: \"\": executable file not found in $PATH")
        }
        _ = TemporaryLeftovers.swept
        var created: [String] = []
        var mounts: [PreparedMount] = []
        var files: [PreparedFile] = []

        for directory in ["/proc", "/dev", "/sys"] {
            // The C side mounts on `<rootfs>/dev` etc. by name: an image's `dev -> /` would send those mounts and
            // the device nodes, /etc files and secrets written there to the host's root.
            var info = stat()
            if lstat(spec.rootfs + directory, &info) == 0, (info.st_mode & S_IFMT) != S_IFDIR {
                throw SandboxError.setup("\(directory) in the image is not a directory", ENOTDIR)
            }
            created += try ScopedPath.makeDirectories(directory, in: spec.rootfs).created
        }
        let etcFiles = [("/etc/resolv.conf", spec.resolvConf), ("/etc/hostname", spec.hostnameFile), ("/etc/hosts", spec.hostsFile)]
            .compactMap { path, content in
                content.map { SandboxFile(contents: Array($0.utf8), destination: path, readOnly: spec.etcFilesReadOnly) }
            }
        for file in etcFiles + spec.files {
            // A file in the container's /dev (BuildKit's /dev/pipes) is written into the /dev tmpfs once it is made;
            // nothing is created in the rootfs for it.
            let parts = ScopedPath.components(file.destination)
            if parts.count > 1, parts[0] == "dev" {
                guard !parts.contains(where: { $0 == "." || $0 == ".." }) else {
                    throw SandboxError.setup("\(file.destination): not a clean path", EINVAL)
                }
                files.append(PreparedFile(target: parts.dropFirst().joined(separator: "/"), file: file, inDev: true))
                continue
            }
            let target = try ScopedPath.makeMountTarget(file.destination, in: spec.rootfs, file: true)
            created += target.created
            files.append(PreparedFile(target: target.hostPath, file: file, inDev: false))
        }
        for mount in spec.mounts {
            switch mount.kind {
            case .bind(let source):
                var info = stat()
                guard stat(source, &info) == 0 else { throw SandboxError.system("stat \(source)", errno) }
                let isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
                let target = try ScopedPath.makeMountTarget(mount.destination, in: spec.rootfs, file: !isDirectory)
                created += target.created
                mounts.append(PreparedMount(source: source, target: target.hostPath, fstype: nil, readOnly: mount.readOnly))
            case .tmpfs:
                let target = try ScopedPath.makeDirectories(mount.destination, in: spec.rootfs)
                created += target.created
                mounts.append(PreparedMount(source: "tmpfs", target: target.hostPath, fstype: "tmpfs", readOnly: mount.readOnly))
            }
        }
        created += try ScopedPath.makeDirectories(spec.workingDirectory, in: spec.rootfs).created
        let confinement = try Confinement(spec.security, cacheDirectory: spec.seccompCacheDirectory)

        // `-t`: the container opens its pty in its own /dev/pts and sends the master side over this socket pair.
        let console = spec.tty ? try PseudoTerminal.consoleSocketPair() : nil
        defer { if let console { close(console.0) } }
        let nullFD = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { if nullFD >= 0 { close(nullFD) } }
        let stdio: (Int32, Int32, Int32) = console != nil
            ? (-1, -1, -1) : (spec.stdin >= 0 ? spec.stdin : nullFD, spec.stdout, spec.stderr)
        // The memory limit's cgroup, made last: nothing after this can fail before the launch thread owns it.
        let cgroup = try spec.resources.memoryLimit.map { limit throws(SandboxError) in
            try ContainerCgroup.create(memory: limit, hierarchy: try CgroupHierarchy.detect())
        }
        let forwarder = spec.forwardSignals ? SignalForwarder() : nil
        let launch = Launch(spec: spec, mounts: mounts, files: files, confinement: confinement, stdio: stdio,
                            consoleSocket: console?.1 ?? -1,
                            terminalSize: console != nil ? PseudoTerminal.callerSize() : (0, 0), cgroup: cgroup)
        // One thread starts the holder and waits for it: the holder's parent-death signal is tied to the thread
        // that cloned it, so that thread must outlive the container.
        let started = ThreadHandoff()
        let container = ContainerPID()
        let finished = Task.detached { () -> Result<Int32, SandboxError> in
            await withCheckedContinuation { continuation in
                Thread.detachNewThread {
                    let result = launch.run(onStart: { pid in
                        container.started(pid)
                        forwarder?.target(pid)
                        started.signal()
                    })
                    started.signal()
                    cgroup?.remove()
                    continuation.resume(returning: result)
                }
            }
        }
        let relay: PseudoTerminal.Relay?
        if let console {
            await started.wait()
            // Only the container keeps its end now, so a container that dies before sending ends the wait.
            close(console.1)
            let terminal = try? await BlockingWork.run(named: "strata-console") { PseudoTerminal.receiveMaster(console.0) }
            relay = terminal.flatMap { $0 }?.startRelay(input: spec.stdin, output: spec.stdout)
        } else {
            relay = nil
        }
        // A cancelled task (an interrupted build) kills the container: SIGKILL to PID 1 ends its whole PID namespace.
        let result = await withTaskCancellationHandler {
            await finished.value
        } onCancel: {
            container.kill()
        }
        forwarder?.stop()
        relay?.finish()
        let raw = try result.get()
        if Task.isCancelled { throw CancellationError() }
        let status: Int32 = raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
        return SandboxOutcome(status: status, createdPaths: created)
    }

    struct PreparedMount {
        var source: String
        var target: String
        var fstype: String?
        var readOnly: Bool
    }

    struct PreparedFile {
        /// The host path of the mount target, or the path below the container's /dev when `inDev`.
        var target: String
        var file: SandboxFile
        var inDev: Bool
    }

    static func failure(kind: Int32, code: Int32, detail: String) -> SandboxError {
        switch Int(kind) {
        case Int(CSANDBOX_NOT_IN_PATH.rawValue):
            return .startFailed("exec: \"\(detail)\": executable file not found in $PATH")
        case Int(CSANDBOX_STAT.rawValue):
            return .startFailed("exec: \"\(detail)\": stat \(detail): \(SandboxError.goErrorText(code))")
        case Int(CSANDBOX_NOT_EXECUTABLE.rawValue):
            return .startFailed("exec: \"\(detail)\": permission denied")
        case Int(CSANDBOX_EXEC.rawValue):
            return .startFailed("exec \(detail): \(SandboxError.goErrorText(code))")
        case Int(CSANDBOX_RLIMIT.rawValue):
            // runc's words (it sets the rlimits of the container's init before that starts the command).
            return .startFailed("error during container init: error setting rlimits for ready process: "
                                + "error setting rlimit type \(detail): \(SandboxError.goErrorText(code))")
        default:
            return .setup(detail, code)
        }
    }
}

/// The container's PID 1 once it has started, and whether it must be killed as soon as it does (a cancellation
/// that came first).
final class ContainerPID: Sendable {
    private let state = Mutex<(pid: pid_t, killed: Bool)>((0, false))

    func started(_ pid: pid_t) {
        let kill = state.withLock { state -> Bool in
            state.pid = pid
            return state.killed
        }
        if kill { Glibc.kill(pid, SIGKILL) }
    }

    func kill() {
        let pid = state.withLock { state -> pid_t in
            state.killed = true
            return state.pid
        }
        if pid > 0 { Glibc.kill(pid, SIGKILL) }
    }
}

/// A one-shot signal from the launching thread to the task that waits for the container to start.
final class ThreadHandoff: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self)
    }

    func signal() { continuation.finish() }

    func wait() async {
        for await _ in stream {}
    }
}

