import OCI

/// An inventory's packages in the order documents list them (ecosystem, name, version, purl, locations), each
/// with identifiers derived from its content only, so the same inventory always yields the same IDs.
struct DocumentPackages {
    struct Item {
        var package: CatalogedPackage
        /// 16 hex digits of SHA-256 over the package's identity; a suffix tells exact duplicates apart.
        var key: String
        var spdxID: String
        var bomRef: String
    }

    let items: [Item]

    init(_ packages: [CatalogedPackage]) {
        let sorted = packages.sorted { a, b in
            (a.type.rawValue, a.name, a.version, a.purl, a.locations.joined(separator: "\n"))
                < (b.type.rawValue, b.name, b.version, b.purl, b.locations.joined(separator: "\n"))
        }
        var seen: [String: Int] = [:]
        items = sorted.map { package in
            let identity = [package.type.rawValue, package.name, package.version, package.purl,
                            package.layer?.diffID.description ?? ""] + package.locations
            var key = String(Digest.sha256(Array(identity.joined(separator: "\u{0}").utf8)).encoded.prefix(16))
            let count = seen[key, default: 0] + 1
            seen[key] = count
            if count > 1 { key += "-\(count)" }
            let spdxID = "SPDXRef-Package-" + package.type.rawValue + "-" + Self.idSafe(package.name) + "-" + key
            let separator = package.purl.contains("?") ? "&" : "?"
            let bomRef = (package.purl.isEmpty ? "pkg:generic/" + Self.idSafe(package.name) : package.purl)
                + separator + "package-id=" + key
            return Item(package: package, key: key, spdxID: spdxID, bomRef: bomRef)
        }
    }

    /// Letters, digits, `.` and `-` only (what SPDX identifiers allow), at most 64 characters.
    static func idSafe(_ text: String) -> String {
        let mapped = text.utf8.prefix(64).map { LicenseExpression.isIdentifierByte($0) ? Character(Unicode.Scalar($0)) : "-" }
        let result = String(mapped)
        return result.isEmpty ? "unnamed" : result
    }

    /// Where a package was found, in words: `layer sha256:… (RUN apt-get …), /var/lib/dpkg/status`.
    static func provenance(_ package: CatalogedPackage) -> String? {
        var parts: [String] = []
        if let layer = package.layer { parts.append("layer \(layer.index) \(layer.diffID)") }
        if !package.locations.isEmpty { parts.append(package.locations.joined(separator: ", ")) }
        return parts.isEmpty ? nil : parts.joined(separator: ": ")
    }
}
