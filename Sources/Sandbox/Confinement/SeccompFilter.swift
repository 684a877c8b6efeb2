// SeccompFilter.swift — compiles a docker seccomp profile (SeccompProfile) into the classic-BPF program the sandbox
// hands to seccomp(SECCOMP_SET_MODE_FILTER): docker 20.10's includes/excludes resolution, then runc 1.1's use of
// libseccomp (rule per syscall name, unknown names skipped, rules equal to the default skipped, OR-ing conditions on a
// repeated argument, no_new_privs left to the caller, binary-tree optimisation past 32 names) and runc's -ENOSYS
// stub, prepended so that system calls newer than any the profile names fail with ENOSYS (which libc falls back
// from) instead of the default EPERM. Compiled programs are cached per profile, capabilities, architecture, kernel.
import Archive
import CSeccomp
import Foundation
import OCI
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A seccomp BPF program: `count` `struct sock_filter` entries (8 bytes each, host byte order).
public struct SeccompProgram: Sendable, Hashable {
    /// The raw `struct sock_filter` array, ready for `struct sock_fprog`.
    public var instructions: [UInt8]
    /// Number of instructions (`instructions.count / 8`).
    public var count: Int

    public init(instructions: [UInt8]) {
        self.instructions = instructions
        self.count = instructions.count / 8
    }

    /// The GOARCH docker would run as on this machine ("amd64" on x86_64, "arm64" on aarch64): OCI's host platform.
    public static let hostGoArch: String = Platform.host.architecture

    /// The running kernel's version and major revision from uname(2) (`6.1.0-18-amd64` is (6, 1)); (0, 0) when
    /// unreadable, which no `minKernel` is satisfied by.
    public static let runningKernel: (Int, Int) = {
        var names = utsname()
        guard uname(&names) == 0 else { return (0, 0) }
        let release = withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return parseKernelRelease(release) ?? (0, 0)
    }()

    /// `%d.%d` at the start of a kernel release string, as docker reads it.
    static func parseKernelRelease(_ release: String) -> (Int, Int)? {
        let numbers = release.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard numbers.count >= 2, let kernel = Int(numbers[0]) else { return nil }
        let majorDigits = numbers[1].prefix { $0.isASCII && $0.isNumber }
        guard let major = Int(majorDigits) else { return nil }
        return (kernel, major)
    }

    /// Compiles `profile` for a container whose bounding set is `capabilities`, as docker 20.10 with runc 1.1 would
    /// on a `goArch` machine running `kernel`. Any problem is one line: `.invalidSeccompProfile` for the profile,
    /// `.seccompCompile` for what libseccomp refused.
    public static func compile(_ profile: SeccompProfile, capabilities: Capabilities,
                               goArch: String = SeccompProgram.hostGoArch,
                               kernel: (Int, Int) = SeccompProgram.runningKernel) throws(ConfinementError)
        -> SeccompProgram
    {
        let key = CacheKey(profile: profile, capabilities: capabilities.mask, goArch: goArch,
                           kernel: kernel.0, major: kernel.1)
        if let program = cache.withLock({ $0[key] }) { return program }
        let resolved = try profile.resolved(capabilities: capabilities, goArch: goArch, kernel: kernel)
        let program = try build(resolved)
        cache.withLock { programs in
            if programs.count >= 32 { programs.removeAll() }
            programs[key] = program
        }
        return program
    }

    // MARK: Cache

    private struct CacheKey: Hashable, Sendable {
        var profile: SeccompProfile
        var capabilities: UInt64
        var goArch: String
        var kernel: Int
        var major: Int
    }

    /// Compiled programs; a handful of profiles × capability sets in practice, emptied if it ever reaches 32.
    private static let cache = Mutex<[CacheKey: SeccompProgram]>([:])

    // MARK: libseccomp

