/// One part of a scan report, grouped as trivy groups its results: the distribution's packages under
/// `IMAGE (debian 12.5)`; Python, Node.js and Java packages aggregated under `Python`, `Node.js` and `Java` (each
/// finding keeps its package's path); Go binaries each under their own path.
public struct ScanTarget: Sendable, Hashable {
    public enum Class: String, Sendable, Hashable {
        case osPackages = "os-pkgs"
        case languagePackages = "lang-pkgs"
    }

    public var name: String
    public var targetClass: Class
    /// trivy's result type: the distribution (`debian`, `alpine`…) or `python-pkg`, `node-pkg`, `jar`, `gobinary`.
    public var type: String
    /// Sorted by package name, installed version, severity (highest first) and ID.
    public var findings: [VulnerabilityFinding]

    /// Groups findings into targets; the OS target is listed (possibly empty) whenever the distribution is known.
    public static func group(_ findings: [VulnerabilityFinding], image: ScannedImage, os: OSIdentity?) -> [ScanTarget] {
        var osTarget: ScanTarget?
        if let os {
            osTarget = ScanTarget(name: osTargetName(image: image, os: os), targetClass: .osPackages,
                                  type: os.id, findings: [])
        }
        var languageTargets: [String: ScanTarget] = [:]
        for finding in findings {
            let package = finding.package
            if package.type.isOSPackage {
                if osTarget == nil {
                    osTarget = ScanTarget(name: "\(image.reference) (unknown)", targetClass: .osPackages,
                                          type: package.type.purlType, findings: [])
                }
                osTarget?.findings.append(finding)
                continue
            }
            let (name, type) = languageTarget(package)
            languageTargets[name, default: ScanTarget(name: name, targetClass: .languagePackages, type: type, findings: [])]
                .findings.append(finding)
        }
        var targets = (osTarget.map { [$0] } ?? []) + languageTargets.values.sorted { $0.name < $1.name }
        for index in targets.indices { targets[index].findings.sort(by: reportOrder) }
        return targets
    }

    static func osTargetName(image: ScannedImage, os: OSIdentity) -> String {
        "\(image.reference) (\([os.id, os.versionID].compactMap { $0 }.joined(separator: " ")))"
    }

    static func languageTarget(_ package: CatalogedPackage) -> (name: String, type: String) {
        switch package.type {
        case .python: return ("Python", "python-pkg")
        case .npm: return ("Node.js", "node-pkg")
        case .javaArchive: return ("Java", "jar")
        case .goModule: return (relativePath(package.locations.first) ?? "Go", "gobinary")
        case .deb, .apk, .rpm: return (package.type.purlType, package.type.purlType)
        }
    }

    /// A path inside the image without its leading slash, as trivy and SARIF print it.
    static func relativePath(_ path: String?) -> String? {
        guard let path else { return nil }
        let trimmed = String(path.drop { $0 == "/" })
        return trimmed.isEmpty ? nil : trimmed
    }

    static func reportOrder(_ a: VulnerabilityFinding, _ b: VulnerabilityFinding) -> Bool {
        if a.package.name != b.package.name { return a.package.name < b.package.name }
        if a.installedVersion != b.installedVersion { return a.installedVersion < b.installedVersion }
        let pathA = a.package.locations.first ?? "", pathB = b.package.locations.first ?? ""
        if pathA != pathB { return pathA < pathB }
        if a.severity != b.severity { return a.severity > b.severity }
        return a.id < b.id
    }

    /// The file that proves the package was installed: its first location, else the package database of its
    /// ecosystem.
    static func evidencePath(_ package: CatalogedPackage) -> String {
        if let path = relativePath(package.locations.first) { return path }
        switch package.type {
        case .deb: return "var/lib/dpkg/status"
        case .apk: return "lib/apk/db/installed"
        case .rpm: return "var/lib/rpm/rpmdb.sqlite"
        default: return package.name
        }
    }
}
