import Archive
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
        if let bytes = trustedContents(path), bytes.count % 8 == 0, bytes.count >= 8, bytes.count <= 4096 * 8 {
            return SeccompProgram(instructions: bytes)
        }
        let program = try SeccompProgram.compile(profile, capabilities: capabilities)
        store(program, at: path, in: directory)
        return program
    }

    /// The file's bytes if it is a regular file (not followed through a symlink) owned by this user and writable by
    /// no one else: a filter is a security boundary, so a file anyone else could have written is not used.
    static func trustedContents(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_uid == geteuid(),
              info.st_mode & 0o022 == 0, info.st_size <= 4096 * 8 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        let got = bytes.withUnsafeMutableBytes { (try? FileDescriptorIO.readFully(fd, into: $0)) ?? -1 }
        return got == bytes.count ? bytes : nil
    }

    /// Bump the version below whenever SeccompFilter's compilation or SeccompProfile's resolution changes: the
    /// key covers the inputs, not the compiler.
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
