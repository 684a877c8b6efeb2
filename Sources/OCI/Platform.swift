// Platform parsing/normalisation re-implements containerd's `platforms` package rules (Go names for
// architectures, default ARM variants) so that index matching picks the manifest docker would.
import Foundation
import GoText

/// Why a platform specifier was rejected (texts follow containerd's `platforms.Parse`).
public struct PlatformError: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String
}

/// The platform an image or manifest targets: `linux/arm64/v8`.
public struct Platform: Hashable, Sendable, Codable, CustomStringConvertible, GoJSONRepresentable {
    public var os: String
    public var architecture: String
    public var variant: String?
    public var osVersion: String?
    public var osFeatures: [String]?

    enum CodingKeys: String, CodingKey {
        case os, architecture, variant
        case osVersion = "os.version"
        case osFeatures = "os.features"
    }

    public init(os: String, architecture: String, variant: String? = nil, osVersion: String? = nil, osFeatures: [String]? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
        self.osVersion = osVersion
        self.osFeatures = osFeatures
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        os = try c.decodeIfPresent(String.self, forKey: .os) ?? ""
        architecture = try c.decodeIfPresent(String.self, forKey: .architecture) ?? ""
        variant = try c.decodeIfPresent(String.self, forKey: .variant)
        osVersion = try c.decodeIfPresent(String.self, forKey: .osVersion)
        osFeatures = try c.decodeIfPresent([String].self, forKey: .osFeatures)
    }

    /// Parses `os`, `arch`, `os/arch` or `os/arch/variant` and normalises it (containerd's `platforms.Parse`).
    /// A lone architecture gets this host's OS; a lone OS gets this host's architecture.
    public init(parsing specifier: String) throws(PlatformError) {
        // Texts of the containerd version docker 20.10 vendors (`"x" is an invalid component of ...`).
        if specifier.contains("*") {
            throw PlatformError(description: "\(GoQuote.quote(specifier)): wildcards not yet supported: invalid argument")
        }
        let parts = specifier.split(separator: "/", omittingEmptySubsequences: false).map { String($0) }
        for part in parts where part.isEmpty || !part.utf8.allSatisfy({ ASCII.isAlnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }) {
            throw PlatformError(description: "\(GoQuote.quote(part)) is an invalid component of \(GoQuote.quote(specifier)): "
                + "platform specifier component must match \"^[A-Za-z0-9_-]+$\": invalid argument")
        }
        let host = Platform.current
        switch parts.count {
        case 1:
            let word = Platform.normalizeOS(parts[0])
            if Platform.knownOS.contains(word) {
                self = Platform(os: word, architecture: host.architecture, variant: host.variant)
            } else {
                let (arch, variant) = Platform.normalizeArchitecture(parts[0], variant: nil)
                guard Platform.knownArchitectures.contains(arch) else {
                    throw PlatformError(description: "\(GoQuote.quote(specifier)): unknown operating system or architecture: invalid argument")
                }
                self = Platform(os: host.os, architecture: arch, variant: variant)
            }
        case 2, 3:
            let (arch, variant) = Platform.normalizeArchitecture(parts[1], variant: parts.count == 3 ? parts[2] : nil)
            self = Platform(os: Platform.normalizeOS(parts[0]), architecture: arch, variant: variant)
        default:
            throw PlatformError(description: "\(GoQuote.quote(specifier)): cannot parse platform specifier: invalid argument")
        }
    }

