#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Archive
import Foundation

// Hand-written readers of the two Java metadata formats a jar carries: the JAR manifest
// (https://docs.oracle.com/en/java/javase/21/docs/specs/jar/jar.html: `Name: value`, continuation lines
// start with one space and join without it) and Maven's pom.properties (java.util.Properties text:
// `key=value`, `key: value`, `#`/`!` comments).

/// Java archives (jar, war, ear, Jenkins' jpi/hpi): one package per `META-INF/maven/**/pom.properties`, else
/// one from the manifest; jars inside jars opened recursively within a depth and an inflation budget.
enum JavaArchiveCataloger {
    /// Reads the current tar entry (a Java archive of `entrySize` bytes): in memory up to the file size
    /// limit, spooled to an unlinked temporary file beyond it (a zip is read from its end).
    static func packages(
        entrySize: Int64, reader: TarEntryReader, path: String, options: CatalogOptions, warnings: inout [String]
    ) throws -> [CatalogedPackage] {
        let archive: ZipArchive
        var spooled: Int32 = -1
        defer { if spooled >= 0 { close(spooled) } }
        do {
            if entrySize <= Int64(options.maxFileSize), let bytes = try reader.readAll(limit: options.maxFileSize) {
                archive = try ZipArchive(bytes: bytes)
            } else {
                spooled = try spool(reader)
                archive = try ZipArchive(fileDescriptor: spooled)
            }
        } catch let error as ZipArchiveError {
            warnings.append("/\(path): not a readable Java archive (\(error.message))")
            return []
        }
        var budget = options.maxArchiveExpansion
        var budgetWarned = false
        return packages(in: archive, fileName: (path as NSString).lastPathComponent, nestedPath: "", depth: 0,
                        options: options, budget: &budget, budgetWarned: &budgetWarned, display: "/" + path, warnings: &warnings)
    }

