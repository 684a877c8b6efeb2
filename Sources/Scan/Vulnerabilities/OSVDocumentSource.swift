// Hand-written for Strata: where OSV records are imported from (an osv.dev `all.zip`, a directory of .json files,
// or one .json file), read as a stream of documents, and the parsing of one document into database rows.
import Archive
import Foundation

/// One import path, classified before anything is written.
struct OSVDocumentSource: Sendable {
    enum Kind: Sendable { case zip, directory, jsonFile }

    let path: String
    let kind: Kind

    /// Classifies `path`: a directory, a zip (by its signature), or a file taken as JSON.
    init(path: String) throws {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var info = stat()
        guard stat(absolute, &info) == 0 else {
            throw VulnerabilityDatabaseError.invalidSource(path: path, reason: String(cString: strerror(errno)))
        }
        self.path = absolute
        if info.st_mode & S_IFMT == S_IFDIR {
            kind = .directory
        } else if info.st_mode & S_IFMT == S_IFREG {
            kind = try Self.startsWithZipSignature(absolute) ? .zip : .jsonFile
        } else {
            throw VulnerabilityDatabaseError.invalidSource(path: path, reason: "not a zip, a directory or a .json file")
        }
    }

    /// The name `status` shows: the file or directory name, with its parent for osv.dev's `ECOSYSTEM/all.zip`.
    var displayName: String {
        let url = URL(fileURLWithPath: path)
        if url.lastPathComponent == "all.zip" { return url.deletingLastPathComponent().lastPathComponent + "/all.zip" }
        return url.lastPathComponent
    }

    private static func startsWithZipSignature(_ path: String) throws -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw VulnerabilityDatabaseError.posix("open \(path)") }
        defer { close(fd) }
        var magic = [UInt8](repeating: 0, count: 4)
        let count = magic.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4) }
        // An empty zip is only its end-of-central-directory record ("PK\5\6").
        return count == 4 && magic[0] == 0x50 && magic[1] == 0x4B && (magic[2] == 3 || magic[2] == 5) && (magic[3] == 4 || magic[3] == 6)
    }

    /// The documents of the source, in a stable order, and what reads each one. Reading is done by the caller, on as
    /// many threads as it likes (a zip archive may be read concurrently).
    func documents() throws -> (references: [OSVDocumentReference], reader: OSVDocumentReader) {
        switch kind {
        case .jsonFile:
            return ([.file(path)], OSVDocumentReader(archive: nil, path: path))
        case .directory:
            return (try Self.jsonFiles(under: path).map { .file($0) }, OSVDocumentReader(archive: nil, path: path))
        case .zip:
            let archive = try OSVZipDocuments.open(path: path)
            let entries = archive.entriesInFileOrder.filter { !$0.isDirectory && $0.name.hasSuffix(".json") }
            return (entries.map { .zipEntry($0) }, OSVDocumentReader(archive: archive, path: path))
        }
    }

    /// Every `*.json` regular file below `root`, sorted; symbolic links are not followed.
    static func jsonFiles(under root: String) throws -> [String] {
        var result: [String] = []
        var pending = [root]
        while let directory = pending.popLast() {
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
                throw VulnerabilityDatabaseError.posix("read directory \(directory)", EACCES)
            }
            for entry in entries {
                let full = directory + "/" + entry
                var info = stat()
                guard lstat(full, &info) == 0 else { continue }
                if info.st_mode & S_IFMT == S_IFDIR {
                    pending.append(full)
                } else if info.st_mode & S_IFMT == S_IFREG, entry.hasSuffix(".json") {
                    result.append(full)
                }
            }
        }
        return result.sorted()
    }

    static func readFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw VulnerabilityDatabaseError.posix("open \(path)") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var info = stat()
        if fstat(fd, &info) == 0 { bytes.reserveCapacity(Int(info.st_size)) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw VulnerabilityDatabaseError.posix("read \(path)")
            }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        return bytes
    }
}

/// One document of a source: a file, or an entry of the source's zip.
enum OSVDocumentReference: Sendable {
    case file(String)
    case zipEntry(ZipEntry)
}