    /// `os/arch[/variant]`, as docker and containerd format platforms.
    public var description: String {
        [os, architecture, variant].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "/")
    }

    /// The same platform with Go names and default variants applied.
    public var normalized: Platform {
        var copy = self
        copy.os = Platform.normalizeOS(os)
        (copy.architecture, copy.variant) = Platform.normalizeArchitecture(architecture, variant: variant)
        return copy
    }

    /// The platform as BuildKit builds for it (TARGETPLATFORM, the image config, the index entry): normalised, with
    /// arm64's default `v8` left out (`--platform linux/arm64` builds `linux/arm64`, as docker 20.10 does).
    public var buildTarget: Platform {
        var copy = normalized
        if copy.architecture == "arm64" && copy.variant == "v8" { copy.variant = nil }
        return copy
    }

    /// Whether an image built for `candidate` runs here, when `self` is the wanted platform
    /// (containerd's `platforms.Only`; see ``PlatformMatcher``).
    public func matches(_ candidate: Platform) -> Bool {
        PlatformMatcher(for: self).matches(candidate)
    }

    /// Parses a `--platform` value (`os`, `arch`, `os/arch` or `os/arch/variant`); see ``init(parsing:)``.
    public static func parse(_ specifier: String) throws(PlatformError) -> Platform {
        try Platform(parsing: specifier)
    }

    /// This machine's platform, normalised (what an image must match to run here).
    public static var host: Platform { current.normalized }

    /// This machine, from `uname` mapped to Go names (`x86_64` → `amd64`, `aarch64` → `arm64/v8`, `armv7l` → `arm/v7`).
    public static let current: Platform = {
        var info = utsname()
        uname(&info)
        let machine = withUnsafeBytes(of: &info.machine) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        let (arch, variant) = fromUname(machine)
        return Platform(os: "linux", architecture: arch, variant: variant)
    }()

    /// Maps a `uname -m` value to Go's architecture and variant.
    public static func fromUname(_ machine: String) -> (architecture: String, variant: String?) {
        switch machine {
        case "x86_64", "amd64": ("amd64", nil)
        case "aarch64", "arm64": ("arm64", "v8")
        case "armv8l", "armv7l", "armv7": ("arm", "v7")
        case "armv6l": ("arm", "v6")
        case "armv5tel", "armv5l": ("arm", "v5")
        case "i386", "i486", "i586", "i686": ("386", nil)
        case "ppc64le": ("ppc64le", nil)
        case "s390x": ("s390x", nil)
        case "riscv64": ("riscv64", nil)
        case "mips64": ("mips64", nil)
        case "loongarch64": ("loong64", nil)
        default: normalizeArchitecture(machine, variant: nil)
        }
    }

    static let knownOS: Set<String> = [
        "aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js", "linux", "nacl",
        "netbsd", "openbsd", "plan9", "solaris", "windows", "zos",
    ]
    static let knownArchitectures: Set<String> = [
        "386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "ppc64", "ppc64le", "loong64", "mips",
        "mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "riscv", "riscv64", "s390", "s390x",
        "sparc", "sparc64", "wasm",
    ]

    static func normalizeOS(_ os: String) -> String {
        let lower = os.lowercased()
        return lower == "macos" ? "darwin" : lower
    }

    /// containerd's `normalizeArch`, except that arm64 keeps an explicit default variant `v8`.
    static func normalizeArchitecture(_ architecture: String, variant: String?) -> (String, String?) {
        let arch = architecture.lowercased()
        let variant = variant?.lowercased()
        switch arch {
        case "i386": return ("386", nil)
        case "x86_64", "x86-64", "amd64": return ("amd64", variant == "v1" || variant == "" ? nil : variant)
        case "aarch64", "arm64":
            switch variant {
            case nil, "", "8", "v8", "v8.0": return ("arm64", "v8")
            case "9", "9.0", "v9.0": return ("arm64", "v9")
            default: return ("arm64", variant)
            }
        case "armhf": return ("arm", "v7")
        case "armel": return ("arm", "v6")
        case "arm":
            switch variant {
            case nil, "", "7": return ("arm", "v7")
            case "5", "6", "8": return ("arm", "v" + variant!)
            default: return ("arm", variant)
            }
        default: return (arch, variant == "" ? nil : variant)
        }
    }

    /// Field order of the image-spec Go struct: architecture, os, os.version, os.features, variant.
    public var goJSON: JSONValue {
        var o = JSONObjectBuilder()
        o.add("architecture", .string(architecture))
        o.add("os", .string(os))
        o.addNonEmpty("os.version", osVersion)
        if let osFeatures, !osFeatures.isEmpty { o.add("os.features", .strings(osFeatures)) }
        o.addNonEmpty("variant", variant)
        return o.object
    }
}
