/// The version orderings of the ecosystems Strata matches advisories in. `compare` returns the sign of
/// `a - b` (-1, 0, 1), or nil when either string is not a version of the scheme.
public enum VersionScheme: String, Sendable, CaseIterable, Hashable {
    /// Debian and Ubuntu: epoch, upstream version and revision, `~` sorting before everything.
    case dpkg
    /// Alpine's apk-tools ordering (suffixes `_alpha` … `_p`, `-rN`).
    case apk
    /// rpmvercmp with epoch and release.
    case rpm
    /// Python's PEP 440.
    case pep440
    /// Semantic Versioning 2.0.0 (npm, OSV `SEMVER` ranges).
    case semver
    /// Go modules: semver with a `v`, pseudo-versions, `+incompatible`.
    case go
    /// Maven's ComparableVersion.
    case maven
}