/// Reads documents of one source; safe to use from several threads at once.
struct OSVDocumentReader: Sendable {
    let archive: ZipArchive?
    let path: String

    func bytes(of reference: OSVDocumentReference) throws -> [UInt8] {
        switch reference {
        case .file(let file): return try OSVDocumentSource.readFile(file)
        case .zipEntry(let entry):
            guard let archive else { return [] }
            return try OSVZipDocuments.read(entry, of: archive, path: path)
        }
    }
}

/// One document parsed into what the database stores.
struct ParsedOSVDocument: Sendable {
    /// A record ready to insert: compact JSON of the reduced model and one index row per affected package.
    struct Row: Sendable {
        var id: String
        var modified: String?
        var body: Data
        var affected: [AffectedKey]
        var ecosystems: Set<String>
    }

    /// `(ecosystem base, release suffix, normalised name, index of the affected entry)`.
    struct AffectedKey: Sendable {
        var ecosystem: String
        var release: String
        var name: String
        var entry: Int
    }

    var rows: [Row] = []
    var malformed = 0
    var withdrawn = 0

    /// Parses one file's bytes: one record, or a JSON array of records (each element judged alone).
    static func parse(_ bytes: [UInt8]) -> ParsedOSVDocument {
        var document = ParsedOSVDocument()
        let data = Data(bytes)
        let decoder = JSONDecoder()
        let encoder = JSONEncoder()
        if bytes.first(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }) == UInt8(ascii: "[") {
            guard let elements = try? decoder.decode([RecordOrMalformed].self, from: data) else {
                document.malformed += 1
                return document
            }
            for element in elements {
                if let record = element.record { document.add(record, encoder: encoder) } else { document.malformed += 1 }
            }
        } else if let record = try? decoder.decode(OSVRecord.self, from: data) {
            document.add(record, encoder: encoder)
        } else {
            document.malformed += 1
        }
        return document
    }

    private mutating func add(_ record: OSVRecord, encoder: JSONEncoder) {
        if let withdrawn = record.withdrawn, !withdrawn.isEmpty {
            self.withdrawn += 1
            return
        }
        guard let body = try? encoder.encode(record) else {
            malformed += 1
            return
        }
        var keys: [AffectedKey] = []
        var ecosystems: Set<String> = []
        for (index, affected) in record.affected.enumerated() {
            guard let package = affected.package, !package.name.isEmpty, !package.ecosystem.isEmpty else { continue }
            let (base, release) = OSVEcosystem.split(package.ecosystem)
            keys.append(AffectedKey(ecosystem: base, release: release, name: OSVEcosystem.normalizedName(package.name, ecosystem: base), entry: index))
            ecosystems.insert(package.ecosystem)
        }
        rows.append(Row(id: record.id, modified: record.modified, body: body, affected: keys, ecosystems: ecosystems))
    }
}

/// A record, or nothing when the element is not one (for arrays of records).
private struct RecordOrMalformed: Decodable {
    var record: OSVRecord?
    init(from decoder: any Decoder) throws { record = try? OSVRecord(from: decoder) }
}

/// OSV ecosystem strings and package names as the index keys them.
enum OSVEcosystem {
    /// `Debian:12` → (`Debian`, `12`); `Ubuntu:22.04:LTS` → (`Ubuntu`, `22.04:LTS`); `PyPI` → (`PyPI`, ``).
    static func split(_ ecosystem: String) -> (base: String, release: String) {
        guard let colon = ecosystem.firstIndex(of: ":") else { return (ecosystem, "") }
        return (String(ecosystem[..<colon]), String(ecosystem[ecosystem.index(after: colon)...]))
    }

    /// PyPI names per PEP 503 (lower case, runs of `-`, `_`, `.` as one `-`); other ecosystems' names as they are.
    static func normalizedName(_ name: String, ecosystem base: String) -> String {
        guard base == "PyPI" else { return name }
        var result = ""
        var pendingSeparator = false
        for character in name.lowercased() {
            if character == "-" || character == "_" || character == "." {
                pendingSeparator = true
            } else {
                if pendingSeparator { result.append("-") }
                pendingSeparator = false
                result.append(character)
            }
        }
        if pendingSeparator { result.append("-") }
        return result
    }
}
