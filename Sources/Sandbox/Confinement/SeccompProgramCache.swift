import CSeccomp
import Foundation
import OCI

/// Compiled seccomp programs kept on disk between processes: compiling docker's profile with libseccomp takes
/// ~15 ms, more than a third of a whole `strata run --rm busybox true`. A program is named by the SHA-256 of
/// everything it was compiled from (the profile's full content, the capability mask, the architecture, the kernel
/// and libseccomp's version), written atomically, and read back only if it has a program's shape; anything else
/// is compiled again. The directory is the store's, private to its owner like the rest of the store.
enum SeccompProgramCache {
    static func program(for profile: SeccompProfile, capabilities: Capabilities, directory: String?) throws -> SeccompProgram {
        guard let directory else { return try SeccompProgram.compile(profile, capabilities: capabilities) }
        let path = directory + "/" + key(profile, capabilities).encoded + ".bpf"
        if let data = FileManager.default.contents(atPath: path), data.count % 8 == 0, data.count >= 8,
           data.count <= 4096 * 8 {
            return SeccompProgram(instructions: [UInt8](data))
        }
        let program = try SeccompProgram.compile(profile, capabilities: capabilities)
        store(program, at: path, in: directory)
        return program
    }

    static func key(_ profile: SeccompProfile, _ capabilities: Capabilities) -> Digest {
        let version = seccomp_version().map { "\($0.pointee.major).\($0.pointee.minor).\($0.pointee.micro)" } ?? "?"
        let kernel = SeccompProgram.runningKernel
        let identity = "strata-seccomp v1\n\(version)\n\(SeccompProgram.hostGoArch)\n\(kernel.0).\(kernel.1)\n"
            + "\(capabilities.mask)\n" + canonicalText(profile)
        return Digest.sha256(Array(identity.utf8))
    }

    /// Every field of the profile in a fixed order, one rule a line (cheap: reflection took ~1.5 ms a run).
    static func canonicalText(_ profile: SeccompProfile) -> String {
        func filter(_ f: SeccompProfile.Filter) -> String {
            f.caps.joined(separator: ",") + "/" + f.arches.joined(separator: ",") + "/" + (f.minKernel?.description ?? "")
        }
        var lines = [profile.defaultAction.rawValue, profile.defaultErrnoRet.map(String.init) ?? "-",
                     profile.architectures.joined(separator: ","),
                     profile.archMap.map { $0.architecture + ":" + $0.subArchitectures.joined(separator: ",") }.joined(separator: ";")]
        for rule in profile.syscalls {
            let args = rule.args.map { "\($0.index) \($0.value) \($0.valueTwo) \($0.op.rawValue)" }.joined(separator: ";")
            lines.append([rule.name, rule.names.joined(separator: ","), rule.action.rawValue,
                          rule.errnoRet.map(String.init) ?? "-", args, filter(rule.includes), filter(rule.excludes)]
                .joined(separator: "|"))
        }
        return lines.joined(separator: "\n")
    }

    /// Best effort: a cache that cannot be written only costs the next process a compile.
    private static func store(_ program: SeccompProgram, at path: String, in directory: String) {
        guard (try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                          attributes: [.posixPermissions: 0o700])) != nil else { return }
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(program.instructions),
                                             attributes: [.posixPermissions: 0o600]) else { return }
        if rename(temporary, path) != 0 { unlink(temporary) }
    }
}
