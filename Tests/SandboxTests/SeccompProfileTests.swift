// SeccompProfileTests.swift — docker's seccomp profile format, the built-in copy of docker 20.10.24's default profile
// (checked against fingerprints of that release's public default.json), docker's includes/excludes resolution, and
// the BPF that libseccomp plus runc's -ENOSYS stub produce, run through a small classic-BPF interpreter.
import Foundation
import Testing
@testable import Sandbox

@Suite("Seccomp: docker profile format, default profile, BPF")
struct SeccompProfileTests {
    typealias Profile = SeccompProfile

    // MARK: The default profile against docker 20.10.24's facts

    /// FNV-1a 64, enough to pin long lists against fingerprints taken from docker's default.json.
    static func fnv(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }

    /// One line per rule: names|action|errnoRet|args|includes caps|arches|minKernel|excludes caps|arches|minKernel.
    static func canonical(_ rule: Profile.Syscall) -> String {
        let args = rule.args.map { "\($0.index):\($0.value):\($0.valueTwo):\($0.op.rawValue)" }.joined(separator: ";")
        return [
            rule.names.joined(separator: ","), rule.action.rawValue, rule.errnoRet.map { "\($0)" } ?? "", args,
            rule.includes.caps.joined(separator: ","), rule.includes.arches.joined(separator: ","),
            rule.includes.minKernel?.description ?? "", rule.excludes.caps.joined(separator: ","),
            rule.excludes.arches.joined(separator: ","), rule.excludes.minKernel?.description ?? "",
        ].joined(separator: "|")
    }

    @Test func defaultProfileIsDocker20_10_24() {
        let profile = Profile.dockerDefault
        #expect(profile.defaultAction == .errno)
        #expect(profile.defaultErrnoRet == nil)
        #expect(profile.architectures.isEmpty)
        #expect(profile.syscalls.count == 27)
        let always = profile.syscalls[0]
        #expect(always.action == .allow && always.args.isEmpty && always.includes == Profile.Filter())
        #expect(always.names.count == 346)
        #expect(Set(always.names).count == 346)
        #expect(always.names.first == "accept" && always.names.last == "writev")
        #expect(Self.fnv(always.names.joined(separator: "\n")) == 0x64a7_a160_c2fc_a5ea)
        #expect(Set(profile.syscalls.flatMap(\.names)).count == 404)
        #expect(Self.fnv(profile.syscalls.map(Self.canonical).joined(separator: "\n")) == 0xa16d_65cf_1e51_a326)
        let archMap = profile.archMap.map { "\($0.architecture):\($0.subArchitectures.joined(separator: ","))" }
        #expect(Self.fnv(archMap.joined(separator: ";")) == 0x1787_e31e_0f4c_fe41)
        #expect(Self.canonical(profile.syscalls[16]) == "clone3|SCMP_ACT_ERRNO|38|||||CAP_SYS_ADMIN||")
    }

    // MARK: Decoding

    static let sample = """
    {
      "defaultAction": "SCMP_ACT_ERRNO",
      "defaultErrnoRet": 1,
      "archMap": [
        {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
        {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}
      ],
      "unknownTopLevel": {"ignored": [1, 2, 3]},
      "syscalls": [
        {"names": ["read", "write", "exit_group", "no_such_syscall_at_all"], "action": "SCMP_ACT_ALLOW",
         "args": null, "comment": "basics", "includes": {}, "excludes": {}},
        {"name": "kill", "action": "SCMP_ACT_ALLOW"},
        {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
        {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
         "excludes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["s390", "s390x"]}},
        {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
        {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
        {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
        {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
        {"names": ["getpid"], "ACTION": "SCMP_ACT_ERRNO", "futureKey": true},
        {"names": ["mmap"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 2, "value": 4, "op": "SCMP_CMP_NE"}, {"index": 3, "value": 1, "op": "SCMP_CMP_GE"}]}
      ]
    }
    """

