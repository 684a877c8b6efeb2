import Foundation
import Testing
@testable import Sandbox

/// docker 20.10's capability and --security-opt rules (moby oci/caps and daemon parseSecurityOpt), checked
/// against the masks docker's containers show in /proc/self/status.
@Suite("confinement settings")
struct ConfinementUnitTests {
    @Test func defaultAndAllMasksAreDockers() {
        #expect(Capabilities.dockerDefault.description == "00000000a80425fb")
        #expect(Capabilities.all.description == "0000003fffffffff")
        #expect(Capabilities.dockerDefault.memberNames.count == 14)
    }

    @Test func addAndDropFollowDocker() throws {
        let added = try Capabilities.adjusting(add: ["net_admin"], drop: ["CAP_CHOWN"], privileged: false)
        #expect(added.contains("CAP_NET_ADMIN") && !added.contains("CAP_CHOWN"))
        #expect(try Capabilities.adjusting(add: [], drop: ["ALL"], privileged: false) == .none)
        #expect(try Capabilities.adjusting(add: ["NET_RAW"], drop: ["all"], privileged: false).memberNames == ["CAP_NET_RAW"])
        let everything = try Capabilities.adjusting(add: ["ALL"], drop: ["SYS_ADMIN"], privileged: false)
        #expect(everything.mask == Capabilities.all.mask & ~(UInt64(1) << 21))
        #expect(try Capabilities.adjusting(add: ["bogus"], drop: [], privileged: true) == .all)
    }

    @Test func unknownCapabilityIsOneLineInDockersWords() {
        #expect(throws: ConfinementError.unknownCapability("CAP_FOO", field: "CapAdd")) {
            try Capabilities.adjusting(add: ["foo"], drop: [], privileged: false)
        }
        #expect(ConfinementError.unknownCapability("CAP_BAR", field: "CapDrop").description
                == "invalid CapDrop: unknown capability: \"CAP_BAR\"")
    }

    @Test func securityOptions() throws {
        let nnp = try SandboxSecurity.dockerRun(privileged: false, capAdd: [], capDrop: [], securityOptions: ["no-new-privileges"])
        #expect(nnp.noNewPrivileges)
        let off = try SandboxSecurity.dockerRun(privileged: false, capAdd: [], capDrop: [],
                                                securityOptions: ["no-new-privileges:true", "no-new-privileges=false"])
        #expect(!off.noNewPrivileges)
        let unconfined = try SandboxSecurity.dockerRun(privileged: false, capAdd: [], capDrop: [], securityOptions: ["seccomp=unconfined"])
        if case .unconfined = unconfined.seccomp {} else { Issue.record("seccomp=unconfined not honoured") }
        let paths = try SandboxSecurity.dockerRun(privileged: false, capAdd: [], capDrop: [],
                                                  securityOptions: ["systempaths=unconfined", "apparmor=unconfined", "label=disable"])
        #expect(paths.unmaskedPaths && !paths.writableSysfs)
        let privileged = try SandboxSecurity.dockerRun(privileged: true, capAdd: [], capDrop: [], securityOptions: [])
        #expect(privileged.capabilities == .all && privileged.hostDevices && privileged.limitToHeldCapabilities)
        if case .unconfined = privileged.seccomp {} else { Issue.record("--privileged keeps a filter") }
    }

    @Test func badSecurityOptionsAreOneLine() {
        let cases: [(String, String)] = [
            ("bogus", "Invalid --security-opt: \"bogus\""),
            ("foo=bar", "invalid --security-opt 2: \"foo=bar\""),
            ("no-new-privileges=maybe", "invalid --security-opt 2: \"no-new-privileges=maybe\""),
            ("seccomp=", "Invalid --security-opt: \"seccomp=\""),
            ("seccomp=/nonexistent/p.json", "opening seccomp profile (/nonexistent/p.json) failed: open /nonexistent/p.json: no such file or directory"),
        ]
        for (option, message) in cases {
            #expect(throws: ConfinementError.invalidSecurityOption(message)) {
                try SandboxSecurity.dockerRun(privileged: false, capAdd: [], capDrop: [], securityOptions: [option])
            }
        }
    }

    @Test func malformedProfileFileIsOneLine() throws {
        let path = NSTemporaryDirectory() + "strata-unit-profile-\(UUID().uuidString).json"
        defer { unlink(path) }
        for body in ["{bad", "[]", "{\"defaultAction\": 3}", "{\"defaultAction\": \"SCMP_ACT_BOGUS\"}", String(repeating: "[", count: 100_000)] {
            try body.write(toFile: path, atomically: true, encoding: .utf8)
            do {
                _ = try SandboxSecurity.dockerRun(privileged: false, capAdd: [], capDrop: [], securityOptions: ["seccomp=\(path)"])
                Issue.record("accepted \(body.prefix(40))")
            } catch {
                #expect(!"\(error)".contains("\n"), "\(error)")
            }
        }
    }

    @Test func legacyTemporaryLeftoversAreSwept() throws {
        let directory = NSTemporaryDirectory() + "strata-unit-leftovers-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/strata-secret-old", withIntermediateDirectories: true)
        try "s3cret".write(toFile: directory + "/strata-secret-old/secret", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: directory + "/strata-sandbox-young", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory + "/unrelated", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let old = Date().addingTimeInterval(-3600)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: directory + "/strata-secret-old")
        TemporaryLeftovers.sweep(directory)
        #expect(!FileManager.default.fileExists(atPath: directory + "/strata-secret-old"))
        #expect(FileManager.default.fileExists(atPath: directory + "/strata-sandbox-young"))
        #expect(FileManager.default.fileExists(atPath: directory + "/unrelated"))
    }

    @Test func compiledFiltersAreKeptOnDiskAndCheckedBeforeUse() throws {
        let directory = NSTemporaryDirectory() + "strata-unit-seccomp-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try SeccompProgramCache.program(for: .dockerDefault, capabilities: .dockerDefault, directory: directory)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".bpf") }
        #expect(files.count == 1)
        let path = directory + "/" + files[0]
        #expect(try SeccompProgramCache.program(for: .dockerDefault, capabilities: .dockerDefault, directory: directory) == first)
        // A damaged entry is not used: the program is compiled again and the entry replaced.
        try Data([1, 2, 3, 4, 5]).write(to: URL(fileURLWithPath: path))
        #expect(try SeccompProgramCache.program(for: .dockerDefault, capabilities: .dockerDefault, directory: directory) == first)
        #expect(FileManager.default.contents(atPath: path) == Data(first.instructions))
        // An entry others could have written is not trusted.
        chmod(path, 0o666)
        try Data(repeating: 0, count: 16).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o666)
        #expect(try SeccompProgramCache.program(for: .dockerDefault, capabilities: .dockerDefault, directory: directory) == first)
        // Other capabilities (other rules apply) are another entry.
        let admin = try Capabilities.adjusting(add: ["SYS_ADMIN"], drop: [], privileged: false)
        let second = try SeccompProgramCache.program(for: .dockerDefault, capabilities: admin, directory: directory)
        #expect(second != first)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".bpf") }.count == 2)
    }
}
