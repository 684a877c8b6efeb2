// Hand-written for Strata from the OSV schema's evaluation algorithm (https://ossf.github.io/osv-schema/#evaluation):
// whether a version is inside an `affected` entry's `versions` list or its ECOSYSTEM/SEMVER ranges, and the lowest
// fixed version above it. GIT ranges need the repository's commit graph and are ignored.

/// One `affected[]` entry evaluated against an installed version.
struct AffectedRangeEvaluation {
    /// The ordering of the entry's ECOSYSTEM ranges; nil when Strata has none for the ecosystem (then only the
    /// `versions` list and SEMVER ranges count).
    let ecosystemScheme: VersionScheme?

    init(ecosystem: String) {
        ecosystemScheme = VersionScheme.forOSVEcosystem(ecosystem)
    }

    init(scheme: VersionScheme?) {
        ecosystemScheme = scheme
    }

    /// The scheme a range's events are compared in.
    func scheme(for range: OSVRange) -> VersionScheme? {
        switch range.type {
        case "ECOSYSTEM": return ecosystemScheme
        // Go's ordering is SemVer with an optional `v`; installed Go versions carry the `v`.
        case "SEMVER": return ecosystemScheme == .go ? .go : .semver
        default: return nil
        }
    }

    /// Whether `version` is affected: listed in `versions`, or inside one of the ranges. A version the range's scheme
    /// cannot parse is judged on the `versions` list alone.
    func isAffected(_ version: String, by affected: OSVAffected) -> Bool {
        if affected.versions.contains(version) { return true }
        return affected.ranges.contains { isAffected(version, by: $0) }
    }

    func isAffected(_ version: String, by range: OSVRange) -> Bool {
        guard let scheme = scheme(for: range), scheme.compare(version, version) != nil else { return false }
        guard beforeLimits(version, range, scheme) else { return false }
        var vulnerable = false
        for event in sortedEvents(range, scheme) {
            switch event {
            case .introduced(let introduced):
                if introduced == "0" || (scheme.compare(version, introduced) ?? -1) >= 0 { vulnerable = true }
            case .fixed(let fixed):
                if let order = scheme.compare(version, fixed), order >= 0 { vulnerable = false }
            case .lastAffected(let last):
                if let order = scheme.compare(version, last), order > 0 { vulnerable = false }
            case .limit:
                break
            }
        }
        return vulnerable
    }

    /// No `limit` event means an implicit `*`; otherwise the version must be below one of them.
    private func beforeLimits(_ version: String, _ range: OSVRange, _ scheme: VersionScheme) -> Bool {
        var sawLimit = false
        for case .limit(let limit) in range.events {
            sawLimit = true
            if limit == "*" || limit.contains("*") { return true }
            if let order = scheme.compare(version, limit), order < 0 { return true }
        }
        return !sawLimit
    }

    /// The events in version order (the spec evaluates them sorted; records do not always list them so). `"0"` sorts
    /// first; events of equal or incomparable versions keep their order in the record, and an event whose version
    /// the scheme cannot parse is dropped.
    func sortedEvents(_ range: OSVRange, _ scheme: VersionScheme) -> [OSVEvent] {
        let usable = range.events.enumerated().filter { _, event in
            if case .introduced("0") = event { return true }
            return scheme.compare(event.version, event.version) != nil
        }
        // Insertion sort: stable, and needs only the scheme's pairwise comparison (ranges have a handful of events).
        var sorted: [(offset: Int, element: OSVEvent)] = []
        for item in usable {
            var position = sorted.count
            while position > 0, Self.precedes(item.element, sorted[position - 1].element, scheme) {
                position -= 1
            }
            sorted.insert(item, at: position)
        }
        return sorted.map(\.element)
    }

    private static func precedes(_ a: OSVEvent, _ b: OSVEvent, _ scheme: VersionScheme) -> Bool {
        let aZero = { if case .introduced("0") = a { return true } else { return false } }()
        let bZero = { if case .introduced("0") = b { return true } else { return false } }()
        if aZero || bZero { return aZero && !bZero }
        return (scheme.compare(a.version, b.version) ?? 0) < 0
    }

    /// The lowest `fixed` event above `version` in the entry's ranges (nil when none, or the version is unparsable).
    func lowestFix(above version: String, in affected: OSVAffected) -> String? {
        var best: (version: String, scheme: VersionScheme)?
        for range in affected.ranges {
            guard let scheme = scheme(for: range) else { continue }
            for case .fixed(let fixed) in range.events {
                guard let order = scheme.compare(fixed, version), order > 0 else { continue }
                if let current = best, (scheme.compare(fixed, current.version) ?? 1) >= 0 { continue }
                best = (fixed, scheme)
            }
        }
        return best?.version
    }
}