    @Test func decodesDockerFormat() throws {
        let profile = try Profile.decode(Data(Self.sample.utf8))
        #expect(profile.defaultAction == .errno)
        #expect(profile.defaultErrnoRet == 1)
        #expect(profile.archMap == [Profile.Architecture("SCMP_ARCH_X86_64", subArchitectures: ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]),
                                    Profile.Architecture("SCMP_ARCH_AARCH64", subArchitectures: ["SCMP_ARCH_ARM"])])
        #expect(profile.syscalls.count == 10)
        #expect(profile.syscalls[0].names.count == 4 && profile.syscalls[0].args.isEmpty)
        #expect(profile.syscalls[0].comment == "basics")
        #expect(profile.syscalls[1].name == "kill" && profile.syscalls[1].names.isEmpty)
        #expect(profile.syscalls[2].args.map(\.value) == [0, 8])
        #expect(profile.syscalls[3].args == [Profile.Argument(index: 0, value: 0x7E02_0000, op: .maskedEqual)])
        #expect(profile.syscalls[3].excludes == Profile.Filter(caps: ["CAP_SYS_ADMIN"], arches: ["s390", "s390x"]))
        #expect(profile.syscalls[5].includes.minKernel == Profile.KernelVersion(4, 8))
        #expect(profile.syscalls[7].errnoRet == 38)
        #expect(profile.syscalls[8].action == .errno)  // keys match case-insensitively, as in encoding/json
        #expect(!profile.isUnconfined)
        #expect(try Profile.decode(Data("{}".utf8)).isUnconfined)
        #expect(try Profile.decode(Data(#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"]}"#.utf8))
            .architectures == ["SCMP_ARCH_X86_64"])
    }

    static func problem(_ json: String) -> String? {
        do {
            _ = try Profile.decode(Data(json.utf8))
            return nil
        } catch {
            guard case .invalidSeccompProfile(let text) = error else { return "unexpected \(error)" }
            return text
        }
    }

    @Test func rejectsBadProfilesWithOneLine() {
        let cases: [(String, String)] = [
            (#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_FOO"}]}"#,
             #"syscalls[0].action: unknown action "SCMP_ACT_FOO""#),
            (#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW","#
                + #" "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_LIKE"}]}]}"#,
             #"syscalls[0].args[0].op: unknown operator "SCMP_CMP_LIKE""#),
            (#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW","#
                + #" "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}"#,
             "syscalls[0].args[0].index: argument index 6 is out of range 0...5"),
            (#"{"defaultAction": "SCMP_ACT_DENY"}"#, #"defaultAction: unknown action "SCMP_ACT_DENY""#),
            (#"{"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}"#, "defaultAction: missing action"),
            (#"{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_VAX"]}"#,
             #"architectures: unknown architecture "SCMP_ARCH_VAX""#),
            (#"{"defaultAction": "SCMP_ACT_ERRNO", "archMap": [{"architecture": "x86_64"}]}"#,
             #"archMap[0].architecture: unknown architecture "x86_64""#),
            (#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_NOTIFY"}]}"#,
             "syscalls[0].action: SCMP_ACT_NOTIFY is not supported"),
            (#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW","#
                + #" "includes": {"minKernel": "4"}}]}"#,
             #"syscalls[0].includes.minKernel: invalid kernel version: "4", expected "<kernel>.<major>""#),
            (#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"name": "a", "names": ["b"], "action": "SCMP_ACT_ALLOW"}]}"#,
             "syscalls[0]: 'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'"),
            (#"{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86"], "archMap": [{"architecture": "SCMP_ARCH_X86"}]}"#,
             "profile: 'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'"),
        ]
        for (json, expected) in cases {
            #expect(Self.problem(json) == expected, "\(json)")
        }
        // Malformed JSON and wrong types: still one line, naming where.
        let malformed: [(String, String)] = [
            (#"{"defaultAction": "SCMP_ACT_ERRNO", "#, "invalid JSON"),
            ("", "invalid JSON"),
            ("[]", "profile"),
            (#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": {"names": []}}"#, "syscalls"),
            (#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": "read", "action": "SCMP_ACT_ALLOW"}]}"#,
             "syscalls[0].names"),
            (#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": -1}]}"#,
             "syscalls[0].errnoRet: an unsigned integer expected"),
            (#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW","#
                + #" "args": [{"index": 0, "value": 1.5, "op": "SCMP_CMP_EQ"}]}]}"#,
             "syscalls[0].args[0].value: an unsigned integer expected"),
            (#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"]"#,
             "invalid JSON: Unexpected end of file"),
        ]
        for (json, prefix) in malformed {
            let text = Self.problem(json)
            #expect(text?.hasPrefix(prefix) == true, "\(json) gave \(text ?? "no error")")
            #expect(text?.contains("\n") == false)
        }
        #expect(ConfinementError.invalidSeccompProfile("x").description == "Decoding seccomp profile failed: x")
    }

    // MARK: docker's resolution

    static let modern = (6, 1)

    static func actions(_ rules: [ResolvedRule], _ name: String) -> [String] {
        rules.filter { $0.names.contains(name) }.map { rule in
            rule.action.rawValue + (rule.errnoRet.map { "(\($0))" } ?? "") + (rule.args.isEmpty ? "" : "?")
        }
    }

    @Test func defaultProfileFollowsCapabilities() throws {
        let profile = Profile.dockerDefault
        let plain = try profile.resolvedRules(capabilities: .dockerDefault, goArch: "amd64", kernel: Self.modern)
        let admin = try Capabilities.adjusting(add: ["SYS_ADMIN"], drop: [], privileged: false)
        let withAdmin = try profile.resolvedRules(capabilities: admin, goArch: "amd64", kernel: Self.modern)
        let all = try profile.resolvedRules(capabilities: .all, goArch: "amd64", kernel: Self.modern)

        // Facts from docker 20.10.24's default.json (amd64, kernel ≥ 4.8): rules and names passed to runc.
        #expect(plain.count == 12 && plain.reduce(0) { $0 + $1.names.count } == 357)
        #expect(all.count == 21 && all.reduce(0) { $0 + $1.names.count } == 401)

        #expect(Self.actions(plain, "mount").isEmpty)
        #expect(Self.actions(withAdmin, "mount") == ["SCMP_ACT_ALLOW"])
        #expect(Self.actions(plain, "clone3") == ["SCMP_ACT_ERRNO(38)"])
        #expect(Self.actions(withAdmin, "clone3") == ["SCMP_ACT_ALLOW"])
        #expect(Self.actions(plain, "clone") == ["SCMP_ACT_ALLOW?"])
        #expect(Self.actions(withAdmin, "clone") == ["SCMP_ACT_ALLOW"])
        #expect(Self.actions(plain, "open_by_handle_at").isEmpty)
        #expect(Self.actions(all, "open_by_handle_at") == ["SCMP_ACT_ALLOW"])
        let dacRead = try Capabilities.adjusting(add: ["CAP_DAC_READ_SEARCH"], drop: [], privileged: false)
        #expect(Self.actions(try profile.resolvedRules(capabilities: dacRead, goArch: "amd64", kernel: Self.modern),
                             "open_by_handle_at") == ["SCMP_ACT_ALLOW"])
        #expect(Self.actions(plain, "chroot") == ["SCMP_ACT_ALLOW"])  // CAP_SYS_CHROOT is a default capability
        #expect(Self.actions(plain, "reboot").isEmpty && Self.actions(all, "reboot") == ["SCMP_ACT_ALLOW"])
        #expect(Self.actions(plain, "personality") == Array(repeating: "SCMP_ACT_ALLOW?", count: 5))

        // ptrace: from kernel 4.8 on, or with CAP_SYS_PTRACE.
        #expect(Self.actions(plain, "ptrace") == ["SCMP_ACT_ALLOW"])
        let old = try profile.resolvedRules(capabilities: .dockerDefault, goArch: "amd64", kernel: (4, 4))
        #expect(Self.actions(old, "ptrace").isEmpty)
        #expect(Self.actions(try profile.resolvedRules(capabilities: .all, goArch: "amd64", kernel: (4, 4)), "ptrace")
            == ["SCMP_ACT_ALLOW"])

        // Architecture-specific rules and the archMap.
        let amd64 = try profile.resolved(capabilities: .dockerDefault, goArch: "amd64", kernel: Self.modern)
        #expect(amd64.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        #expect(amd64.rules(for: "arch_prctl").count == 1 && amd64.rules(for: "set_tls").isEmpty)
        let arm64 = try profile.resolved(capabilities: .dockerDefault, goArch: "arm64", kernel: Self.modern)
        #expect(arm64.architectures == ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"])
        #expect(arm64.rules(for: "arch_prctl").isEmpty && arm64.rules(for: "set_tls").count == 1)
        #expect(arm64.rules.count == 11 && arm64.rules.reduce(0) { $0 + $1.names.count } == 361)
        let s390x = try profile.resolved(capabilities: .dockerDefault, goArch: "s390x", kernel: Self.modern)
        #expect(s390x.architectures == ["SCMP_ARCH_S390X", "SCMP_ARCH_S390"])
        #expect(s390x.rules(for: "clone").map { $0.args.map(\.index) } == [[1]])
        #expect(amd64.rules(for: "clone").map { $0.args.map(\.index) } == [[0]])
        #expect(try profile.resolved(capabilities: .dockerDefault, goArch: "riscv64", kernel: Self.modern)
            .architectures.isEmpty)
    }

    @Test func kernelRelease() {
        #expect(SeccompProgram.parseKernelRelease("6.1.0-18-amd64")! == (6, 1))
        #expect(SeccompProgram.parseKernelRelease("3.12-1-amd64")! == (3, 12))
        #expect(SeccompProgram.parseKernelRelease("5.15rc2")! == (5, 15))
        #expect(SeccompProgram.parseKernelRelease("garbage") == nil)
        #expect(SeccompProgram.runningKernel.0 >= 3)
    }

    // MARK: BPF

    @Test func compilesDefaultProfile() throws {
        let plain = try SeccompProgram.compile(.dockerDefault, capabilities: .dockerDefault)
        let all = try SeccompProgram.compile(.dockerDefault, capabilities: .all)
        for program in [plain, all] {
            #expect(program.instructions.count % 8 == 0)
            #expect(program.count == program.instructions.count / 8)
            #expect(program.count > 100 && program.count <= 4096)
            // runc's stub comes first: load seccomp_data.arch.
            #expect(Array(program.instructions[0..<8]) == [0x20, 0, 0, 0, 4, 0, 0, 0])
        }
        #expect(plain != all)
        #expect(try SeccompProgram.compile(.dockerDefault, capabilities: .dockerDefault) == plain)  // cached
        let sample = try Profile.decode(Data(Self.sample.utf8))
        #expect(try SeccompProgram.compile(sample, capabilities: .none).count > 10)
    }

    @Test func rejectsWhatLibseccompCannotBuild() {
        var profile = Profile(defaultAction: .errno, syscalls: [
            Profile.Syscall(names: ["read"], action: .allow, args: [Profile.Argument(index: 9, value: 0, op: .equal)]),
        ])
        #expect(throws: ConfinementError.invalidSeccompProfile("argument index 9 is out of range 0...5")) {
            try SeccompProgram.compile(profile, capabilities: .none, goArch: "amd64", kernel: Self.modern)
        }
        profile.syscalls = [Profile.Syscall(names: [""], action: .allow)]
        #expect(throws: ConfinementError.invalidSeccompProfile("empty string is not a valid syscall")) {
            try SeccompProgram.compile(profile, capabilities: .none, goArch: "amd64", kernel: Self.modern)
        }
        profile.syscalls = []
        profile.architectures = ["SCMP_ARCH_VAX"]
        #expect(throws: ConfinementError.invalidSeccompProfile("unknown architecture \"SCMP_ARCH_VAX\"")) {
            try SeccompProgram.compile(profile, capabilities: .none, goArch: "amd64", kernel: Self.modern)
        }
    }

    // x86_64 system call numbers and audit architectures used below.
    static let x86_64: UInt32 = 0xC000_003E, i386: UInt32 = 0x4000_0003, aarch64: UInt32 = 0xC000_00B7
    static let allow: UInt32 = 0x7fff_0000, eperm: UInt32 = 0x0005_0001, enosys: UInt32 = 0x0005_0026

    @Test(.enabled(if: SeccompProgram.hostGoArch == "amd64", "x86_64 syscall numbers, little-endian BPF"))
    func defaultFilterDecides() throws {
        let plain = try SeccompProgram.compile(.dockerDefault, capabilities: .dockerDefault, goArch: "amd64",
                                               kernel: Self.modern)
        let all = try SeccompProgram.compile(.dockerDefault, capabilities: .all, goArch: "amd64", kernel: Self.modern)
        let run = { (program: SeccompProgram, nr: Int32, args: [UInt64]) in
            BPFMachine.run(program, arch: Self.x86_64, nr: nr, args: args)
        }
        #expect(run(plain, 0, []) == Self.allow)  // read
        #expect(run(plain, 165, []) == Self.eperm)  // mount
        #expect(run(all, 165, []) == Self.allow)
        #expect(run(plain, 435, []) == Self.enosys)  // clone3
        #expect(run(all, 435, []) == Self.allow)
        #expect(run(plain, 56, [0x0120_0011]) == Self.allow)  // clone as fork: CLONE_CHILD_SETTID|CLEARTID|SIGCHLD
        #expect(run(plain, 56, [0x1000_0011]) == Self.eperm)  // CLONE_NEWUSER
        #expect(run(all, 56, [0x1000_0011]) == Self.allow)
        #expect(run(plain, 135, [8]) == Self.allow)  // personality(UNAME26)
        #expect(run(plain, 135, [1]) == Self.eperm)
        #expect(run(plain, 304, []) == Self.eperm)  // open_by_handle_at
        #expect(run(all, 304, []) == Self.allow)
        #expect(run(plain, 101, []) == Self.allow)  // ptrace, kernel ≥ 4.8
        #expect(run(plain, 246, []) == Self.eperm)  // kexec_load, even with every capability
        #expect(run(all, 246, []) == Self.eperm)
        #expect(run(plain, 158, []) == Self.allow)  // arch_prctl
        // Newer than anything the profile names (futex_waitv, 449): ENOSYS from runc's stub, so libc falls back.
        #expect(run(plain, 452, []) == Self.enosys)  // fchmodat2
        #expect(run(plain, 1000, []) == Self.enosys)
        // x32 and i386 ABIs are covered; other architectures are killed.
        #expect(BPFMachine.run(plain, arch: Self.x86_64, nr: 0x4000_0000, args: []) == Self.allow)  // x32 read
        #expect(BPFMachine.run(plain, arch: Self.x86_64, nr: 0x4000_0000 + 165, args: []) == Self.eperm)
        #expect(BPFMachine.run(plain, arch: Self.i386, nr: 3, args: []) == Self.allow)  // i386 read
        #expect(BPFMachine.run(plain, arch: Self.i386, nr: 21, args: []) == Self.eperm)  // i386 mount
        #expect(BPFMachine.run(plain, arch: Self.i386, nr: 1000, args: []) == Self.enosys)
        #expect(BPFMachine.run(plain, arch: Self.aarch64, nr: 63, args: []) == 0)  // SCMP_ACT_KILL_THREAD
    }

    @Test(.enabled(if: SeccompProgram.hostGoArch == "amd64", "x86_64 syscall numbers, little-endian BPF"))
    func conditionsCombineAsRunc() throws {
        let profile = try Profile.decode(Data(Self.sample.utf8))
        let program = try SeccompProgram.compile(profile, capabilities: .none, goArch: "amd64", kernel: Self.modern)
        let run = { (nr: Int32, args: [UInt64]) in BPFMachine.run(program, arch: Self.x86_64, nr: nr, args: args) }
        #expect(run(0, []) == Self.allow)  // read; the unknown name beside it was skipped
        #expect(run(62, []) == Self.allow)  // kill, from the legacy "name"
        // Two conditions on argument 0: one rule each (OR).
        #expect(run(135, [0]) == Self.allow && run(135, [8]) == Self.allow && run(135, [1]) == Self.eperm)
        // Conditions on arguments 2 and 3: one rule (AND).
        #expect(run(9, [0, 0, 3, 1]) == Self.allow)
        #expect(run(9, [0, 0, 4, 1]) == Self.eperm && run(9, [0, 0, 3, 0]) == Self.eperm)
        #expect(run(165, []) == Self.eperm && run(435, []) == Self.enosys)
        #expect(run(39, []) == Self.eperm)  // getpid: same action as the default, skipped
        // The stub follows the highest number this profile names (clone3, 435).
        #expect(run(436, []) == Self.enosys && run(400, []) == Self.eperm)
    }

    @Test(.enabled(if: SeccompProgram.hostGoArch == "amd64", "x86_64 syscall numbers, little-endian BPF"))
    func errnoAndArchitectureList() throws {
        // A rule's SCMP_ACT_ERRNO without errnoRet is EPERM (runc), whatever defaultErrnoRet says.
        let profile = Profile(defaultAction: .errno, defaultErrnoRet: 38, architectures: ["SCMP_ARCH_X86_64"],
                              syscalls: [Profile.Syscall(names: ["read"], action: .allow),
                                         Profile.Syscall(names: ["write"], action: .errno),
                                         Profile.Syscall(names: ["open"], action: .errno, errnoRet: 13)])
        let program = try SeccompProgram.compile(profile, capabilities: .none, goArch: "amd64", kernel: Self.modern)
        let run = { (nr: Int32) in BPFMachine.run(program, arch: Self.x86_64, nr: nr, args: []) }
        #expect(run(0) == Self.allow && run(1) == Self.eperm && run(2) == 0x0005_000D && run(3) == Self.enosys)
        #expect(BPFMachine.run(program, arch: Self.i386, nr: 3, args: []) == 0)  // only the listed architecture
        // An allow-by-default profile gets no stub.
        let permissive = Profile(defaultAction: .allow, syscalls: [Profile.Syscall(names: ["mount"], action: .errno)])
        let open = try SeccompProgram.compile(permissive, capabilities: .none, goArch: "amd64", kernel: Self.modern)
        #expect(BPFMachine.run(open, arch: Self.x86_64, nr: 165, args: []) == Self.eperm)
        #expect(BPFMachine.run(open, arch: Self.x86_64, nr: 1000, args: []) == Self.allow)
    }
}

/// A classic-BPF interpreter for seccomp programs (`struct seccomp_data` input), enough for libseccomp's output.
enum BPFMachine {
    static func run(_ program: SeccompProgram, arch: UInt32, nr: Int32, args: [UInt64]) -> UInt32 {
        var data = [UInt8](repeating: 0, count: 64)
        func put<T>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value) { for (i, byte) in $0.enumerated() { data[offset + i] = byte } }
        }
        put(nr, at: 0)
        put(arch, at: 4)
        for (i, arg) in args.enumerated() { put(arg, at: 16 + 8 * i) }
        func word(_ offset: UInt32) -> UInt32 {
            let o = Int(offset)
            guard o + 4 <= data.count else { return 0 }
            return data[o..<o + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) }
        }
        let bytes = program.instructions
        var a: UInt32 = 0, x: UInt32 = 0, memory = [UInt32](repeating: 0, count: 16), pc = 0
        while pc < program.count {
            let base = pc * 8
            let code = UInt16(bytes[base]) | UInt16(bytes[base + 1]) << 8
            let jt = Int(bytes[base + 2]), jf = Int(bytes[base + 3])
            let k = bytes[base + 4..<base + 8].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            pc += 1
            switch code {
            case 0x20: a = word(k)  // ld [k]
            case 0x00: a = k
            case 0x01: x = k
            case 0x60: a = memory[Int(k)]
            case 0x61: x = memory[Int(k)]
            case 0x02: memory[Int(k)] = a
            case 0x03: memory[Int(k)] = x
            case 0x04: a &+= k
            case 0x14: a &-= k
            case 0x44: a |= k
            case 0x54: a &= k
            case 0x64: a <<= k
            case 0x74: a >>= k
            case 0x07: x = a  // tax
            case 0x87: a = x  // txa
            case 0x05: pc += Int(k)
            case 0x15: pc += a == k ? jt : jf
            case 0x25: pc += a > k ? jt : jf
            case 0x35: pc += a >= k ? jt : jf
            case 0x45: pc += a & k != 0 ? jt : jf
            case 0x1d: pc += a == x ? jt : jf
            case 0x2d: pc += a > x ? jt : jf
            case 0x3d: pc += a >= x ? jt : jf
            case 0x06: return k
            case 0x16: return a
            default:
                Issue.record("unsupported BPF opcode 0x\(String(code, radix: 16)) at \(pc - 1)")
                return 0xdead_beef
            }
        }
        Issue.record("ran off the end of the program")
        return 0xdead_beef
    }
}
