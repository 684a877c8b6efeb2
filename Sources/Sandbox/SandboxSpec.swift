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
    /// Contents bind-mounted read-write at /etc/hosts, /etc/hostname and /etc/resolv.conf (nil: leave the file alone).
    public var hostsFile: String?
    public var hostnameFile: String?
    public var resolvConf: String?
    public var mounts: [SandboxMount]
    /// The child's standard streams (not closed); stdin -1 means /dev/null.
    public var stdin: Int32
    public var stdout: Int32
    public var stderr: Int32
    /// Run on a new pseudo-terminal whose output goes to `stdout` and whose input comes from `stdin`.
    public var tty: Bool
    /// Forward SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to the command while it runs
    /// (changes this process's dispositions of those signals; for the CLI).
    public var forwardSignals: Bool

    public init(arguments: [String], environment: [String], rootfs: String, workingDirectory: String = "/",
                user: ContainerUser = ContainerUser(), hostname: String, network: NetworkMode = .host,
                hostsFile: String? = ContainerFiles.defaultHosts(), hostnameFile: String? = nil,
                resolvConf: String? = ContainerFiles.resolvConf(), mounts: [SandboxMount] = [],
                stdin: Int32 = -1, stdout: Int32 = STDOUT_FILENO, stderr: Int32 = STDERR_FILENO,
                tty: Bool = false, forwardSignals: Bool = false) {
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
        self.mounts = mounts
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.tty = tty
        self.forwardSignals = forwardSignals
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
