/// The files the catalogers read, recognised by path (and, for executables, mode) as a layer streams
/// by. Everything else in a layer is skipped without being held.
enum CatalogCandidate: Sendable, Equatable {
    case osRelease
    case alpineRelease
    case debianVersion
    /// `var/lib/dpkg/status`: every package in one file.
    case dpkgStatus
    /// `var/lib/dpkg/status.d/NAME` (distroless): one package per file.
    case dpkgStatusEntry
    /// `var/lib/dpkg/info/NAME.list`: only its presence is kept (a location of the package).
    case dpkgFileList
    /// `usr/share/doc/NAME/copyright`: licences of the Debian package NAME.
    case dpkgCopyright
    case apkInstalled
    case rpmSQLite
    /// A BerkeleyDB or NDB rpmdb: reported as unsupported.
    case rpmLegacyDatabase
    case pythonMetadata
    case npmPackageJSON
    case npmLockfile
    case javaArchive
    /// A regular file with an execute bit: an ELF one may hold Go build info.
    case executable

    /// The package type the file proves (nil for the files that only add to others: OS identity, licences).
    var packageType: PackageType? {
        switch self {
        case .dpkgStatus, .dpkgStatusEntry: return .deb
        case .apkInstalled: return .apk
        case .rpmSQLite, .rpmLegacyDatabase: return .rpm
        case .pythonMetadata: return .python
        case .npmPackageJSON, .npmLockfile: return .npm
        case .javaArchive: return .javaArchive
        case .executable: return .goModule
        case .osRelease, .alpineRelease, .debianVersion, .dpkgFileList, .dpkgCopyright: return nil
        }
    }

    /// Classifies a cleaned layer path (no leading `/` or `./`); nil for files no cataloger wants.
    static func classify(path: String, mode: UInt32) -> CatalogCandidate? {
        let utf8 = path.utf8
        guard let last = utf8.last else { return nil }
        switch path {
        case "etc/os-release", "usr/lib/os-release": return .osRelease
        case "etc/alpine-release": return .alpineRelease
        case "etc/debian_version": return .debianVersion
        case "var/lib/dpkg/status": return .dpkgStatus
        case "lib/apk/db/installed": return .apkInstalled
        case "var/lib/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/rpmdb.sqlite": return .rpmSQLite
        case "var/lib/rpm/Packages", "var/lib/rpm/Packages.db", "usr/lib/sysimage/rpm/Packages",
            "usr/lib/sysimage/rpm/Packages.db":
            return .rpmLegacyDatabase
        default: break
        }
        if path.hasPrefix("var/lib/dpkg/") {
            if path.hasPrefix("var/lib/dpkg/status.d/") {
                let name = path.dropFirst("var/lib/dpkg/status.d/".count)
                return name.isEmpty || name.contains("/") || name.hasSuffix(".md5sums") ? nil : .dpkgStatusEntry
            }
            if path.hasPrefix("var/lib/dpkg/info/") && path.hasSuffix(".list") && !path.dropFirst(18).contains("/") {
                return .dpkgFileList
            }
            return nil
        }
        if path.hasPrefix("usr/share/doc/") && path.hasSuffix("/copyright") {
            let middle = path.dropFirst("usr/share/doc/".count).dropLast("/copyright".count)
            return middle.isEmpty || middle.contains("/") ? nil : .dpkgCopyright
        }
        switch last {
        case UInt8(ascii: "A"):
            if path.hasSuffix(".dist-info/METADATA") { return .pythonMetadata }
        case UInt8(ascii: "O"):
            if path.hasSuffix(".egg-info/PKG-INFO") { return .pythonMetadata }
        case UInt8(ascii: "n"):
            if path.hasSuffix("/package.json") || path == "package.json" {
                return isNodeModulesPackage(path) ? .npmPackageJSON : nil
            }
            if path.hasSuffix("package-lock.json") && (path == "package-lock.json" || path.hasSuffix("/package-lock.json")) {
                return path.contains("node_modules/") ? nil : .npmLockfile
            }
        case UInt8(ascii: "o"):
            if path.hasSuffix(".egg-info") { return .pythonMetadata }  // distutils' single-file form
        default: break
        }
        if isJavaArchiveName(path) { return .javaArchive }
        return mode & 0o111 != 0 ? .executable : nil
    }

    /// `…/node_modules/NAME/package.json` or `…/node_modules/@SCOPE/NAME/package.json`.
    static func isNodeModulesPackage(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 3 else { return false }
        if parts[parts.count - 3] == "node_modules" { return !parts[parts.count - 2].hasPrefix("@") && parts[parts.count - 2] != ".bin" }
        return parts.count >= 4 && parts[parts.count - 4] == "node_modules" && parts[parts.count - 3].hasPrefix("@")
    }

    static func isJavaArchiveName(_ path: String) -> Bool {
        guard path.utf8.count > 4 else { return false }
        let suffix = path.suffix(4).lowercased()
        return suffix == ".jar" || suffix == ".war" || suffix == ".ear" || suffix == ".jpi" || suffix == ".hpi"
    }
}
