import CSandbox
import Foundation

/// Runs a command in a root filesystem in new mount, pid, uts and ipc namespaces (and a new network
/// namespace for `NetworkMode.none`), as PID 1 of its namespace, like `docker run` without `--init`.
/// The namespace work happens in C between clone() and execve (see CSandbox).
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
        let scratch = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var created: [String] = []
        var mounts: [PreparedMount] = []

        for directory in ["/proc", "/dev", "/sys"] {
            created += try ScopedPath.makeDirectories(directory, in: spec.rootfs).created
        }
        let etcFiles = [("/etc/resolv.conf", spec.resolvConf), ("/etc/hostname", spec.hostnameFile), ("/etc/hosts", spec.hostsFile)]
        for (path, content) in etcFiles {
            guard let content else { continue }
            let source = scratch + "/" + (path as NSString).lastPathComponent
            try Data(content.utf8).write(to: URL(fileURLWithPath: source))
            let target = try ScopedPath.makeMountTarget(path, in: spec.rootfs, file: true)
            created += target.created
            mounts.append(PreparedMount(source: source, target: target.hostPath, fstype: nil, readOnly: false))
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

        let terminal = spec.tty ? try PseudoTerminal.open() : nil
        let nullFD = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { if nullFD >= 0 { close(nullFD) } }
        let stdio: (Int32, Int32, Int32)
        if let terminal {
            stdio = (terminal.slave, terminal.slave, terminal.slave)
        } else {
            stdio = (spec.stdin >= 0 ? spec.stdin : nullFD, spec.stdout, spec.stderr)
        }
        let forwarder = spec.forwardSignals ? SignalForwarder() : nil
        let (pid, errorFD) = try spawn(spec, mounts: mounts, stdio: stdio)
        forwarder?.target(pid)
        terminal?.closeSlave()
        let relay = terminal.map { $0.startRelay(input: spec.stdin, output: spec.stdout) }

        let result = await withCheckedContinuation { (continuation: CheckedContinuation<(CSandboxFailure?, Int32), Never>) in
            Thread.detachNewThread {
                let failure = readFailure(errorFD)
                close(errorFD)
                continuation.resume(returning: (failure, csandbox_wait(pid)))
            }
        }
        forwarder?.stop()
        relay?.finish()
        if let failure = result.0 { throw failure.error }
        let raw = result.1
        let status: Int32
        if raw < 0 { throw SandboxError.system("waitpid", -raw) }
        if raw & 0x7f == 0 { status = (raw >> 8) & 0xff } else { status = 128 + (raw & 0x7f) }
        return SandboxOutcome(status: status, createdPaths: created)
    }

    struct PreparedMount {
        var source: String
        var target: String
        var fstype: String?
        var readOnly: Bool
    }

    struct CSandboxFailure {
        var kind: Int32
        var code: Int32
        var detail: String

        var error: SandboxError {
            switch Int(kind) {
            case Int(CSANDBOX_NOT_IN_PATH.rawValue):
                return .startFailed("exec: \"\(detail)\": executable file not found in $PATH")
            case Int(CSANDBOX_STAT.rawValue):
                return .startFailed("exec: \"\(detail)\": stat \(detail): \(SandboxError.goErrorText(code))")
            case Int(CSANDBOX_NOT_EXECUTABLE.rawValue):
                return .startFailed("exec: \"\(detail)\": permission denied")
            case Int(CSANDBOX_EXEC.rawValue):
                return .startFailed("exec \(detail): \(SandboxError.goErrorText(code))")
            default:
                return .setup(detail, code)
            }
        }
    }

    private static func readFailure(_ fd: Int32) -> CSandboxFailure? {
        var failure = csandbox_failure()
        let size = MemoryLayout<csandbox_failure>.size
        var got = 0
        while got < size {
            let n = withUnsafeMutableBytes(of: &failure) { read(fd, $0.baseAddress! + got, size - got) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            got += n
        }
        guard got == size else { return nil }
        let detail = withUnsafeBytes(of: failure.detail) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return CSandboxFailure(kind: failure.kind, code: failure.error, detail: detail)
    }

    private static func makeScratchDirectory() throws -> String {
        var template = Array((NSTemporaryDirectory() + "/strata-sandbox-XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw SandboxError.system("mkdtemp", errno)
        }
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Builds the C spec from C strings that stay alive for the duration of the clone call.
    private static func spawn(_ spec: SandboxSpec, mounts: [PreparedMount], stdio: (Int32, Int32, Int32)) throws -> (pid_t, Int32) {
        let strings = CStringArena()
        let argv = strings.array(spec.arguments)
        let envp = strings.array(spec.environment)
        let pathEnv = ContainerFiles.value(of: "PATH", in: spec.environment).map { strings.string($0) }
        let groups = spec.user.groups.map { gid_t($0) }
        var cMounts = mounts.map { mount in
            csandbox_mount(source: strings.string(mount.source), target: strings.string(mount.target),
                           fstype: mount.fstype.map { strings.string($0) }, data: nil,
                           flags: mount.fstype == nil ? 0 : UInt(MS_NOSUID | MS_NODEV),
                           readonly: mount.readOnly ? 1 : 0)
        }
        var pid: pid_t = 0
        var errorFD: Int32 = -1
        let result = groups.withUnsafeBufferPointer { groupBuffer in
            cMounts.withUnsafeMutableBufferPointer { mountBuffer in
                var cSpec = csandbox_spec()
                cSpec.argv = argv
                cSpec.envp = envp
                cSpec.path_env = pathEnv
                cSpec.rootfs = strings.string(spec.rootfs)
                cSpec.cwd = strings.string(spec.workingDirectory)
                cSpec.hostname = strings.string(spec.hostname)
                cSpec.uid = spec.user.uid
                cSpec.gid = spec.user.gid
                cSpec.groups = groupBuffer.baseAddress
                cSpec.group_count = groupBuffer.count
                cSpec.mounts = UnsafePointer(mountBuffer.baseAddress)
                cSpec.mount_count = mountBuffer.count
                cSpec.stdin_fd = stdio.0
                cSpec.stdout_fd = stdio.1
                cSpec.stderr_fd = stdio.2
                cSpec.tty = spec.tty ? 1 : 0
                cSpec.new_network = spec.network == .none ? 1 : 0
                cSpec.mount_proc_dev_sys = 1
                return csandbox_spawn(&cSpec, &pid, &errorFD)
            }
        }
        strings.release()
        guard result == 0 else { throw SandboxError.system("clone", -result) }
        return (pid, errorFD)
    }
}

/// C strings allocated for one call and freed together.
final class CStringArena {
    private var allocations: [UnsafeMutablePointer<CChar>] = []
    private var arrays: [UnsafeMutablePointer<UnsafePointer<CChar>?>] = []

    func string(_ value: String) -> UnsafePointer<CChar> {
        let pointer = strdup(value)!
        allocations.append(pointer)
        return UnsafePointer(pointer)
    }

    func array(_ values: [String]) -> UnsafePointer<UnsafePointer<CChar>?> {
        let buffer = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: values.count + 1)
        for (index, value) in values.enumerated() { buffer[index] = string(value) }
        buffer[values.count] = nil
        arrays.append(buffer)
        return UnsafePointer(buffer)
    }

    func release() {
        allocations.forEach { free($0) }
        arrays.forEach { $0.deallocate() }
        allocations = []
        arrays = []
    }
}
