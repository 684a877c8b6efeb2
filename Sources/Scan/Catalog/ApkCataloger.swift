// Hand-written reader of apk's installed database (lib/apk/db/installed): one `X:value` line per field,
// packages separated by blank lines (https://wiki.alpinelinux.org/wiki/Apk_spec).

/// Alpine packages from `lib/apk/db/installed`.
enum ApkCataloger {
    static func packages(installed bytes: [UInt8], path: String, warnings: inout [String]) -> [CatalogedPackage] {
        var packages: [CatalogedPackage] = []
        var name: Substring?, version: Substring?, arch: Substring?, license: Substring?, origin: Substring?
        var malformed: [Int] = []
        var incomplete = 0
        var lineNumber = 0
        var fieldCount = 0

        func flush() {
            defer { name = nil; version = nil; arch = nil; license = nil; origin = nil; fieldCount = 0 }
            guard fieldCount > 0 else { return }
            guard let name, !name.isEmpty, let version, !version.isEmpty else { incomplete += 1; return }
            var package = CatalogedPackage(
                name: String(name), version: String(version), type: .apk, purl: "",
                architecture: arch.map(String.init))
            if let license, !license.isEmpty { package.licenses = [String(license)] }
            if let origin, !origin.isEmpty, origin != name { package.sourceName = String(origin) }
            packages.append(package)
        }

        let text = String(decoding: bytes, as: UTF8.self)
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.isEmpty { flush(); continue }
            guard line.count >= 2, line[line.index(after: line.startIndex)] == ":" else {
                malformed.append(lineNumber)
                continue
            }
            fieldCount += 1
            let value = line.dropFirst(2)
            switch line.first {
            case "P": name = value
            case "V": version = value
            case "A": arch = value
            case "L": license = value
            case "o": origin = value
            default: break
            }
        }
        flush()
        if let warning = ControlFields.malformedWarning(path, malformed) { warnings.append(warning) }
        if incomplete > 0 { warnings.append("/\(path): \(incomplete) entries without a package name or version skipped") }
        return packages
    }
}
