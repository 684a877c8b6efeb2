import Foundation

/// How the container is networked.
public enum NetworkMode: String, Sendable, Equatable {
    /// The host's network namespace.
    case host
    /// A new network namespace with only the loopback interface, up.
    case none
}

/// An extra mount inside the container (`-v`, `RUN --mount`).
public struct SandboxMount: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Bind-mount the host path `source` (a directory or a file).
        case bind(source: String)
        /// A fresh tmpfs.
        case tmpfs
    }

    public var kind: Kind
    /// The path inside the container; symlinks in it are resolved within the rootfs.
    public var destination: String
    public var readOnly: Bool

    public init(kind: Kind, destination: String, readOnly: Bool = false) {
        self.kind = kind
        self.destination = destination
        self.readOnly = readOnly
    }
}

/// A file the container sees at `destination`, made from memory (a secret, /etc/hosts): it lives in a tmpfs of
/// the container's own mount namespace and never touches a disk.
public struct SandboxFile: Sendable {
    public var contents: [UInt8]
    /// The path inside the container; symlinks in it are resolved within the rootfs.
    public var destination: String
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var readOnly: Bool

    public init(contents: [UInt8], destination: String, mode: UInt32 = 0o644, uid: UInt32 = 0, gid: UInt32 = 0,
                readOnly: Bool = false) {
        self.contents = contents
        self.destination = destination
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.readOnly = readOnly
    }
}

/// Everything needed to run one process in a prepared root filesystem.
public struct SandboxSpec: Sendable {
    /// The command; `arguments[0]` is looked up through the PATH of `environment` inside the rootfs.
    public var arguments: [String]
    public var environment: [String]
    /// Host path of the root filesystem (e.g. `PreparedRootfs.mountPoint`).
    public var rootfs: String
    /// Created (0755, root) when missing, as docker does.
    public var workingDirectory: String
    public var user: ContainerUser
    public var hostname: String
    public var network: NetworkMode
    /// Contents mounted at /etc/hosts, /etc/hostname and /etc/resolv.conf (nil: leave the file alone), from memory.
    public var hostsFile: String?
    public var hostnameFile: String?
    public var resolvConf: String?
    /// Whether those three files are read-only (BuildKit's RUN) or writable (docker run).
    public var etcFilesReadOnly: Bool
    public var mounts: [SandboxMount]
    /// Files made from memory (secrets), mounted after the /etc files and before `mounts`.
    public var files: [SandboxFile]
    /// Capabilities, seccomp, no_new_privs and /proc masking: docker's defaults unless relaxed.
    public var security: SandboxSecurity
    /// Where compiled seccomp filters are kept between processes (nil: compile every time).
    public var seccompCacheDirectory: String?
    /// The child's standard streams (not closed); stdin -1 means /dev/null.
    public var stdin: Int32
    public var stdout: Int32
    public var stderr: Int32
    /// Run on a new pseudo-terminal whose output goes to `stdout` and whose input comes from `stdin`.
    public var tty: Bool
    /// Forward SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to the command while it runs
    /// (changes this process's dispositions of those signals; for the CLI).
    public var forwardSignals: Bool
    /// /dev/shm size, rlimits and memory limit (docker's defaults when empty).
    public var resources: ResourceLimits

    public init(arguments: [String], environment: [String], rootfs: String, workingDirectory: String = "/",
                user: ContainerUser = ContainerUser(), hostname: String, network: NetworkMode = .host,
                hostsFile: String? = ContainerFiles.defaultHosts(), hostnameFile: String? = nil,
                resolvConf: String? = ContainerFiles.resolvConf(), etcFilesReadOnly: Bool = false,
                mounts: [SandboxMount] = [], files: [SandboxFile] = [], security: SandboxSecurity = .docker,
                seccompCacheDirectory: String? = nil,
                stdin: Int32 = -1, stdout: Int32 = STDOUT_FILENO, stderr: Int32 = STDERR_FILENO,
                tty: Bool = false, forwardSignals: Bool = false, resources: ResourceLimits = ResourceLimits()) {
        self.arguments = arguments
        self.environment = environment
        self.rootfs = rootfs
        self.workingDirectory = workingDirectory
        self.user = user
        self.hostname = hostname
        self.network = network
        self.hostsFile = hostsFile
        self.hostnameFile = hostnameFile ?? hostname + "\n"
        self.resolvConf = resolvConf
        self.etcFilesReadOnly = etcFilesReadOnly
        self.mounts = mounts
        self.files = files
        self.security = security
        self.seccompCacheDirectory = seccompCacheDirectory
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.tty = tty
        self.forwardSignals = forwardSignals
        self.resources = resources
    }
}

/// How a sandboxed command ended.
public struct SandboxOutcome: Sendable, Equatable {
    /// The exit code, or 128+n when signal n killed it (docker's convention).
    public var status: Int32
    /// Container paths the sandbox created in the rootfs as mount targets or the working directory
    /// (outermost first); a builder drops those it must not commit.
    public var createdPaths: [String]
}
