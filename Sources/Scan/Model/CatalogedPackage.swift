import OCI

/// The kinds of package the catalogers find. Raw values are the names used in Strata's JSON and in
/// the SBOMs' properties; `purlType` is the Package URL type.
public enum PackageType: String, Sendable, Codable, CaseIterable, Hashable {
    case deb, apk, rpm, python, npm, goModule = "go-module", javaArchive = "java-archive"

    /// The Package URL type (https://github.com/package-url/purl-spec).
    public var purlType: String {
        switch self {
        case .deb: return "deb"
        case .apk: return "apk"
        case .rpm: return "rpm"
        case .python: return "pypi"
        case .npm: return "npm"
        case .goModule: return "golang"
        case .javaArchive: return "maven"
        }
    }

    /// OS packages (installed by the distribution's package manager) against language libraries.
    public var isOSPackage: Bool { self == .deb || self == .apk || self == .rpm }
}

/// The layer a package arrived in: its diffID, its index from the bottom, and the `history` line
/// that created it (`created_by` of the matching non-empty history entry).
public struct LayerOrigin: Sendable, Hashable, Codable {
    public var index: Int
    public var diffID: Digest
    public var createdBy: String?

    public init(index: Int, diffID: Digest, createdBy: String?) {
        self.index = index
        self.diffID = diffID
        self.createdBy = createdBy
    }
}

/// One package found in an image.
public struct CatalogedPackage: Sendable, Hashable, Codable {
    public var name: String
    public var version: String
    public var type: PackageType
    /// Package URL, e.g. `pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12`.
    public var purl: String
    /// Licence expressions or names as the package declares them.
    public var licenses: [String]
    /// Absolute paths (inside the image) of the files that prove the package.
    public var locations: [String]
    /// The layer that introduced the package; nil when not known (e.g. a package read from an SBOM).
    public var layer: LayerOrigin?
    /// The source package (dpkg `Source:`, apk origin, rpm source rpm's name); advisories of distributions
    /// are keyed on it. Nil when it equals `name` or is unknown.
    public var sourceName: String?
    /// The source package's version when it differs from `version` (dpkg `Source: name (version)`).
    public var sourceVersion: String?
    public var architecture: String?
    /// The Go module path, Maven group id, npm scope… when the ecosystem has one beyond `name`.
    public var namespace: String?

    public init(
        name: String, version: String, type: PackageType, purl: String, licenses: [String] = [],
        locations: [String] = [], layer: LayerOrigin? = nil, sourceName: String? = nil,
        sourceVersion: String? = nil, architecture: String? = nil, namespace: String? = nil
    ) {
        self.name = name
        self.version = version
        self.type = type
        self.purl = purl
        self.licenses = licenses
        self.locations = locations
        self.layer = layer
        self.sourceName = sourceName
        self.sourceVersion = sourceVersion
        self.architecture = architecture
        self.namespace = namespace
    }
}

/// The distribution an image is built on, from `etc/os-release` (or `usr/lib/os-release`).
public struct OSIdentity: Sendable, Hashable, Codable {
    /// `ID`, e.g. `debian`, `alpine`, `ubuntu`, `rhel`.
    public var id: String
    /// `VERSION_ID`, e.g. `12`, `3.18.4`.
    public var versionID: String?
    public var versionCodename: String?
    public var prettyName: String?

    public init(id: String, versionID: String?, versionCodename: String? = nil, prettyName: String? = nil) {
        self.id = id
        self.versionID = versionID
        self.versionCodename = versionCodename
        self.prettyName = prettyName
    }
}

/// What the catalogers found in one image.
public struct ImageInventory: Sendable, Codable {
    public var os: OSIdentity?
    public var packages: [CatalogedPackage]
    /// Problems met while reading (a corrupt dpkg status, junk in a METADATA file, a nested jar too
    /// deep…): one line each; the catalogers go on past them.
    public var warnings: [String]

    public init(os: OSIdentity?, packages: [CatalogedPackage], warnings: [String] = []) {
        self.os = os
        self.packages = packages
        self.warnings = warnings
    }
}
