// INTERIM (delete when scan-versions is merged): the declared VersionScheme API, so the matcher compiles before the
// real orderings land. Dotted numbers only; anything else is "not a version".
extension VersionScheme {
    public func compare(_ a: String, _ b: String) -> Int? {
        let x = a.split(separator: ".").map { Int($0) }
        let y = b.split(separator: ".").map { Int($0) }
        guard !x.contains(nil), !y.contains(nil), !x.isEmpty, !y.isEmpty else { return nil }
        for i in 0..<max(x.count, y.count) {
            let p = i < x.count ? x[i]! : 0
            let q = i < y.count ? y[i]! : 0
            if p != q { return p < q ? -1 : 1 }
        }
        return 0
    }

    public static func forOSVEcosystem(_ ecosystem: String) -> VersionScheme? {
        switch ecosystem.split(separator: ":").first.map(String.init) ?? "" {
        case "Debian", "Ubuntu": return .dpkg
        case "Alpine": return .apk
        case "PyPI": return .pep440
        case "npm": return .semver
        case "Go": return .go
        case "Maven": return .maven
        default: return nil
        }
    }
}
