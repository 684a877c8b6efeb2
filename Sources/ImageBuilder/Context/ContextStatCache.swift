#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Foundation
import Synchronization

/// What a file looked like when it was hashed; a file whose lstat still shows the same size, mtime (ns),
/// inode and mode is not read again.
struct StatCacheRecord: Sendable, Equatable {
    var size: Int64
    var modificationTime: Int64
    var inode: UInt64
    var mode: UInt32
    var sha256: [UInt8]

    func matches(_ status: FileStatus) -> Bool {
        size == status.size && modificationTime == status.modificationTime && inode == status.inode && mode == status.rawMode
    }
}

/// A persistent path → (size, mtime, inode, mode) → sha256 table for one context directory, stored as
/// a line-oriented file under the cache directory (one file per absolute context path).
final class ContextStatCache: Sendable {
    let file: String?
    private let table: Mutex<Table>

    private struct Table {
        var records: [String: StatCacheRecord]
        var dirty = false
        var hashedCount = 0
        var hashedBytes: Int64 = 0
    }

    /// Files hashed (cache misses) since opening; tests and benchmarks read it.
    var hashedCount: Int { table.withLock { $0.hashedCount } }
    /// Their bytes: what BuildKit would have transferred from the client.
    var hashedBytes: Int64 { table.withLock { $0.hashedBytes } }

    static let header = "strata-context-stat-cache v1"

    /// `cacheDirectory` nil keeps the table in memory only.
    init(cacheDirectory: String?, contextRoot: String) {
        guard let cacheDirectory else {
            file = nil
            table = Mutex(Table(records: [:]))
            return
        }
        let key = SHA256.hash(data: Array(contextRoot.utf8)).prefix(12).map { String(format: "%02x", $0) }.joined()
        let file = cacheDirectory + "/context-" + key + ".stat"
        self.file = file
        table = Mutex(Table(records: Self.load(file)))
    }

    func lookup(_ path: String, _ status: FileStatus) -> [UInt8]? {
        table.withLock { table in
            guard let record = table.records[path], record.matches(status) else { return nil }
            return record.sha256
        }
    }

    func store(_ path: String, _ status: FileStatus, sha256: [UInt8]) {
        table.withLock { table in
            table.records[path] = StatCacheRecord(size: status.size, modificationTime: status.modificationTime,
                                                  inode: status.inode, mode: status.rawMode, sha256: sha256)
            table.dirty = true
            table.hashedCount += 1
            table.hashedBytes += status.size
        }
    }

    /// Writes the table if anything changed (temp file + rename, so a crash leaves the old one).
    func save() throws {
        try table.withLock { try writeFile(&$0) }
    }

    private func writeFile(_ table: inout Table) throws {
        guard table.dirty, let file else { return }
        var text = Self.header + "\n"
        text.reserveCapacity(table.records.count * 120)
        for (path, record) in table.records {
            text += "\(record.size) \(record.modificationTime) \(record.inode) \(record.mode) \(hex(record.sha256)) \(escape(path))\n"
        }
        let directory = (file as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = file + ".tmp.\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)) else {
            throw FileSystemError("create", temporary, code: errno)
        }
        guard rename(temporary, file) == 0 else { throw FileSystemError("rename", temporary, code: errno) }
        table.dirty = false
    }

    /// Parses the table on bytes (a String split would walk grapheme clusters of a multi-MB file).
    private static func load(_ file: String) -> [String: StatCacheRecord] {
        var records: [String: StatCacheRecord] = [:]
        guard let bytes = FileSystemCalls.readWholeFile(file, limit: 1 << 30) else { return records }
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
        guard let first = lines.first, Array(first) == Array(Self.header.utf8) else { return records }
        records.reserveCapacity(lines.count)
        for line in lines.dropFirst() {
            let fields = line.split(separator: UInt8(ascii: " "), maxSplits: 5, omittingEmptySubsequences: false)
            guard fields.count == 6, let size = Self.integer(fields[0]), let mtime = Self.integer(fields[1]),
                  let inode = Self.integer(fields[2]), let mode = Self.integer(fields[3]),
                  let digest = unhex(fields[4]), digest.count == 32 else { continue }
            let path = unescape(String(decoding: fields[5], as: UTF8.self))
            records[path] = StatCacheRecord(size: size, modificationTime: mtime, inode: UInt64(bitPattern: inode),
                                            mode: UInt32(truncatingIfNeeded: mode), sha256: digest)
        }
        return records
    }

    private static func integer(_ bytes: ArraySlice<UInt8>) -> Int64? {
        guard !bytes.isEmpty, bytes.count <= 20 else { return nil }
        var value: Int64 = 0
        var negative = false
        for (offset, byte) in bytes.enumerated() {
            if offset == 0 && byte == UInt8(ascii: "-") { negative = true; continue }
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            let (product, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = product.addingReportingOverflow(Int64(byte - 0x30))
            guard !overflowA && !overflowB else { return nil }
            value = sum
        }
        return negative ? -value : value
    }

    private func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes { out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    private static func unhex(_ utf8: ArraySlice<UInt8>) -> [UInt8]? {
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var i = utf8.startIndex
        while i < utf8.endIndex {
            guard let high = nibble(utf8[i]), let low = nibble(utf8[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    /// Paths may hold newlines or backslashes; both are escaped so one record stays one line.
    private func escape(_ path: String) -> String {
        guard path.utf8.contains(where: { $0 == 10 || $0 == 92 }) else { return path }
        return path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    private static func unescape(_ text: String) -> String {
        guard text.contains("\\") else { return String(text) }
        var out = ""
        var escaping = false
        for c in text {
            if escaping { out.append(c == "n" ? "\n" : c); escaping = false } else if c == "\\" { escaping = true } else { out.append(c) }
        }
        return out
    }
}
