import Foundation

/// Which seccomp filter a container gets.
public enum SeccompChoice: Sendable {
    /// docker 20.10's default profile, conditioned on the container's capabilities.
    case dockerDefault
    /// No filter (`--security-opt seccomp=unconfined`, `--privileged`).
    case unconfined
    /// A profile in docker's JSON format (`--security-opt seccomp=PROFILE.json`).
    case profile(SeccompProfile)
}

/// How a container is confined. The default is what docker 20.10 and its BuildKit give every container and RUN
/// step: 14 capabilities in the bounding, permitted and effective sets, the default seccomp profile, masked and
/// read-only /proc paths, a read-only /sys. no_new_privs is off by default, as in docker.
public struct SandboxSecurity: Sendable {
    public var capabilities: Capabilities = .dockerDefault
    public var seccomp: SeccompChoice = .dockerDefault
    public var noNewPrivileges = false
    /// /proc and /sys paths left unmasked and writable (`--privileged`, `--security-opt systempaths=unconfined`).
    public var unmaskedPaths = false
    /// /sys mounted read-write (`--privileged`).
    public var writableSysfs = false
    /// Every host device node in the container's /dev (`--privileged`).
    public var hostDevices = false
    /// Grant only those of `capabilities` this process holds (`--privileged` on a host whose own bounding set is
    /// short: docker fails there with "unable to apply caps", BuildKit's insecure mode grants what it has).
    public var limitToHeldCapabilities = false

    public init() {}

    /// docker's default confinement.
    public static let docker = SandboxSecurity()

    /// `--privileged` (and BuildKit's `RUN --security=insecure`): every capability, no seccomp filter, no masked
    /// paths, a writable /sys and the host's devices.
    public static var privileged: SandboxSecurity {
        var security = SandboxSecurity()
        security.capabilities = .all
        security.seccomp = .unconfined
        security.unmaskedPaths = true
        security.writableSysfs = true
        security.hostDevices = true
        security.limitToHeldCapabilities = true
        return security
    }

    /// The confinement `docker run` derives from `--privileged`, `--cap-add`, `--cap-drop` and `--security-opt`
    /// (`seccomp=unconfined|PROFILE.json`, `no-new-privileges[=true|false]`, `systempaths=unconfined`;
    /// `apparmor=` and `label=` are accepted and have no effect: Strata has no LSM profiles). A seccomp profile
    /// file is read here, as docker's client reads it.
    public static func dockerRun(privileged: Bool, capAdd: [String], capDrop: [String],
                                 securityOptions: [String]) throws(ConfinementError) -> SandboxSecurity {
        var security = privileged ? SandboxSecurity.privileged : SandboxSecurity()
        security.capabilities = try Capabilities.adjusting(add: capAdd, drop: capDrop, privileged: privileged)
        var seccomp: SeccompChoice?
        for option in securityOptions {
            if option == "no-new-privileges" { security.noNewPrivileges = true; continue }
            // docker accepts `key=value` and, deprecated, `key:value`.
            let separator: Character = option.contains("=") ? "=" : ":"
            let parts = option.split(separator: separator, maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, !parts[1].isEmpty else { throw .invalidSecurityOption("Invalid --security-opt: \"\(option)\"") }
            switch parts[0] {
            case "seccomp":
                if parts[1] == "unconfined" { seccomp = .unconfined; continue }
                let data: Data
                do { data = try Data(contentsOf: URL(fileURLWithPath: parts[1])) } catch {
                    throw .invalidSecurityOption("opening seccomp profile (\(parts[1])) failed: open \(parts[1]): \(Self.reason(error))")
                }
                seccomp = .profile(try SeccompProfile.decode(data))
            case "no-new-privileges":
                switch parts[1].lowercased() {
                case "1", "t", "true": security.noNewPrivileges = true
                case "0", "f", "false": security.noNewPrivileges = false
                default: throw .invalidSecurityOption("invalid --security-opt 2: \"\(option)\"")
                }
            case "systempaths":
                guard parts[1] == "unconfined" else { throw .invalidSecurityOption("invalid --security-opt 2: \"\(option)\"") }
                security.unmaskedPaths = true
            case "apparmor", "label":
                continue
            default:
                throw .invalidSecurityOption("invalid --security-opt 2: \"\(option)\"")
            }
        }
        // docker: a privileged container runs without a filter whatever profile was named.
        if !privileged, let seccomp { security.seccomp = seccomp }
        return security
    }

    private static func reason(_ error: Error) -> String {
        let code = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.code ?? Int(ENOENT)
        return SandboxError.goErrorText(Int32(code))
    }
}
