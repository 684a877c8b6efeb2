// Hand-written reader of os-release(5): KEY=value lines, values optionally in single or double quotes
// with shell-style backslash escapes inside double quotes; comments and blank lines ignored.

/// The distribution of an image, from os-release or the older one-line release files.
enum OSReleaseParser {
    static func identity(osRelease bytes: [UInt8]) -> OSIdentity? {
        var values: [String: String] = [:]
        for rawLine in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let line = ControlFields.trimmed(rawLine)
            guard !line.hasPrefix("#"), let equals = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<equals])
            values[key] = unquote(line[line.index(after: equals)...])
        }
        guard let id = values["ID"], !id.isEmpty else { return nil }
        return OSIdentity(
            id: id, versionID: values["VERSION_ID"].flatMap { $0.isEmpty ? nil : $0 },
            versionCodename: values["VERSION_CODENAME"].flatMap { $0.isEmpty ? nil : $0 },
            prettyName: values["PRETTY_NAME"])
    }

    private static func unquote(_ value: Substring) -> String {
        guard let quote = value.first, quote == "\"" || quote == "'" else { return String(value) }
        var out = ""
        var escaped = false
        for character in value.dropFirst() {
            if escaped { out.append(character); escaped = false; continue }
            if character == "\\" && quote == "\"" { escaped = true; continue }
            if character == quote { break }
            out.append(character)
        }
        return out
    }

    /// `etc/alpine-release`: the version on its first line.
    static func identity(alpineRelease bytes: [UInt8]) -> OSIdentity? {
        let version = firstLine(bytes)
        return version.isEmpty ? nil : OSIdentity(id: "alpine", versionID: version)
    }

    /// `etc/debian_version`: `12.5` gives VERSION_ID 12 (as os-release has it); `trixie/sid` a codename.
    static func identity(debianVersion bytes: [UInt8]) -> OSIdentity? {
        let text = firstLine(bytes)
        guard !text.isEmpty else { return nil }
        if let major = text.split(separator: ".").first, major.allSatisfy(\.isNumber) {
            return OSIdentity(id: "debian", versionID: String(major))
        }
        return OSIdentity(id: "debian", versionID: nil, versionCodename: text.split(separator: "/").first.map(String.init))
    }

    private static func firstLine(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes.prefix(256), as: UTF8.self)
        return String(ControlFields.trimmed(text.split(separator: "\n").first ?? ""))
    }
}
