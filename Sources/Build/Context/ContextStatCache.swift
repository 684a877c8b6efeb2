#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Foundation

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
final class ContextStatCache: @unchecked Sendable {
    let file: String?
    private let lock = NSLock()
    private var records: [String: StatCacheRecord] = [:]
    private var dirty = false
    /// Files hashed (cache misses) since opening; tests and benchmarks read it.
    private(set) var hashedCount = 0

    static let header = "strata-context-stat-cache v1"

    /// `cacheDirectory` nil keeps the table in memory only.
    init(cacheDirectory: String?, contextRoot: String) {
        guard let cacheDirectory else { file = nil; return }
        let key = SHA256.hash(data: Array(contextRoot.utf8)).prefix(12).map { String(format: "%02x", $0) }.joined()
        file = cacheDirectory + "/context-" + key + ".stat"
        load()
    }

    func lookup(_ path: String, _ status: FileStatus) -> [UInt8]? {
        lock.lock(); defer { lock.unlock() }
        guard let record = records[path], record.matches(status) else { return nil }
        return record.sha256
    }

    func store(_ path: String, _ status: FileStatus, sha256: [UInt8]) {
        lock.lock(); defer { lock.unlock() }
        records[path] = StatCacheRecord(size: status.size, modificationTime: status.modificationTime,
                                        inode: status.inode, mode: status.rawMode, sha256: sha256)
        dirty = true
        hashedCount += 1
    }

    /// Writes the table if anything changed (temp file + rename, so a crash leaves the old one).
    func save() throws {
        lock.lock(); defer { lock.unlock() }
        guard dirty, let file else { return }
        var text = Self.header + "\n"
        text.reserveCapacity(records.count * 120)
        for (path, record) in records {
            text += "\(record.size) \(record.modificationTime) \(record.inode) \(record.mode) \(hex(record.sha256)) \(escape(path))\n"
        }
        let directory = (file as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = file + ".tmp.\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)) else {
            throw FileSystemError("create", temporary, code: errno)
        }
        guard rename(temporary, file) == 0 else { throw FileSystemError("rename", temporary, code: errno) }
        dirty = false
    }

    private func load() {
        guard let file, let bytes = FileSystemCalls.readWholeFile(file, limit: 1 << 30) else { return }
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)[...]
        guard lines.first == Substring(Self.header) else { return }
        lines = lines.dropFirst()
        for line in lines {
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: false)
            guard fields.count == 6, let size = Int64(fields[0]), let mtime = Int64(fields[1]), let inode = UInt64(fields[2]),
                  let mode = UInt32(fields[3]), let digest = unhex(fields[4]), digest.count == 32 else { continue }
            records[unescape(fields[5])] = StatCacheRecord(size: size, modificationTime: mtime, inode: inode, mode: mode, sha256: digest)
        }
    }

    private func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes { out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    private func unhex(_ text: Substring) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let high = nibble(utf8[i]), let low = nibble(utf8[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    private func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    /// Paths may hold newlines or backslashes; both are escaped so one record stays one line.
    private func escape(_ path: String) -> String {
        guard path.contains(where: { $0 == "\n" || $0 == "\\" }) else { return path }
        return path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    private func unescape(_ text: Substring) -> String {
        guard text.contains("\\") else { return String(text) }
        var out = ""
        var escaping = false
        for c in text {
            if escaping { out.append(c == "n" ? "\n" : c); escaping = false } else if c == "\\" { escaping = true } else { out.append(c) }
        }
        return out
    }
}
