import Foundation
import OCI

/// QEMU user emulation through the kernel's binfmt_misc, as docker/setup-qemu-action and Debian's binfmt-support set
/// it up: every foreign ELF runs through `qemu-<arch>`. Registered with the fix-binary flag, the kernel opens the
/// emulator once at registration, so it also runs inside a container's root filesystem where no emulator exists.
public enum EmulatorRegistry {
    static let binfmtDirectory = "/proc/sys/fs/binfmt_misc"
    /// Debian's qemu-user-static describes each emulator here (update-binfmts' format).
    static let formatsDirectory = "/usr/share/binfmts"

    /// QEMU's names for the architectures Go and OCI name otherwise.
    static let platforms: [String: String] = [
        "aarch64": "linux/arm64", "arm": "linux/arm/v7", "i386": "linux/386", "x86_64": "linux/amd64",
        "riscv64": "linux/riscv64", "ppc64le": "linux/ppc64le", "s390x": "linux/s390x", "mips64el": "linux/mips64le",
        "mips64": "linux/mips64", "loongarch64": "linux/loong64",
    ]

    /// A failure to register, in one line that says what to do.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// The platforms an enabled binfmt_misc handler emulates.
    public static func registeredPlatforms() -> [Platform] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: binfmtDirectory)) ?? []
        return names.sorted().compactMap { name -> Platform? in
            guard name.hasPrefix("qemu-"), let specifier = platforms[String(name.dropFirst(5))],
                  let state = try? String(contentsOfFile: binfmtDirectory + "/" + name, encoding: .utf8),
                  state.hasPrefix("enabled") else { return nil }
            return try? Platform.parse(specifier).buildTarget
        }
    }

    /// Whether binaries of `platform` run here: this host's own, or an emulated one.
    public static func canRun(_ platform: Platform) -> Bool {
        let wanted = platform.buildTarget
        if wanted.architecture == Platform.host.architecture { return true }
        return registeredPlatforms().contains { $0.architecture == wanted.architecture }
    }

    /// What a build says when a RUN step of `platform` cannot execute here.
    public static func missingEmulatorMessage(for platform: Platform) -> String {
        "cannot run a RUN step for \(platform.buildTarget.description) on this \(Platform.host.buildTarget.description) host: "
            + "no emulator is registered for it; install QEMU (apt-get install qemu-user-static) and run "
            + "'strata buildx install-emulators'"
    }

    /// Registers every emulator Debian describes that is not registered yet; returns the platforms now emulated.
    public static func installAll() throws -> [Platform] {
        let formats = ((try? FileManager.default.contentsOfDirectory(atPath: formatsDirectory)) ?? []).filter { $0.hasPrefix("qemu-") }
        guard !formats.isEmpty else {
            throw Failure(description: "no QEMU emulators are installed: install Debian's qemu-user-static "
                          + "(apt-get install qemu-user-static), then run this again")
        }
        if !FileManager.default.fileExists(atPath: binfmtDirectory + "/register") {
            guard mount("binfmt_misc", binfmtDirectory, "binfmt_misc", 0, nil) == 0 else {
                throw Failure(description: "cannot mount binfmt_misc on \(binfmtDirectory): \(String(cString: strerror(errno))) "
                              + "(registering emulators needs root)")
            }
        }
        for name in formats.sorted() {
            let qemuName = String(name.dropFirst(5))
            guard platforms[qemuName] != nil, !FileManager.default.fileExists(atPath: binfmtDirectory + "/" + name),
                  let text = try? String(contentsOfFile: formatsDirectory + "/" + name, encoding: .utf8) else { continue }
            var fields: [String: String] = [:]
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
                if parts.count == 2 { fields[parts[0]] = parts[1] }
            }
            guard let interpreter = fields["interpreter"], let magic = fields["magic"],
                  FileManager.default.isExecutableFile(atPath: interpreter) else { continue }
            var flags = "F"
            if fields["preserve"] == "yes" { flags += "P" }
            if fields["credentials"] == "yes" { flags += "C" }
            let rule = ":\(name):M:\(fields["offset"] ?? ""):\(magic):\(fields["mask"] ?? ""):\(interpreter):\(flags)"
            let fd = open(binfmtDirectory + "/register", O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else {
                throw Failure(description: "cannot open \(binfmtDirectory)/register: \(String(cString: strerror(errno)))")
            }
            defer { close(fd) }
            let written = rule.withCString { write(fd, $0, strlen($0)) }
            if written < 0 && errno != EEXIST {
                throw Failure(description: "registering \(name) failed: \(String(cString: strerror(errno)))")
            }
        }
        return registeredPlatforms()
    }
}
