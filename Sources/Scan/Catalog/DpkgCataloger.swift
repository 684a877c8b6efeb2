/// Debian packages from dpkg's database: `var/lib/dpkg/status` (or one file per package under
/// `status.d/`, as distroless images ship), licences from `usr/share/doc/NAME/copyright` (DEP-5).
enum DpkgCataloger {
    /// The installed packages of a status file; stanzas that cannot be read are skipped with a warning.
    static func packages(status bytes: [UInt8], path: String, warnings: inout [String]) -> [CatalogedPackage] {
        var malformed: [Int] = []
        let stanzas = ControlFields.stanzas(String(decoding: bytes, as: UTF8.self), malformedLines: &malformed)
        if let warning = ControlFields.malformedWarning(path, malformed) { warnings.append(warning) }
        var packages: [CatalogedPackage] = []
        var incomplete = 0
        for stanza in stanzas {
            // dpkg's database lists removed and half-installed packages too; only installed ones are in the image.
            if let status = stanza.first("Status") {
                let words = status.split(separator: " ")
                guard words.count == 3, words[2] == "installed" else { continue }
            } else if path.hasSuffix("var/lib/dpkg/status") {
                incomplete += 1
                continue
            }
            guard let name = stanza.first("Package"), !name.isEmpty, let version = stanza.first("Version"), !version.isEmpty
            else {
                incomplete += 1
                continue
            }
            var package = CatalogedPackage(
                name: String(name), version: String(version), type: .deb, purl: "",
                architecture: stanza.first("Architecture").map(String.init))
            if let source = stanza.first("Source") {
                // `Source: name (version)` when the source version differs from the binary's.
                let parts = source.split(separator: " ", maxSplits: 1)
                if let sourceName = parts.first, sourceName != name { package.sourceName = String(sourceName) }
                if parts.count == 2 {
                    let rest = ControlFields.trimmed(parts[1])
                    if rest.hasPrefix("(") && rest.hasSuffix(")") {
                        let sourceVersion = ControlFields.trimmed(rest.dropFirst().dropLast())
                        if !sourceVersion.isEmpty && sourceVersion != version { package.sourceVersion = String(sourceVersion) }
                    }
                }
            }
            packages.append(package)
        }
        if incomplete > 0 {
            warnings.append("/\(path): \(incomplete) stanza\(incomplete == 1 ? "" : "s") without a package name, version or status skipped")
        }
        return packages
    }

    /// The licence names of a DEP-5 copyright file (the first line of each `License:` field), in order,
    /// without repeats. Files not in the machine-readable format give none.
    static func licenses(copyright bytes: [UInt8]) -> [String] {
        var malformed: [Int] = []
        let text = String(decoding: bytes, as: UTF8.self)
        var found: [String] = []
        for stanza in ControlFields.stanzas(text, malformedLines: &malformed) {
            for value in stanza.all("License") {
                let line = value.split(separator: "\n", maxSplits: 1).first.map { ControlFields.trimmed($0) } ?? ""
                let name = String(line)
                if !name.isEmpty && name.utf8.count <= 200 && !found.contains(name) { found.append(name) }
            }
        }
        return found
    }
}
