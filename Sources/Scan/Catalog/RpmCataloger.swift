import Foundation
import GRDB

// The rpm header format read by hand (rpm's lib/header.c documents it; https://rpm-software-management.github.io/rpm/manual/format_header.html):
// big-endian index count and data length, 16-byte index entries (tag, type, offset, count), then the data
// store. Only the tags a catalog needs are decoded; every offset is bounds-checked.

/// RPM packages from an rpmdb in SQLite form (`var/lib/rpm/rpmdb.sqlite`, `usr/lib/sysimage/rpm/rpmdb.sqlite`).
enum RpmCataloger {
    static func packages(sqlite bytes: [UInt8], path: String, warnings: inout [String]) -> [CatalogedPackage] {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("strata-rpmdb-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var copy = bytes
        // The copy is private: a WAL-mode header (file format versions 2) is set back to rollback mode so SQLite
        // opens it read-only without a shared-memory file beside it.
        if copy.count > 100, copy[18] == 2, copy[19] == 2 { copy[18] = 1; copy[19] = 1 }
        let blobs: [[UInt8]]
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let file = directory.appendingPathComponent("rpmdb.sqlite")
            try Data(copy).write(to: file)
            var configuration = Configuration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: file.path, configuration: configuration)
            defer { try? queue.close() }
            blobs = try queue.read { db in
                try Row.fetchAll(db, sql: "SELECT blob FROM Packages").compactMap { row -> [UInt8]? in
                    (row[0] as Data?).map { [UInt8]($0) }
                }
            }
        } catch {
            warnings.append("/\(path): cannot read the rpmdb (\(oneLine(error))), skipped")
            return []
        }
        var packages: [CatalogedPackage] = []
        var unreadable = 0
        for blob in blobs {
            guard let header = RpmHeader(blob), let package = package(from: header) else { unreadable += 1; continue }
            packages.append(package)
        }
        if unreadable > 0 { warnings.append("/\(path): \(unreadable) unreadable package headers skipped") }
        return packages
    }

    static func package(from header: RpmHeader) -> CatalogedPackage? {
        guard let name = header.string(RpmHeader.Tag.name), !name.isEmpty,
            let version = header.string(RpmHeader.Tag.version), !version.isEmpty
        else { return nil }
        var full = version
        if let release = header.string(RpmHeader.Tag.release), !release.isEmpty { full += "-" + release }
        let versionRelease = full
        if let epoch = header.int32(RpmHeader.Tag.epoch) { full = "\(epoch):" + full }
        var package = CatalogedPackage(
            name: name, version: full, type: .rpm, purl: "", architecture: header.string(RpmHeader.Tag.arch))
        if let license = header.string(RpmHeader.Tag.license), !license.isEmpty { package.licenses = [license] }
        if let sourceRPM = header.string(RpmHeader.Tag.sourceRPM), let source = splitSourceRPM(sourceRPM) {
            if source.name != name { package.sourceName = source.name }
            if source.versionRelease != versionRelease { package.sourceVersion = source.versionRelease }
        }
        return package
    }

    /// `bash-5.1.8-6.el9.src.rpm` → (`bash`, `5.1.8-6.el9`).
    static func splitSourceRPM(_ file: String) -> (name: String, versionRelease: String)? {
        var base = Substring(file)
        for suffix in [".rpm", ".src", ".nosrc"] where base.hasSuffix(suffix) { base = base.dropLast(suffix.count) }
        let parts = base.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3 else { return nil }
        return (parts.dropLast(2).joined(separator: "-"), parts.suffix(2).joined(separator: "-"))
    }

    private static func oneLine(_ error: Error) -> String {
        String(describing: error).split(separator: "\n").first.map(String.init) ?? "error"
    }
}

/// One rpm header blob as stored in an rpmdb (no lead, no magic): the index and the data store.
struct RpmHeader {
    enum Tag {
        static let name: Int32 = 1000, version: Int32 = 1001, release: Int32 = 1002, epoch: Int32 = 1003
        static let license: Int32 = 1014, arch: Int32 = 1022, sourceRPM: Int32 = 1044
    }

    private struct Entry { var type: UInt32; var offset: Int; var count: Int }
    private let data: ArraySlice<UInt8>
    private var entries: [Int32: Entry] = [:]

    /// Nil when the blob is too short for the counts it declares.
    init?(_ blob: [UInt8]) {
        guard blob.count >= 8 else { return nil }
        let indexCount = Int(Self.uint32(blob, 0)), dataLength = Int(Self.uint32(blob, 4))
        guard indexCount > 0, indexCount < 1 << 16, dataLength < 1 << 28 else { return nil }
        let dataStart = 8 + indexCount * 16
        guard blob.count >= dataStart + dataLength else { return nil }
        data = blob[dataStart..<(dataStart + dataLength)]
        for index in 0..<indexCount {
            let at = 8 + index * 16
            let tag = Int32(bitPattern: Self.uint32(blob, at))
            let entry = Entry(type: Self.uint32(blob, at + 4), offset: Int(Int32(bitPattern: Self.uint32(blob, at + 8))),
                              count: Int(Self.uint32(blob, at + 12)))
            if entries[tag] == nil { entries[tag] = entry }
        }
    }

    private static func uint32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
    }

    /// A STRING or I18NSTRING (its first translation) or the first of a STRING_ARRAY.
    func string(_ tag: Int32) -> String? {
        guard let entry = entries[tag], [6, 8, 9].contains(entry.type), entry.offset >= 0, entry.offset < data.count
        else { return nil }
        let start = data.startIndex + entry.offset
        guard let end = data[start...].firstIndex(of: 0) else { return nil }
        return String(decoding: data[start..<end], as: UTF8.self)
    }

    /// The first value of an INT32 entry.
    func int32(_ tag: Int32) -> Int32? {
        guard let entry = entries[tag], entry.type == 4, entry.count >= 1, entry.offset >= 0, entry.offset + 4 <= data.count
        else { return nil }
        let at = data.startIndex + entry.offset
        return Int32(bitPattern: UInt32(data[at]) << 24 | UInt32(data[at + 1]) << 16 | UInt32(data[at + 2]) << 8 | UInt32(data[at + 3]))
    }
}
