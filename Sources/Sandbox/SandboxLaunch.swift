import Archive
import CSandbox
import Foundation

/// The confinement of one launch, in the form the C child needs: the compiled seccomp filter, the capability
/// mask and, for --privileged, the host's device nodes.
struct Confinement: Sendable {
    var security: SandboxSecurity
    var seccomp: SeccompProgram?
    var devices: [HostDevice]

    init(_ security: SandboxSecurity, cacheDirectory: String? = nil) throws {
        var security = security
        if security.limitToHeldCapabilities { security.capabilities.mask &= Self.heldCapabilities() }
        self.security = security
        switch security.seccomp {
        case .unconfined: seccomp = nil
        case .dockerDefault:
            seccomp = try SeccompProgramCache.program(for: .dockerDefault, capabilities: security.capabilities,
                                                      directory: cacheDirectory)
        case .profile(let profile):
            // docker installs no filter for a profile that allows everything by default and names nothing.
            seccomp = profile.isUnconfined ? nil
                : try SeccompProgramCache.program(for: profile, capabilities: security.capabilities, directory: cacheDirectory)
        }
        devices = security.hostDevices ? HostDevice.all() : []
    }

    /// This process's permitted capability set (`CapPrm` of /proc/self/status).
    static func heldCapabilities() -> UInt64 {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapPrm:") }),
              let mask = UInt64(line.dropFirst("CapPrm:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return Capabilities.all.mask }
        return mask
    }
}

/// A character or block device node of the host's /dev (docker's HostDevices walk: pts, shm, mqueue and
/// fd are the container's own).
struct HostDevice: Sendable {
    var path: String
    var mode: UInt32
    var rdev: UInt
    var uid: UInt32
    var gid: UInt32

    static func all() -> [HostDevice] {
        var found: [HostDevice] = []
        walk("/dev", relative: "", into: &found)
        return found
    }

    private static func walk(_ directory: String, relative: String, into found: inout [HostDevice]) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names.sorted() where found.count < 4096 {
            let path = directory + "/" + name
            let child = relative.isEmpty ? name : relative + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                if relative.isEmpty, ["pts", "shm", "mqueue", "fd", ".lxc", ".lxd-mounts", ".udev"].contains(name) { continue }
                walk(path, relative: child, into: &found)
            case S_IFCHR, S_IFBLK:
                if relative.isEmpty, name == "console" { continue }
                found.append(HostDevice(path: child, mode: UInt32(info.st_mode), rdev: UInt(info.st_rdev),
                                        uid: info.st_uid, gid: info.st_gid))
            default:
                continue
            }
        }
    }
}

/// One start of the C sandbox: the spec in C form, the holder's report pipe, and its wait.
struct Launch: Sendable {
    var spec: SandboxSpec
    var mounts: [SandboxProcess.PreparedMount]
    var files: [SandboxProcess.PreparedFile]
    var confinement: Confinement
    var stdio: (Int32, Int32, Int32)
    /// With `-t`: the socket the container sends its pty's master side over (-1 without).
    var consoleSocket: Int32 = -1
    /// The pty's window size (the caller's terminal's), 0 when unknown.
    var terminalSize: (rows: UInt16, columns: UInt16) = (0, 0)
    /// The cgroup of the memory limit, joined by the container before anything runs.
    var cgroup: ContainerCgroup?

    /// Starts the holder and waits for it; `onStart` gets the container's PID 1 (host view). Returns the raw wait
    /// status. Blocks: call it on a thread of its own, which must live until the container is gone.
    func run(onStart: (pid_t) -> Void) -> Result<Int32, SandboxError> {
        let holder: pid_t
        let reportFD: Int32
        switch spawn() {
        case .failure(let error): return .failure(error)
        case .success(let started): (holder, reportFD) = started
        }
        var status: Int32?
        var failure: SandboxError?
        while let message = Self.readMessage(reportFD) {
            switch Int(message.kind) {
            case Int(CSANDBOX_MESSAGE_PID.rawValue): onStart(pid_t(message.error))
            case Int(CSANDBOX_MESSAGE_FAILURE.rawValue):
                let detail = withUnsafeBytes(of: message.detail) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                failure = failure ?? SandboxProcess.failure(kind: message.failure_kind, code: message.error, detail: detail)
            case Int(CSANDBOX_MESSAGE_STATUS.rawValue): status = message.error
            default: break
            }
        }
        close(reportFD)
        let holderStatus = csandbox_wait(holder)
        if let failure { return .failure(failure) }
        if let status { return .success(status) }
        if holderStatus < 0 { return .failure(.system("waitpid", -holderStatus)) }
        return .failure(.setup("container holder exited unexpectedly", EIO))
    }

    private static func readMessage(_ fd: Int32) -> csandbox_message? {
        var message = csandbox_message()
        let size = MemoryLayout<csandbox_message>.size
        let got = withUnsafeMutableBytes(of: &message) { (try? FileDescriptorIO.readFully(fd, into: $0)) ?? 0 }
        return got == size ? message : nil
    }

