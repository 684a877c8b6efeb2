import OCI
import Foundation

/// Sandbox failures, worded as docker 20.10 reports them; `exitStatus` is what `docker run` exits with.
public enum SandboxError: Error, Equatable, Sendable, CustomStringConvertible {
    case userNotFound(String)
    case groupNotFound(String)
    case notADirectory(String)
    /// A system call failed in the parent (`what`, errno).
    case system(String, Int32)
    /// Container setup failed in the child before execve (`step`, errno).
    case setup(String, Int32)
    /// The command could not be started; the text is runc's (`exec: "x": executable file not found in $PATH`).
    case startFailed(String)
    /// A memory limit was asked for but no usable cgroup hierarchy is there (the reason).
    case cgroupUnavailable(String)

    public var description: String {
        switch self {
        case .userNotFound(let name): return "unable to find user \(name): no matching entries in passwd file"
        case .groupNotFound(let name): return "unable to find group \(name): no matching entries in group file"
        case .notADirectory(let path): return "\(path): not a directory"
        case .system(let what, let code): return "\(what): \(SandboxError.goErrorText(code))"
        case .setup(let step, let code): return "container setup failed: \(step): \(SandboxError.goErrorText(code))"
        case .startFailed(let text): return text
        case .cgroupUnavailable(let reason):
            return "a memory limit (-m, --memory) needs cgroup v2 with the memory controller, writable at /sys/fs/cgroup "
                + "(or cgroup v1's memory hierarchy at /sys/fs/cgroup/memory): \(reason)"
        }
    }

    /// docker's CLI: 127 when the command was not found, 126 when it could not be invoked, else 125.
    public var exitStatus: Int32 {
        guard case .startFailed(let text) = self else { return 125 }
        if text.contains("executable file not found") || text.contains("no such file or directory") { return 127 }
        if text.contains("permission denied") { return 126 }
        return 125
    }

    /// Go spells errno texts in lower case ("no such file or directory").
    static func goErrorText(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        guard let first = text.first else { return text }
        return first.lowercased() + text.dropFirst()
    }
}

extension SandboxError: KindedError {
    public var kind: ErrorKind {
        switch self {
        case .userNotFound, .groupNotFound, .notADirectory, .startFailed: .invalidArgument
        case .system, .setup, .cgroupUnavailable: .internal
        }
    }
}
