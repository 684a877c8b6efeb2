#if canImport(Glibc)
import Glibc
#endif
import CSandbox
import Foundation

/// The cgroup hierarchy that can hold a memory limit on this host.
public enum CgroupHierarchy: Sendable, Equatable {
    /// cgroup v2: the unified hierarchy mounted at `root`, with the memory controller.
    case unified(root: String)
    /// cgroup v1: the memory controller's own hierarchy mounted at `root` (docker's cgroupfs driver on a v1 host).
    case memoryV1(root: String)

    static let cgroup2Magic = 0x6367_7270
    static let cgroupMagic = 0x27e0eb

    /// Where Strata's cgroups go: `<root>/strata/<owner pid>-<id>`.
    var parent: String {
        switch self {
        case .unified(let root), .memoryV1(let root): root + "/strata"
        }
    }

    /// The hierarchy at `base` (normally /sys/fs/cgroup): cgroup2 mounted there with the memory controller, else the
    /// v1 memory hierarchy at `base/memory`.
    public static func detect(base: String = "/sys/fs/cgroup") throws(SandboxError) -> CgroupHierarchy {
        if filesystemType(base) == cgroup2Magic {
            let controllers = (try? String(contentsOfFile: base + "/cgroup.controllers", encoding: .utf8)) ?? ""
            guard controllers.split(whereSeparator: \.isWhitespace).contains("memory") else {
                throw .cgroupUnavailable("the memory controller is not available in \(base)/cgroup.controllers")
            }
            return .unified(root: base)
        }
        if filesystemType(base + "/memory") == cgroupMagic, access(base + "/memory/memory.limit_in_bytes", F_OK) == 0 {
            return .memoryV1(root: base + "/memory")
        }
        throw .cgroupUnavailable("\(base) is not a cgroup2 mount, and has no cgroup v1 memory hierarchy")
    }

    private static func filesystemType(_ path: String) -> Int? {
        let type = csandbox_filesystem_type(path)
        return type < 0 ? nil : Int(type)
    }
}

/// A cgroup of one container or RUN step, made with its memory limit before the container starts; the container
/// joins it (through `procsFD`) before anything runs. Removed once the container is gone; those of a Strata that
/// was killed are swept by the next one.
final class ContainerCgroup: Sendable {
    let path: String
    let hierarchy: CgroupHierarchy
    /// `cgroup.procs`, open for writing: the container writes "0" to it to join.
    let procsFD: Int32

    private init(path: String, hierarchy: CgroupHierarchy, procsFD: Int32) {
        self.path = path
        self.hierarchy = hierarchy
        self.procsFD = procsFD
    }

    /// Makes the cgroup with `memory` bytes as its limit and docker's default swap (as much swap as memory: a
    /// memory+swap total of twice the limit, where the kernel accounts swap).
    static func create(memory: Int64, hierarchy: CgroupHierarchy) throws(SandboxError) -> ContainerCgroup {
        let parent = hierarchy.parent
        if case .unified(let root) = hierarchy { try enableMemoryController(in: root) }
        if mkdir(parent, 0o755) != 0 && errno != EEXIST {
            let code = errno
            if code == EROFS || code == EACCES || code == EPERM {
                throw .cgroupUnavailable("\(parent): \(SandboxError.goErrorText(code))")
            }
            throw .system("mkdir \(parent)", code)
        }
        if case .unified = hierarchy { try enableMemoryController(in: parent) }
        sweep(parent)
        let name = "\(getpid())-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let path = parent + "/" + name
        guard mkdir(path, 0o755) == 0 else { throw .system("mkdir \(path)", errno) }
        do throws(SandboxError) {
            switch hierarchy {
            case .unified:
                try write(String(memory), to: path + "/memory.max")
                if access(path + "/memory.swap.max", F_OK) == 0 { try write(String(memory), to: path + "/memory.swap.max") }
            case .memoryV1:
                try write(String(memory), to: path + "/memory.limit_in_bytes")
                if access(path + "/memory.memsw.limit_in_bytes", F_OK) == 0 {
                    try write(String(memory.multipliedReportingOverflow(by: 2).overflow ? Int64.max : memory * 2),
                              to: path + "/memory.memsw.limit_in_bytes")
                }
            }
            let fd = open(path + "/cgroup.procs", O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw .system("open \(path)/cgroup.procs", errno) }
            return ContainerCgroup(path: path, hierarchy: hierarchy, procsFD: fd)
        } catch {
            rmdir(path)
            throw error
        }
    }

    /// Closes the join descriptor and removes the cgroup, waiting a little for the kernel to let go of the
    /// container's last processes. Blocks: call it off the cooperative pool.
    func remove() {
        close(procsFD)
        for _ in 0..<100 {
            if rmdir(path) == 0 || errno == ENOENT { return }
            guard errno == EBUSY else { return }
            usleep(10_000)
        }
    }

    /// The cgroup v2 rule: a controller is usable in a child only once the parent lists it in subtree_control.
    private static func enableMemoryController(in directory: String) throws(SandboxError) {
        let file = directory + "/cgroup.subtree_control"
        let enabled = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        if enabled.split(whereSeparator: \.isWhitespace).contains("memory") { return }
        do { try write("+memory", to: file) } catch {
            throw .cgroupUnavailable("cannot enable the memory controller in \(file): \(error)")
        }
    }

    /// Removes the cgroups of Strata processes that are gone (a killed run or build); a live process's are left alone.
    static func sweep(_ parent: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
        for name in names {
            guard let dash = name.firstIndex(of: "-"), let owner = pid_t(name[..<dash]), owner != getpid() else { continue }
            if kill(owner, 0) != 0 && errno == ESRCH { rmdir(parent + "/" + name) }
        }
    }

    private static func write(_ value: String, to file: String) throws(SandboxError) {
        let fd = open(file, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system("open \(file)", errno) }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw .system("write \(file)", written < 0 ? errno : EIO) }
    }
}