    /// Builds the C spec from C strings that stay alive for the duration of the clone call.
    private func spawn() -> Result<(pid_t, Int32), SandboxError> {
        let strings = CStringArena()
        defer { strings.release() }
        let argv = strings.array(spec.arguments)
        let envp = strings.array(spec.environment)
        let pathEnv = ContainerFiles.value(of: "PATH", in: spec.environment).map { strings.string($0) }
        let groups = spec.user.groups.map { gid_t($0) }
        let cMounts = mounts.map { mount in
            csandbox_mount(source: strings.string(mount.source), target: strings.string(mount.target),
                           fstype: mount.fstype.map { strings.string($0) }, data: nil,
                           flags: mount.fstype == nil ? 0 : UInt(MS_NOSUID | MS_NODEV),
                           readonly: mount.readOnly ? 1 : 0)
        }
        let cDevices = confinement.devices.map { device in
            csandbox_device(path: strings.string(device.path), mode: device.mode, rdev: dev_t(device.rdev),
                            uid: device.uid, gid: device.gid)
        }
        let security = confinement.security
        let rlimits = spec.resources.ulimits.map { limit in
            csandbox_rlimit(resource: limit.resource, soft: UInt64(bitPattern: limit.soft), hard: UInt64(bitPattern: limit.hard))
        }
        var pid: pid_t = 0
        var reportFD: Int32 = -1
        let result = files.map(\.file.contents).withContiguousBuffers { contents in
            let cFiles = zip(files, contents).map { prepared, buffer in
                csandbox_file(target: strings.string(prepared.target), contents: buffer.baseAddress, size: buffer.count,
                              mode: prepared.file.mode, uid: prepared.file.uid, gid: prepared.file.gid,
                              readonly: prepared.file.readOnly ? 1 : 0, in_dev: prepared.inDev ? 1 : 0)
            }
            return (confinement.seccomp?.instructions ?? []).withUnsafeBytes { filter in
                groups.withUnsafeBufferPointer { groupBuffer in
                    cMounts.withUnsafeBufferPointer { mountBuffer in
                        cFiles.withUnsafeBufferPointer { fileBuffer in
                            cDevices.withUnsafeBufferPointer { deviceBuffer in
                              rlimits.withUnsafeBufferPointer { rlimitBuffer in
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
                                cSpec.files = fileBuffer.baseAddress
                                cSpec.file_count = fileBuffer.count
                                cSpec.mounts = mountBuffer.baseAddress
                                cSpec.mount_count = mountBuffer.count
                                cSpec.stdin_fd = stdio.0
                                cSpec.stdout_fd = stdio.1
                                cSpec.stderr_fd = stdio.2
                                cSpec.tty = spec.tty ? 1 : 0
                                cSpec.console_socket = consoleSocket
                                cSpec.tty_rows = terminalSize.rows
                                cSpec.tty_cols = terminalSize.columns
                                cSpec.new_network = spec.network == .none ? 1 : 0
                                cSpec.mount_proc_dev_sys = 1
                                cSpec.capabilities = security.capabilities.mask
                                cSpec.no_new_privs = security.noNewPrivileges ? 1 : 0
                                if let program = confinement.seccomp, program.count > 0 {
                                    cSpec.seccomp_filter = filter.baseAddress
                                    cSpec.seccomp_length = UInt16(clamping: program.count)
                                }
                                cSpec.unmasked_paths = security.unmaskedPaths ? 1 : 0
                                cSpec.writable_sysfs = security.writableSysfs ? 1 : 0
                                cSpec.devices = deviceBuffer.baseAddress
                                cSpec.device_count = deviceBuffer.count
                                cSpec.allow_devices = security.hostDevices ? 1 : 0
                                cSpec.shm_size = UInt64(spec.resources.effectiveShmSize)
                                cSpec.rlimits = rlimitBuffer.baseAddress
                                cSpec.rlimit_count = rlimitBuffer.count
                                if let cgroup {
                                    cSpec.join_cgroup = 1
                                    cSpec.cgroup_procs_fd = cgroup.procsFD
                                    cSpec.cgroup_mount = switch cgroup.hierarchy {
                                    case .unified: Int32(CSANDBOX_CGROUP_V2.rawValue)
                                    case .memoryV1: Int32(CSANDBOX_CGROUP_V1_MEMORY.rawValue)
                                    }
                                }
                                return csandbox_spawn(&cSpec, &pid, &reportFD)
                              }
                            }
                        }
                    }
                }
            }
        }
        guard result == 0 else { return .failure(.system("clone", -result)) }
        return .success((pid, reportFD))
    }
}

extension Array where Element == [UInt8] {
    /// Calls `body` with a pointer to every element's bytes, all valid at once.
    func withContiguousBuffers<R>(_ body: ([UnsafeRawBufferPointer]) -> R) -> R {
        func step(_ index: Int, _ collected: [UnsafeRawBufferPointer]) -> R {
            if index == count { return body(collected) }
            return self[index].withUnsafeBytes { step(index + 1, collected + [$0]) }
        }
        return step(0, [])
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
