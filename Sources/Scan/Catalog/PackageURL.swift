// Package URLs built by hand after the purl-spec (https://github.com/package-url/purl-spec): each
// component percent-encoded except `:` (as the spec's reference implementation, packageurl-python, does),
// qualifiers sorted by key, empty qualifiers left out.
import Foundation

/// Builds the Package URL of a cataloged package.
enum PackageURL {
    /// `pkg:TYPE/NAMESPACE/NAME@VERSION?QUALIFIERS`. `namespace` may hold several `/`-separated segments,
    /// each encoded on its own (Go module paths, Maven groups never contain `/`).
    static func make(
        type: String, namespace: String?, name: String, version: String?, qualifiers: [(String, String?)] = []
    ) -> String {
        var purl = "pkg:" + type + "/"
        if let namespace, !namespace.isEmpty {
            purl += namespace.split(separator: "/").map { encode(String($0)) }.joined(separator: "/") + "/"
        }
        purl += encode(name)
        if let version, !version.isEmpty { purl += "@" + encode(version) }
        let kept = qualifiers.compactMap { key, value in value.flatMap { $0.isEmpty ? nil : (key, $0) } }
            .sorted { $0.0 < $1.0 }
        if !kept.isEmpty {
            purl += "?" + kept.map { $0.0 + "=" + encode($0.1) }.joined(separator: "&")
        }
        return purl
    }

    /// Percent-encodes everything but the unreserved characters of RFC 3986 and `:` (the one encoder, shared with
    /// the SBOM reader's purl parser).
    static func encode(_ text: String) -> String { ParsedPackageURL.percentEncode(text) }

    /// The purl of `package` once the image's distribution is known (OS packages carry it as `distro`).
    static func make(for package: CatalogedPackage, os: OSIdentity?) -> String {
        let distro = os.map { os in os.versionID.map { os.id + "-" + $0 } ?? os.id }
        switch package.type {
        case .deb:
            return make(type: "deb", namespace: os?.id ?? "debian", name: package.name, version: package.version,
                        qualifiers: [("arch", package.architecture), ("distro", distro)])
        case .apk:
            return make(type: "apk", namespace: os?.id ?? "alpine", name: package.name, version: package.version,
                        qualifiers: [("arch", package.architecture), ("distro", distro)])
        case .rpm:
            // The epoch travels as a qualifier; the version is VERSION-RELEASE.
            var epoch: String?
            var version = package.version
            if let colon = version.firstIndex(of: ":"), version[..<colon].allSatisfy(\.isNumber) {
                epoch = String(version[..<colon])
                version = String(version[version.index(after: colon)...])
            }
            return make(type: "rpm", namespace: os?.id, name: package.name, version: version,
                        qualifiers: [("arch", package.architecture), ("epoch", epoch), ("distro", distro)])
        case .python:
            return make(type: "pypi", namespace: nil, name: normalizedPythonName(package.name), version: package.version)
        case .npm:
            return make(type: "npm", namespace: package.namespace, name: package.name, version: package.version)
        case .goModule:
            // The module path is the name; its last segment is the purl's name, the rest its namespace.
            if package.name == "stdlib" {  // the toolchain: version `go1.21.3` → purl version `1.21.3`
                let version = package.version.hasPrefix("go") ? String(package.version.dropFirst(2)) : package.version
                return make(type: "golang", namespace: nil, name: "stdlib", version: version)
            }
            let path = package.name
            let slash = path.lastIndex(of: "/")
            return make(type: "golang", namespace: slash.map { String(path[..<$0]) },
                        name: slash.map { String(path[path.index(after: $0)...]) } ?? path, version: package.version)
        case .javaArchive:
            return make(type: "maven", namespace: package.namespace, name: package.name, version: package.version)
        }
    }

    /// The purl-spec's pypi name: lowercase, `_` replaced by `-`.
    static func normalizedPythonName(_ name: String) -> String {
        name.lowercased().replacingOccurrences(of: "_", with: "-")
    }
}