    private static func build(_ profile: ResolvedProfile) throws(ConfinementError) -> SeccompProgram {
        let defaultAction = profile.defaultAction.scmpAction(errnoRet: profile.defaultErrnoRet)
        guard let context = seccomp_init(defaultAction) else {
            throw .seccompCompile("creating the filter", -EINVAL)
        }
        defer { seccomp_release(context) }

        try check(seccomp_attr_set(context, SCMP_FLTATR_CTL_NNP, 0), "clearing the no_new_privs attribute")
        let nameCount = profile.rules.reduce(0) { $0 + $1.names.count }
        if nameCount > 32 {
            // As runc: a binary tree of syscall numbers instead of a linear scan; not fatal if unsupported.
            _ = seccomp_attr_set(context, SCMP_FLTATR_CTL_OPTIMIZE, 2)
        }
        for arch in profile.architectures {
            let token = try architectureToken(arch)
            let rc = seccomp_arch_add(context, token)
            if rc != 0 && rc != -EEXIST { throw .seccompCompile("adding architecture \(arch)", rc) }
        }
        for rule in profile.rules {
            try add(rule, to: context, defaultAction: defaultAction)
        }

        var bytes = try export(context)
        if ![.allow, .log, .trace].contains(profile.defaultAction) {
            bytes = try enosysStub(profile) + bytes
        }
        let program = SeccompProgram(instructions: bytes)
        if program.count > 4096 {
            throw .seccompCompile("a filter of \(program.count) instructions is longer than the kernel's 4096", -EINVAL)
        }
        return program
    }

    private static func add(_ rule: ResolvedRule, to context: scmp_filter_ctx,
                            defaultAction: UInt32) throws(ConfinementError) {
        let action = rule.action.scmpAction(errnoRet: rule.errnoRet)
        var conditions: [scmp_arg_cmp] = []
        var perIndex = [Int](repeating: 0, count: 6)
        for arg in rule.args {
            guard arg.index <= 5 else {
                throw .invalidSeccompProfile("argument index \(arg.index) is out of range 0...5")
            }
            perIndex[Int(arg.index)] += 1
            conditions.append(scmp_arg_cmp(arg: UInt32(arg.index), op: arg.op.scmpCompare,
                                           datum_a: arg.value, datum_b: arg.valueTwo))
        }
        // A condition repeated on one argument could never hold with AND: runc adds one rule per condition.
        let groups = perIndex.contains { $0 > 1 } ? conditions.map { [$0] } : [conditions]
        for name in rule.names {
            if name.isEmpty { throw .invalidSeccompProfile("empty string is not a valid syscall") }
            if action == defaultAction { continue }
            let number = seccomp_syscall_resolve_name(name)
            if number == __NR_SCMP_ERROR { continue }  // unknown to libseccomp: runc ignores it
            for group in groups {
                let rc = group.withUnsafeBufferPointer { buffer in
                    seccomp_rule_add_array(context, action, number, UInt32(buffer.count), buffer.baseAddress)
                }
                try check(rc, "adding the rule for \(name)")
            }
        }
    }

    private static func export(_ context: scmp_filter_ctx) throws(ConfinementError) -> [UInt8] {
        let fd = try memfd("seccomp-bpf")
        defer { close(fd) }
        try check(seccomp_export_bpf(context, fd), "exporting the filter")
        guard lseek(fd, 0, SEEK_SET) == 0 else { throw .seccompCompile("reading the filter back", -errno) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = chunk.withUnsafeMutableBytes { buffer in FileDescriptorIO.retryingInterrupts { read(fd, buffer.baseAddress, buffer.count) } }
            if n < 0 { throw .seccompCompile("reading the filter back", -errno) }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        guard !bytes.isEmpty, bytes.count % 8 == 0 else {
            throw .seccompCompile("libseccomp exported \(bytes.count) bytes, not whole instructions", -EINVAL)
        }
        return bytes
    }

    private typealias MemfdCreate = @convention(c) (UnsafePointer<CChar>, UInt32) -> Int32

    /// memfd_create(2) (MFD_CLOEXEC); looked up at run time because Glibc's Swift module does not export it.
    private static func memfd(_ name: String) throws(ConfinementError) -> Int32 {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "memfd_create") else {
            throw .seccompCompile("memfd_create", -ENOSYS)
        }
        let create = unsafeBitCast(symbol, to: MemfdCreate.self)
        let fd = create(name, 1)
        if fd < 0 { throw .seccompCompile("memfd_create", -errno) }
        return fd
    }

