import Archive
import OCI

/// Limits and choices of a catalog run.
public struct CatalogOptions: Sendable {
    /// The largest file a cataloger reads into memory (a dpkg status, a METADATA file, a jar); larger ones
    /// are skipped with a warning.
    public var maxFileSize: Int
    /// How deep jars nested in jars are opened.
    public var maxArchiveDepth: Int
    /// How many bytes the nested archives of one top-level archive may inflate to in all; past it the
    /// rest of that archive is skipped with a warning (a zip bomb costs bounded time and memory).
    public var maxArchiveExpansion: Int
    /// The package types to report (all by default).
    public var packageTypes: Set<PackageType>

    public init(
        maxFileSize: Int = 64 << 20, maxArchiveDepth: Int = 4, maxArchiveExpansion: Int = 256 << 20,
        packageTypes: Set<PackageType> = Set(PackageType.allCases)
    ) {
        self.maxFileSize = maxFileSize
        self.maxArchiveDepth = maxArchiveDepth
        self.maxArchiveExpansion = maxArchiveExpansion
        self.packageTypes = packageTypes
    }
}

/// Why an image could not be cataloged at all (damaged files only give warnings).
public enum CatalogError: Error, Sendable, CustomStringConvertible, KindedError {
    /// A layer's decoded stream does not hash to the diffID the image config names.
    case diffIDMismatch(index: Int, expected: Digest, actual: Digest)
    case unreadableLayer(index: Int, diffID: Digest, reason: String)

    public var description: String {
        switch self {
        case .diffIDMismatch(let index, let expected, let actual):
            return "layer \(index) (diffID \(expected)) does not match its content: it hashes to \(actual)"
        case .unreadableLayer(let index, let diffID, let reason):
            return "layer \(index) (diffID \(diffID)) cannot be opened: \(reason)"
        }
    }

    public var kind: ErrorKind {
        switch self {
        case .diffIDMismatch: return .invalidArgument
        case .unreadableLayer: return .notFound
        }
    }
}

/// Finds the packages installed in an image by streaming its layers once, bottom-up.
public enum ImageCatalog {
    /// Catalogs `layers` (bottom first). Synchronous and blocking: call it from a thread of its own, not from
    /// the cooperative pool. Each layer is decoded on a second thread while this one reads it, and proven
    /// against its diffID in the same pass.
    public static func catalog(layers: [ImageLayerSource], options: CatalogOptions = CatalogOptions()) throws -> ImageInventory {
        var state = CatalogFileState()
        var warnings: [String] = []
        let reader = LayerCatalogReader(options: options)
        for (index, layer) in layers.enumerated() {
            try reader.read(layer, index: index, into: &state, warnings: &warnings)
        }
        return inventory(of: state, layers: layers, options: options, warnings: warnings)
    }

    /// The final state's packages, with locations, origins, purls and Debian licences filled in, the same
    /// package found in several files reported once.
    static func inventory(
        of state: CatalogFileState, layers: [ImageLayerSource], options: CatalogOptions, warnings: [String]
    ) -> ImageInventory {
        let os = identity(in: state)
        var warnings = warnings
        var merged: [String: CatalogedPackage] = [:]
        var order: [String] = []
        for path in state.files.keys.sorted() {
            guard let file = state[path] else { continue }
            warnings += file.warnings
            guard case .packages(let packages) = file.content else { continue }
            for var package in packages where options.packageTypes.contains(package.type) {
                // A cataloger's own locations are places inside the file (a nested jar: `:lib/a.jar`).
                package.locations = package.locations.isEmpty ? ["/" + path] : package.locations.map { "/" + path + $0 }
                if package.type == .deb {
                    let list = "var/lib/dpkg/info/\(package.name).list"
                    let archList = "var/lib/dpkg/info/\(package.name):\(package.architecture ?? "").list"
                    if state[list] != nil { package.locations.append("/" + list) }
                    else if state[archList] != nil { package.locations.append("/" + archList) }
                    if package.licenses.isEmpty,
                       case .licenses(let licenses)? = state["usr/share/doc/\(package.name)/copyright"]?.content {
                        package.licenses = licenses
                    }
                }
                let originIndex = file.origins[CatalogFileState.originKey(package)] ?? file.layer
                if layers.indices.contains(originIndex) {
                    package.layer = LayerOrigin(index: originIndex, diffID: layers[originIndex].diffID,
                                                createdBy: layers[originIndex].createdBy)
                }
                package.purl = PackageURL.make(for: package, os: os)
                let key = package.type.rawValue + " " + package.purl
                if var existing = merged[key] {
                    for location in package.locations where !existing.locations.contains(location) {
                        existing.locations.append(location)
                    }
                    for license in package.licenses where !existing.licenses.contains(license) {
                        existing.licenses.append(license)
                    }
                    if let origin = package.layer, origin.index < existing.layer?.index ?? Int.max { existing.layer = origin }
                    merged[key] = existing
                } else {
                    merged[key] = package
                    order.append(key)
                }
            }
        }
        let packages = order.compactMap { merged[$0] }.sorted {
            ($0.type.rawValue, $0.name, $0.version, $0.purl) < ($1.type.rawValue, $1.name, $1.version, $1.purl)
        }
        return ImageInventory(os: os, packages: packages, warnings: warnings)
    }

    /// os-release (through symlinks, e.g. `etc/os-release` → `../usr/lib/os-release`), else the one-line files.
    static func identity(in state: CatalogFileState) -> OSIdentity? {
        for path in ["etc/os-release", "usr/lib/os-release"] {
            if let resolved = state.resolve(path), case .text(let bytes)? = state[resolved]?.content,
               let identity = OSReleaseParser.identity(osRelease: bytes) {
                return identity
            }
        }
        if let resolved = state.resolve("etc/alpine-release"), case .text(let bytes)? = state[resolved]?.content,
           let identity = OSReleaseParser.identity(alpineRelease: bytes) {
            return identity
        }
        if let resolved = state.resolve("etc/debian_version"), case .text(let bytes)? = state[resolved]?.content,
           let identity = OSReleaseParser.identity(debianVersion: bytes) {
            return identity
        }
        return nil
    }
}
