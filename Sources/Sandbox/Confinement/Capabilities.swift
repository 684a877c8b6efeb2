/// Linux capabilities as docker 20.10 names and grants them (`--cap-add`, `--cap-drop`, `--privileged`).
public struct Capabilities: Sendable, Hashable, CustomStringConvertible {
    /// Bit n set = capability n.
    public var mask: UInt64

    public init(mask: UInt64) { self.mask = mask }

    /// Capability names in kernel order (`CAP_CHOWN` is 0). docker 20.10 knows the first 38, up to
    /// CAP_AUDIT_READ: it withholds CAP_PERFMON, CAP_BPF and CAP_CHECKPOINT_RESTORE even from --privileged.
    public static let names = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
        "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
    ]

    /// The 14 capabilities docker (and BuildKit) give every container: `CapEff: 00000000a80425fb`.
    public static let dockerDefault = Capabilities(names: [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE",
    ])

    /// Every capability docker grants `--privileged`: `CapEff: 0000003fffffffff`.
    public static let all = Capabilities(mask: (UInt64(1) << UInt64(names.count)) - 1)

    public static let none = Capabilities(mask: 0)

    init(names: [String]) {
        var mask: UInt64 = 0
        for name in names {
            if let bit = Self.names.firstIndex(of: name) { mask |= UInt64(1) << UInt64(bit) }
        }
        self.mask = mask
    }

    public func contains(_ name: String) -> Bool {
        guard let bit = Self.names.firstIndex(of: name) else { return false }
        return mask & (UInt64(1) << UInt64(bit)) != 0
    }

    /// The names held, in kernel order.
    public var memberNames: [String] {
        Self.names.enumerated().filter { mask & (UInt64(1) << UInt64($0.offset)) != 0 }.map(\.element)
    }

    /// `/proc/self/status` spelling (`00000000a80425fb`).
    public var description: String {
        let hex = String(mask, radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex
    }

    /// docker's rules for `--cap-add`/`--cap-drop` over `base`: names are case-insensitive with or without `CAP_`;
    /// `ALL` in the adds grants everything but the drops, `ALL` in the drops keeps only the adds, otherwise drops
    /// apply before adds. `--privileged` grants everything and ignores both lists.
    public static func adjusting(_ base: Capabilities = .dockerDefault, add: [String], drop: [String],
                                 privileged: Bool) throws(ConfinementError) -> Capabilities {
        if privileged { return .all }
        if add.isEmpty && drop.isEmpty { return base }
        let drops = try normalized(drop, list: "CapDrop")
        let adds = try normalized(add, list: "CapAdd")
        if adds.contains("ALL") {
            return Capabilities(mask: all.mask & ~Capabilities(names: drops).mask)
        }
        if drops.contains("ALL") { return Capabilities(names: adds) }
        return Capabilities(mask: (base.mask & ~Capabilities(names: drops).mask) | Capabilities(names: adds).mask)
    }

    private static func normalized(_ list: [String], list field: String) throws(ConfinementError) -> [String] {
        var result: [String] = []
        for entry in list {
            var name = entry.uppercased()
            if name == "ALL" { result.append(name); continue }
            if !name.hasPrefix("CAP_") { name = "CAP_" + name }
            guard names.contains(name) else { throw .unknownCapability(name, field: field) }
            result.append(name)
        }
        return result
    }
}

/// Confinement settings that cannot be honoured, with a kind the CLI words as docker does.
public enum ConfinementError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `invalid CapAdd: unknown capability: "CAP_FOO"` (docker's text; `field` is CapAdd or CapDrop).
    case unknownCapability(String, field: String)
    /// A seccomp profile that does not parse or names an unknown action, operator or architecture.
    case invalidSeccompProfile(String)
    /// libseccomp refused the filter (what, -errno).
    case seccompCompile(String, Int32)
    /// `--security-opt` value docker does not know.
    case invalidSecurityOption(String)

    public var description: String {
        switch self {
        case .unknownCapability(let name, let field): return "invalid \(field): unknown capability: \"\(name)\""
        case .invalidSeccompProfile(let detail): return "Decoding seccomp profile failed: \(detail)"
        case .seccompCompile(let what, let code):
            return "seccomp: \(what): \(SandboxError.goErrorText(code < 0 ? -code : code))"
        case .invalidSecurityOption(let text): return text
        }
    }
}
