// Re-implements containerd's `platforms.Only`/`OnlyStrict` ordering rules (which sub-platforms a platform can
// run, most preferred first) so that picking from an index agrees with docker and containerd.

/// Decides which platforms can stand in for a wanted one and in what order of preference, the way containerd's
/// `platforms.Only` does:
/// - `arm/vN` also accepts `arm/vN-1` … `arm/v5` (so `linux/arm/v7` takes v6, then v5);
/// - `amd64/vN` also accepts `amd64/vN-1` … `amd64` (v1, the baseline);
/// - `arm64/v9.x` also accepts `v9.x-1` … `v9` and then `v8.(x+5)` … `v8`; `arm64/v8.x` accepts `v8.x-1` … `v8`;
///   `arm64` means `arm64/v8`, so `linux/arm64` and `linux/arm64/v8` are the same platform.
/// OS and architecture compare case-insensitively after normalisation (`x86_64` → `amd64`, `aarch64` → `arm64`,
/// `armhf` → `arm/v7`, `armel` → `arm/v6`). OS versions are not compared (they only matter for Windows hosts).
public struct PlatformMatcher: Sendable, Hashable {
    /// The wanted platform, normalised.
    public let wanted: Platform
    /// Every accepted platform, normalised, most preferred first; `wanted` is always first.
    public let preferences: [Platform]

    /// - Parameters:
    ///   - strict: accept only `platform` itself (containerd's `OnlyStrict`), not older variants.
    ///   - crossArchitecture: also accept the 32-bit sibling architecture (`amd64` → `386`, `arm64` → `arm/v8` … `v5`)
    ///     as containerd ≥ 1.7 does. Docker 20.10 does not, so it is off by default.
    public init(for platform: Platform, strict: Bool = false, crossArchitecture: Bool = false) {
        let wanted = Self.key(platform)
        self.wanted = wanted
        preferences = strict ? [wanted] : Self.vector(wanted, crossArchitecture: crossArchitecture)
    }

    /// A matcher for this machine (``Platform/host``).
    public static var host: PlatformMatcher { PlatformMatcher(for: .host) }

    /// Whether an image for `candidate` is acceptable.
    public func matches(_ candidate: Platform) -> Bool { rank(of: candidate) != nil }

    /// The position of `candidate` in ``preferences`` (0 = exactly the wanted platform), or nil if it does not match.
    public func rank(of candidate: Platform) -> Int? {
        let key = Self.key(candidate)
        return preferences.firstIndex(of: key)
    }

    /// Whether `a` should be chosen over `b` (containerd's `Less`): the one matching an earlier preference wins.
    public func prefers(_ a: Platform, over b: Platform) -> Bool {
        switch (rank(of: a), rank(of: b)) {
        case (let x?, let y?): x < y
        case (.some, nil): true
        default: false
        }
    }

    /// The descriptors whose platform matches, best first; equally good ones keep their index order.
    /// Entries without a platform are skipped, as docker 20.10 skips them in a manifest list.
    public func ranked(_ descriptors: [Descriptor]) -> [Descriptor] {
        descriptors.enumerated()
            .compactMap { entry -> (rank: Int, offset: Int, descriptor: Descriptor)? in
                guard let platform = entry.element.platform, let rank = rank(of: platform) else { return nil }
                return (rank, entry.offset, entry.element)
            }
            .sorted { ($0.rank, $0.offset) < ($1.rank, $1.offset) }
            .map(\.descriptor)
    }

    /// The manifest to pull from an index: the best match, the first in index order among equals.
    public func best(in descriptors: [Descriptor]) -> Descriptor? {
        var chosen: (rank: Int, descriptor: Descriptor)?
        for descriptor in descriptors {
            guard let platform = descriptor.platform, let rank = rank(of: platform) else { continue }
            if chosen == nil || rank < chosen!.rank { chosen = (rank, descriptor) }
        }
        return chosen?.descriptor
    }

    // MARK: Rules

    /// The comparable part of a platform: normalised os/architecture/variant only.
    static func key(_ platform: Platform) -> Platform {
        let normal = platform.normalized
        return Platform(os: normal.os, architecture: normal.architecture, variant: normal.variant)
    }

    /// arm64 variant → the (major, highest minor) pairs it can run, most preferred first.
    private static func arm64Versions(_ variant: String) -> [(major: Int, minor: Int)]? {
        let trimmed = variant.hasPrefix("v") ? variant.dropFirst() : Substring(variant)
        let parts = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let major = Int(parts[0]), let minor = parts.count == 2 ? Int(parts[1]) : 0,
              (0...9).contains(minor) else { return nil }
        switch major {
        case 8: return [(8, minor)]
        case 9: return [(9, minor), (8, min(minor + 5, 9))]
        default: return nil
        }
    }

    private static func version(_ variant: String?) -> Int? {
        guard let variant, variant.hasPrefix("v") else { return nil }
        return Int(variant.dropFirst())
    }

    private static func vector(_ wanted: Platform, crossArchitecture: Bool) -> [Platform] {
        func with(architecture: String? = nil, variant: String?) -> Platform {
            key(Platform(os: wanted.os, architecture: architecture ?? wanted.architecture, variant: variant))
        }
        var vector = [wanted]
        switch wanted.architecture {
        case "amd64":
            if let level = version(wanted.variant), level > 1 {
                for lower in stride(from: level - 1, through: 1, by: -1) { vector.append(with(variant: "v\(lower)")) }
            }
            if crossArchitecture { vector.append(with(architecture: "386", variant: nil)) }
        case "arm":
            if let level = version(wanted.variant), level > 5 {
                for lower in stride(from: level - 1, through: 5, by: -1) { vector.append(with(variant: "v\(lower)")) }
            }
        case "arm64":
            guard let versions = arm64Versions(wanted.variant ?? "v8") else { break }
            vector = []
            for (major, highest) in versions {
                for minor in stride(from: highest, through: 0, by: -1) {
                    vector.append(with(variant: minor == 0 ? "v\(major)" : "v\(major).\(minor)"))
                }
            }
            if crossArchitecture {
                vector += Self.vector(with(architecture: "arm", variant: "v8"), crossArchitecture: false)
            }
        default:
            break
        }
        return vector
    }
}

extension ImageIndex {
    /// The manifest for `wanted` as docker picks it (``PlatformMatcher/best(in:)``).
    public func manifest(for wanted: Platform) -> Descriptor? {
        PlatformMatcher(for: wanted).best(in: manifests)
    }
}