    private static func check(_ rc: Int32, _ what: String) throws(ConfinementError) {
        if rc != 0 { throw .seccompCompile(what, rc) }
    }

    /// libseccomp's token for `SCMP_ARCH_X86_64` and the like.
    static func architectureToken(_ name: String) throws(ConfinementError) -> UInt32 {
        guard name.hasPrefix("SCMP_ARCH_") else {
            throw .invalidSeccompProfile("unknown architecture \"\(name)\"")
        }
        let token = seccomp_arch_resolve_name(String(name.dropFirst("SCMP_ARCH_".count)).lowercased())
        if token == 0 { throw .invalidSeccompProfile("unknown architecture \"\(name)\"") }
        return token
    }

    // MARK: runc's -ENOSYS stub

    /// One classic-BPF instruction (`struct sock_filter`).
    struct Instruction: Equatable {
        var code: UInt16
        var jt: UInt8 = 0
        var jf: UInt8 = 0
        var k: UInt32

        static func loadWord(at offset: UInt32) -> Self { Self(code: 0x20, k: offset) }  // BPF_LD|BPF_W|BPF_ABS
        static func jump(_ skip: UInt32) -> Self { Self(code: 0x05, k: skip) }  // BPF_JMP|BPF_JA
        static func jeq(_ k: UInt32, _ jt: UInt8, _ jf: UInt8) -> Self { Self(code: 0x15, jt: jt, jf: jf, k: k) }
        static func jgt(_ k: UInt32, _ jt: UInt8, _ jf: UInt8) -> Self { Self(code: 0x25, jt: jt, jf: jf, k: k) }
        static func jset(_ k: UInt32, _ jt: UInt8, _ jf: UInt8) -> Self { Self(code: 0x45, jt: jt, jf: jf, k: k) }
        static func ret(_ k: UInt32) -> Self { Self(code: 0x06, k: k) }  // BPF_RET|BPF_K

        var bytes: [UInt8] {
            withUnsafeBytes(of: code) { Array($0) } + [jt, jf] + withUnsafeBytes(of: k) { Array($0) }
        }
    }

    static let returnENOSYS: UInt32 = 0x0005_0000 | UInt32(ENOSYS)  // SCMP_ACT_ERRNO(ENOSYS)
    static let x32SyscallBit: UInt32 = 0x4000_0000

    /// runc 1.1's patchbpf stub: per filter architecture, a system call numbered above the highest one the profile
    /// names (for that architecture) returns ENOSYS; everything else falls through to libseccomp's program.
    static func enosysStub(_ profile: ResolvedProfile) throws(ConfinementError) -> [UInt8] {
        try enosysInstructions(profile).flatMap(\.bytes)
    }