    /// Copies the tar entry's data to an unlinked temporary file and returns its descriptor.
    private static func spool(_ reader: TarEntryReader) throws -> Int32 {
        var template = Array((NSTemporaryDirectory() + "/strata-jar-XXXXXX").utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw ZipArchiveError(.systemCall, "zip: cannot make a temporary file") }
        unlink(template)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        do {
            while true {
                let count = try reader.readData(into: buffer)
                if count == 0 { break }
                var written = 0
                while written < count {
                    let result = write(fd, buffer.baseAddress! + written, count - written)
                    guard result > 0 else { throw ZipArchiveError(.systemCall, "zip: cannot spool the archive (\(String(cString: strerror(errno))))") }
                    written += result
                }
            }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// The packages of one archive and, within the limits, of the archives inside it. `nestedPath` is where
    /// it sits inside the top-level file (`:lib/a.jar:b.jar`), kept as the packages' location suffix.
    static func packages(
        in archive: ZipArchive, fileName: String, nestedPath: String, depth: Int, options: CatalogOptions,
        budget: inout Int, budgetWarned: inout Bool, display: String, warnings: inout [String]
    ) -> [CatalogedPackage] {
        var found: [CatalogedPackage] = []
        var manifest: [String: String] = [:]
        for entry in archive.entries where !entry.isDirectory {
            let name = entry.name
            if name == "META-INF/MANIFEST.MF" {
                if let bytes = read(entry, from: archive, display: display, warnings: &warnings) {
                    manifest = mainAttributes(bytes)
                }
            } else if name.hasPrefix("META-INF/maven/") && name.hasSuffix("/pom.properties") {
                guard let bytes = read(entry, from: archive, display: display, warnings: &warnings) else { continue }
                let properties = javaProperties(bytes)
                guard let artifact = properties["artifactId"], !artifact.isEmpty,
                      let version = properties["version"], !version.isEmpty else { continue }
                found.append(CatalogedPackage(
                    name: artifact, version: version, type: .javaArchive, purl: "",
                    locations: nestedPath.isEmpty ? [] : [nestedPath], namespace: properties["groupId"]))
            }
        }
        if found.isEmpty, let package = manifestPackage(manifest, fileName: fileName, nestedPath: nestedPath) {
            found.append(package)
        }
        if let license = manifest["Bundle-License"], !license.isEmpty, license.utf8.count <= 200, found.count == 1 {
            found[0].licenses = [license]
        }
        for entry in archive.entries where !entry.isDirectory && CatalogCandidate.isJavaArchiveName(entry.name) {
            let inner = "\(display):\(entry.name)"
            guard depth + 1 < options.maxArchiveDepth else {
                warnings.append("\(inner): nested deeper than \(options.maxArchiveDepth) archives; not opened")
                continue
            }
            guard entry.uncompressedSize <= UInt64(max(0, budget)), entry.uncompressedSize <= UInt64(options.maxFileSize) else {
                if !budgetWarned {
                    warnings.append("\(display): nested archives inflate past \(options.maxArchiveExpansion) bytes; the rest not opened")
                    budgetWarned = true
                }
                continue
            }
            budget -= Int(entry.uncompressedSize)
            do {
                let bytes = try archive.read(entry, limit: Int(entry.uncompressedSize))
                let nested = try ZipArchive(bytes: bytes)
                found += packages(in: nested, fileName: (entry.name as NSString).lastPathComponent,
                                  nestedPath: nestedPath + ":" + entry.name, depth: depth + 1, options: options,
                                  budget: &budget, budgetWarned: &budgetWarned, display: inner, warnings: &warnings)
            } catch {
                warnings.append("\(inner): not a readable Java archive (\(oneLine(error)))")
            }
        }
        return found
    }

    private static func read(_ entry: ZipEntry, from archive: ZipArchive, display: String, warnings: inout [String]) -> [UInt8]? {
        do {
            return try archive.read(entry, limit: 1 << 20)
        } catch {
            warnings.append("\(display): \(oneLine(error))")
            return nil
        }
    }

    /// A package from the manifest's main section when no pom.properties names one: the title or bundle name,
    /// else the file name; the implementation, bundle or specification version, else one in the file name.
    static func manifestPackage(_ manifest: [String: String], fileName: String, nestedPath: String) -> CatalogedPackage? {
        let base = fileName.split(separator: ".").count > 1 ? String(fileName[..<fileName.lastIndex(of: ".")!]) : fileName
        // `name-1.2.3` → name `name`, version `1.2.3` (the first `-` followed by a digit).
        var fileArtifact = base, fileVersion: String?
        if let dash = base.indices.first(where: { base[$0] == "-" && base.index(after: $0) < base.endIndex && base[base.index(after: $0)].isNumber }) {
            fileArtifact = String(base[..<dash])
            fileVersion = String(base[base.index(after: dash)...])
        }
        let symbolicName = manifest["Bundle-SymbolicName"].map { String($0.split(separator: ";").first ?? "") }
        let name = [manifest["Implementation-Title"], symbolicName, manifest["Specification-Title"]]
            .compactMap { $0 }.first { !$0.isEmpty && !$0.contains(" ") } ?? fileArtifact
        guard let version = [manifest["Implementation-Version"], manifest["Bundle-Version"], manifest["Specification-Version"], fileVersion]
            .compactMap({ $0 }).first(where: { !$0.isEmpty }), !name.isEmpty
        else { return nil }
        return CatalogedPackage(name: name, version: version, type: .javaArchive, purl: "",
                                locations: nestedPath.isEmpty ? [] : [nestedPath],
                                namespace: manifest["Implementation-Vendor-Id"].flatMap { $0.isEmpty ? nil : $0 })
    }

    /// The manifest's main section (up to the first blank line).
    static func mainAttributes(_ bytes: [UInt8]) -> [String: String] {
        var attributes: [String: String] = [:]
        var lastKey: String?
        for rawLine in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.isEmpty { if !attributes.isEmpty { break } else { continue } }
            if line.hasPrefix(" "), let key = lastKey {
                attributes[key, default: ""] += line.dropFirst()
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon])
            attributes[key] = String(ControlFields.trimmed(line[line.index(after: colon)...]))
            lastKey = key
        }
        return attributes
    }

    /// `key=value` / `key: value` / `key value` lines of a .properties file (escapes beyond `\\` are rare here).
    static func javaProperties(_ bytes: [UInt8]) -> [String: String] {
        var properties: [String: String] = [:]
        for rawLine in String(decoding: bytes, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let line = rawLine.drop { $0 == " " || $0 == "\t" }
            guard let first = line.first, first != "#", first != "!" else { continue }
            guard let separator = line.firstIndex(where: { $0 == "=" || $0 == ":" || $0 == " " || $0 == "\t" }) else {
                properties[String(line)] = ""
                continue
            }
            var value = line[line.index(after: separator)...].drop { $0 == " " || $0 == "\t" }
            if line[separator] == " " || line[separator] == "\t", let next = value.first, next == "=" || next == ":" {
                value = value.dropFirst().drop { $0 == " " || $0 == "\t" }
            }
            properties[String(line[..<separator])] = String(ControlFields.trimmed(value))
        }
        return properties
    }

    private static func oneLine(_ error: Error) -> String {
        String(describing: error).split(separator: "\n").first.map(String.init) ?? "error"
    }
}
