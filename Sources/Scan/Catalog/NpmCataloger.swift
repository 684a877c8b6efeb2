import Foundation

/// npm packages from installed `node_modules/**/package.json` files and from `package-lock.json`
/// lockfiles (lockfileVersion 1: nested `dependencies`; 2 and 3: the flat `packages` map).
enum NpmCataloger {
    /// The package a `node_modules/…/package.json` describes.
    static func packages(packageJSON bytes: [UInt8], path: String, warnings: inout [String]) -> [CatalogedPackage] {
        guard let object = jsonObject(bytes, path: path, warnings: &warnings) else { return [] }
        guard let fullName = object["name"] as? String, !fullName.isEmpty,
            let version = object["version"] as? String, !version.isEmpty
        else {
            // A package.json without both is a private fixture or a stub, not an installed package.
            return []
        }
        return [package(fullName: fullName, version: version, licenses: licenses(of: object))]
    }

    /// The packages a lockfile pins.
    static func packages(lockfile bytes: [UInt8], path: String, warnings: inout [String]) -> [CatalogedPackage] {
        guard let object = jsonObject(bytes, path: path, warnings: &warnings) else { return [] }
        var found: [CatalogedPackage] = []
        if let packages = object["packages"] as? [String: Any] {
            for (key, value) in packages {
                guard let entry = value as? [String: Any], let range = key.range(of: "node_modules/", options: .backwards)
                else { continue }
                if entry["link"] as? Bool == true { continue }
                guard let version = entry["version"] as? String, !version.isEmpty else { continue }
                let fullName = entry["name"] as? String ?? String(key[range.upperBound...])
                found.append(package(fullName: fullName, version: version, licenses: licenses(of: entry)))
            }
        } else if let dependencies = object["dependencies"] as? [String: Any] {
            collectVersion1(dependencies, into: &found, depth: 0)
        } else if object["lockfileVersion"] == nil {
            warnings.append("/\(path): not an npm lockfile (no lockfileVersion, packages or dependencies)")
        }
        return found
    }

    private static func collectVersion1(_ dependencies: [String: Any], into found: inout [CatalogedPackage], depth: Int) {
        guard depth < 64 else { return }
        for (name, value) in dependencies {
            guard let entry = value as? [String: Any] else { continue }
            if let version = entry["version"] as? String, !version.isEmpty, !version.hasPrefix("file:") {
                found.append(package(fullName: name, version: version, licenses: []))
            }
            if let nested = entry["dependencies"] as? [String: Any] {
                collectVersion1(nested, into: &found, depth: depth + 1)
            }
        }
    }

    private static func jsonObject(_ bytes: [UInt8], path: String, warnings: inout [String]) -> [String: Any]? {
        do {
            guard let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
                warnings.append("/\(path): not a JSON object, skipped")
                return nil
            }
            return object
        } catch {
            warnings.append("/\(path): invalid JSON, skipped")
            return nil
        }
    }

    /// `@scope/name` → namespace `@scope`, name `name`.
    private static func package(fullName: String, version: String, licenses: [String]) -> CatalogedPackage {
        var namespace: String?
        var name = fullName
        if fullName.hasPrefix("@"), let slash = fullName.firstIndex(of: "/") {
            namespace = String(fullName[..<slash])
            name = String(fullName[fullName.index(after: slash)...])
        }
        return CatalogedPackage(name: name, version: version, type: .npm, purl: "", licenses: licenses, namespace: namespace)
    }

    /// `license` as a string or `{type}`, or the old `licenses: [{type}]` list.
    private static func licenses(of object: [String: Any]) -> [String] {
        var found: [String] = []
        func add(_ value: Any?) {
            if let text = value as? String, !text.isEmpty, text.utf8.count <= 200 {
                if !found.contains(text) { found.append(text) }
            } else if let object = value as? [String: Any] {
                add(object["type"])
            }
        }
        add(object["license"])
        if let list = object["licenses"] as? [Any] { list.forEach(add) } else { add(object["licenses"]) }
        return found
    }
}