    static func enosysInstructions(_ profile: ResolvedProfile) throws(ConfinementError) -> [Instruction] {
        let x86_64 = seccomp_arch_resolve_name("x86_64")
        let x32 = seccomp_arch_resolve_name("x32")
        let s390 = seccomp_arch_resolve_name("s390"), s390x = seccomp_arch_resolve_name("s390x")
        let names = profile.rules.flatMap(\.names)

        // Highest number per (AUDIT_ARCH value, libseccomp architecture), in the profile's architecture order.
        var last: [(audit: UInt32, syscalls: [(arch: UInt32, number: UInt32)])] = []
        for arch in profile.architectures {
            let token = try architectureToken(arch)
            let audit = token == x32 ? x86_64 : token  // SCMP_ARCH_X32 is not an AUDIT_ARCH value
            var group = last.firstIndex { $0.audit == audit }
            if group == nil {
                last.append((audit, []))
                group = last.count - 1
            }
            if last[group!].syscalls.contains(where: { $0.arch == token }) { continue }
            var largest: Int32 = 0
            for name in names {
                largest = max(largest, seccomp_syscall_resolve_name_arch(token, name))
            }
            if largest > 0 { last[group!].syscalls.append((token, UInt32(largest))) }
        }

        // Built from the end, so that jumps counted from the end stay right as sections are prepended.
        var tail: [Instruction] = [.jump(1), .ret(returnENOSYS)]
        var jumpTable: [UInt32: Int] = [:]
        for (audit, syscalls) in last.reversed() where !syscalls.isEmpty {
            let toEnosys = tail.count - 1
            let toFilter = UInt32(toEnosys + 1)
            var section: [Instruction] = [.loadWord(at: 0)]
            switch syscalls.count {
            case 1:
                let (arch, number) = syscalls[0]
                if arch == s390 || arch == s390x {
                    // Unknown large syscall numbers arrive as setup(2), number 0.
                    section += [.jeq(0, 0, 1), .ret(returnENOSYS)]
                }
                var sectionTail: [Instruction]
                if toEnosys + 1 <= 255 {
                    sectionTail = [.jgt(number, UInt8(toEnosys + 1), 0), .jump(toFilter)]
                } else {
                    sectionTail = [.jgt(number, 0, 1), .ret(returnENOSYS), .jump(toFilter)]
                }
                if audit == x86_64 {
                    let skip = UInt8(sectionTail.count - 1)
                    sectionTail.insert(arch == x32 ? .jset(x32SyscallBit, 0, skip) : .jset(x32SyscallBit, skip, 0),
                                       at: 0)
                }
                section += sectionTail
            case 2:
                guard audit == x86_64, let x32Last = syscalls.first(where: { $0.arch == x32 })?.number,
                      let x86Last = syscalls.first(where: { $0.arch == x86_64 })?.number
                else {
                    throw .seccompCompile("unknown architecture overlap in the -ENOSYS stub", -EINVAL)
                }
                if toEnosys + 2 <= 255 {
                    section += [.jset(x32SyscallBit, 1, 0), .jgt(x86Last, UInt8(toEnosys + 2), 1),
                                .jgt(x32Last, UInt8(toEnosys + 1), 0), .jump(toFilter)]
                } else {
                    section += [.jset(x32SyscallBit, 1, 0), .jgt(x86Last, 1, 2), .jgt(x32Last, 0, 1),
                                .ret(returnENOSYS), .jump(toFilter)]
                }
            default:
                throw .seccompCompile("unknown architecture overlap in the -ENOSYS stub", -EINVAL)
            }
            tail = section + tail
            jumpTable[audit] = tail.count
        }
        // Architectures not listed fall through to the filter (which applies its bad-architecture action).
        tail.insert(.jump(UInt32(tail.count)), at: 0)
        for (audit, _) in last.reversed() {
            guard let fromEnd = jumpTable[audit] else { continue }
            let jump = tail.count - fromEnd
            if jump <= 255 {
                tail.insert(.jeq(audit, UInt8(jump), 0), at: 0)
            } else {
                tail.insert(contentsOf: [.jeq(audit, 0, 1), .jump(UInt32(jump))], at: 0)
            }
        }
        tail.insert(.loadWord(at: 4), at: 0)
        return tail
    }
}

extension SeccompProfile.Action {
    /// libseccomp's action value; ERRNO and TRACE carry `errnoRet` (EPERM when nil), as runc 1.1 builds them.
    func scmpAction(errnoRet: UInt?) -> UInt32 {
        let data = UInt32(truncatingIfNeeded: errnoRet ?? UInt(EPERM)) & 0xffff
        switch self {
        case .kill, .killThread: return 0x0000_0000  // SCMP_ACT_KILL_THREAD
        case .killProcess: return 0x8000_0000
        case .trap: return 0x0003_0000
        case .errno: return 0x0005_0000 | data
        case .trace: return 0x7ff0_0000 | data
        case .log: return 0x7ffc_0000
        case .allow: return 0x7fff_0000
        }
    }
}

extension SeccompProfile.Operator {
    var scmpCompare: scmp_compare {
        switch self {
        case .notEqual: return SCMP_CMP_NE
        case .lessThan: return SCMP_CMP_LT
        case .lessOrEqual: return SCMP_CMP_LE
        case .equal: return SCMP_CMP_EQ
        case .greaterOrEqual: return SCMP_CMP_GE
        case .greaterThan: return SCMP_CMP_GT
        case .maskedEqual: return SCMP_CMP_MASKED_EQ
        }
    }
}
