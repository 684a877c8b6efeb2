import Foundation
import Testing

@testable import Archive
import TestKit

/// The zip reader against Python's `zipfile` and Info-ZIP's `zip`: every archive is made by one of them, and the
/// names, sizes, CRCs and contents Strata reads must equal what `zipfile` reads from the same file, through a
/// descriptor and from memory.
@Suite struct ZipArchiveTests {
    static let python = "/usr/bin/python3"

    /// Makes archives with zipfile (the scenario picks the writer's options), prints what zipfile reads back.
    static let writerScript = #"""
import base64, io, json, os, sys, zipfile
scenario, path = sys.argv[1], sys.argv[2]
blob = bytes((i * 7 + i // 251) & 0xFF for i in range(700_000))
text = ("line %d of some repetitive text\n" * 40000 % tuple(range(40000))).encode()
members = [("empty.txt", b""), ("dir/", None), ("dir/a.txt", b"hello\n"), ("dir/blob.bin", blob),
           ("text/ünïcødé-名前.txt", "grüße 🌍\n".encode()), ("big.txt", text)]
class Unseekable(io.RawIOBase):
    def __init__(self, f): self.f = f
    def writable(self): return True
    def write(self, b): return self.f.write(b)
    def seekable(self): return False
if scenario == "zip64":
    zipfile.ZIP64_LIMIT = 16
    zipfile.ZIP_FILECOUNT_LIMIT = 2
with open(path, "wb") as out:
    # A launcher script in front of a finished archive (offsets stay relative to the archive, as `cat` leaves them).
    if scenario == "prepended":
        out.write(b"#!/bin/sh\nexec java -jar \"$0\" \"$@\"\n")
    raw = io.BytesIO()
    target = Unseekable(raw) if scenario == "descriptors" else raw
    with zipfile.ZipFile(target, "w") as z:
        for index, (name, data) in enumerate(members):
            if data is None:
                z.writestr(zipfile.ZipInfo(name), b"")
                continue
            method = zipfile.ZIP_STORED if (scenario == "stored" or name.endswith(".bin")) else zipfile.ZIP_DEFLATED
            if scenario == "descriptors":
                info = zipfile.ZipInfo(name)
                info.compress_type = method
                with z.open(info, "w") as w:
                    w.write(data)
            elif scenario == "forced64":
                with z.open(name, "w", force_zip64=True) as w:
                    w.write(data)
            else:
                z.writestr(name, data, compress_type=method, compresslevel=9 if index % 3 == 0 else 1)
        z.comment = b"made by zipfile"
    out.write(raw.getvalue())
"""#

    /// Prints what zipfile reads from an archive: one JSON object per entry, in central directory order.
    static let readerScript = #"""
import base64, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    print(json.dumps({"comment": base64.b64encode(z.comment).decode(), "entries": [
        {"name": i.filename, "size": i.file_size, "csize": i.compress_size, "crc": i.CRC, "method": i.compress_type,
         "flags": i.flag_bits, "date": list(i.date_time), "data": base64.b64encode(z.read(i)).decode()}
        for i in z.infolist()]}))
"""#

    struct Expected: Decodable {
        struct Entry: Decodable {
            var name: String, size: UInt64, csize: UInt64, crc: UInt32, method: UInt16, flags: UInt16, date: [Int]
            var data: String
        }
        var comment: String
        var entries: [Entry]
    }

    static func zipfileReads(_ path: String) throws -> Expected {
        let result = try TestSupport.run([python, "-c", readerScript, path])
        try #require(result.status == 0, "zipfile could not read \(path)")
        return try JSONDecoder().decode(Expected.self, from: Data(result.output))
    }

    /// Checks Strata's reading of `path` (through a descriptor, a path and memory) against zipfile's.
    static func assertMatchesZipfile(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = try zipfileReads(path)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        for archive in [try ZipArchive(fileDescriptor: fd), try ZipArchive(path: path), try ZipArchive(bytes: bytes)] {
            #expect(archive.comment == [UInt8](Data(base64Encoded: expected.comment)!), sourceLocation: sourceLocation)
            #expect(archive.entries.map(\.name) == expected.entries.map(\.name), sourceLocation: sourceLocation)
            for (entry, want) in zip(archive.entries, expected.entries) {
                #expect(entry.uncompressedSize == want.size && entry.compressedSize == want.csize, "\(want.name)", sourceLocation: sourceLocation)
                #expect(entry.crc32 == want.crc && entry.flags == want.flags, "\(want.name)", sourceLocation: sourceLocation)
                #expect(entry.method == ZipEntry.Method(code: want.method), "\(want.name)", sourceLocation: sourceLocation)
                let date = entry.dateTime
                #expect([date.year, date.month, date.day, date.hour, date.minute, date.second] == want.date, sourceLocation: sourceLocation)
                let content = try archive.read(entry, limit: 1 << 30)
                #expect(content == [UInt8](Data(base64Encoded: want.data)!), "content of \(want.name)", sourceLocation: sourceLocation)
                var streamed: [UInt8] = []
                var pieces = 0
                try archive.stream(entry) { streamed += $0; pieces += 1 }
                #expect(streamed == content, sourceLocation: sourceLocation)
                #expect(pieces <= max(1, content.count / 4096 + 1), sourceLocation: sourceLocation)
            }
            if let last = expected.entries.last(where: { $0.size > 0 }) {
                #expect(try archive.read(named: last.name, limit: 1 << 30) == [UInt8](Data(base64Encoded: last.data)!))
            }
        }
    }

    static func makeWithZipfile(_ scenario: String, in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("\(scenario).zip").path
        let result = try TestSupport.run([python, "-c", writerScript, scenario, path])
        try #require(result.status == 0, "zipfile could not write the \(scenario) archive")
        return path
    }

    @Test(arguments: ["mixed", "stored", "descriptors", "zip64", "forced64", "prepended"])
    func readsWhatZipfileWrites(scenario: String) throws {
        guard TestSupport.toolExists("python3") else { return }
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try Self.makeWithZipfile(scenario, in: directory)
        try Self.assertMatchesZipfile(path)
        let archive = try ZipArchive(path: path)
        #expect(archive.entries.count == 6)
        #expect(archive.entry(named: "dir/")?.isDirectory == true)
        #expect(archive.entry(named: "text/ünïcødé-名前.txt")?.hasUTF8Name == true)
        switch scenario {
        case "descriptors": #expect(archive.entries.filter { !$0.isDirectory }.allSatisfy { $0.hasDataDescriptor })
        case "prepended": #expect(archive.prependedByteCount > 0)
        case "stored": #expect(archive.entries.allSatisfy { $0.method == .stored })
        default: break
        }
    }

    @Test func readsWhatInfoZipWrites() throws {
        guard TestSupport.toolExists("python3"), TestSupport.toolExists("zip") else { return }
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tree = directory.appendingPathComponent("tree")
        try FileManager.default.createDirectory(at: tree.appendingPathComponent("sub/deeper"), withIntermediateDirectories: true)
        try Data("small\n".utf8).write(to: tree.appendingPathComponent("sub/small.txt"))
        try Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 13 ^ $0 >> 8) }).write(to: tree.appendingPathComponent("sub/deeper/noise.bin"))
        try Data(String(repeating: "compressible text ", count: 50_000).utf8).write(to: tree.appendingPathComponent("text.txt"))
        try Data().write(to: tree.appendingPathComponent("empty"))
        for (name, options) in [("default", ["-r"]), ("store", ["-r", "-0"]), ("best", ["-r", "-9"]), ("zip64", ["-r", "-fz"])] {
            let path = directory.appendingPathComponent("\(name).zip").path
            let result = try TestSupport.run(["zip", "-q", "-X"] + options + [path, "."], directory: tree)
            try #require(result.status == 0)
            try Self.assertMatchesZipfile(path)
        }
        // Written to a pipe, zip cannot seek back: data descriptors after each member.
        let streamed = try TestSupport.run(["zip", "-q", "-r", "-", "."], directory: tree)
        try #require(streamed.status == 0)
        let streamedPath = directory.appendingPathComponent("streamed.zip").path
        try Data(streamed.output).write(to: URL(fileURLWithPath: streamedPath))
        try Self.assertMatchesZipfile(streamedPath)
        #expect(try ZipArchive(path: streamedPath).entries.contains { $0.hasDataDescriptor })
    }

    @Test func namesWithoutTheUTF8FlagAreCodePage437() throws {
        let archive = try ZipArchive(bytes: HandMadeZip.stored([(name: [0x63, 0x61, 0x66, 0x82, 0x2E, 0x74, 0x78, 0x74], data: Array("x".utf8))]))
        #expect(archive.entries.first?.name == "café.txt")
        #expect(archive.entries.first?.hasUTF8Name == false)
        #expect(try archive.read(archive.entries[0], limit: 10) == Array("x".utf8))
    }

    @Test func emptyArchive() throws {
        let archive = try ZipArchive(bytes: [0x50, 0x4B, 0x05, 0x06] + [UInt8](repeating: 0, count: 18))
        #expect(archive.entries.isEmpty)
    }

    @Test func limitsAreEnforced() throws {
        let bytes = HandMadeZip.stored([(name: Array("a".utf8), data: [UInt8](repeating: 7, count: 1000))])
        let archive = try ZipArchive(bytes: bytes)
        #expect(throws: ZipArchiveError.self) { try archive.read(archive.entries[0], limit: 999) }
        #expect(try archive.read(archive.entries[0], limit: 1000).count == 1000)
        let many = HandMadeZip.stored((0..<10).map { (name: Array("f\($0)".utf8), data: [UInt8]()) })
        #expect(Self.failure { _ = try ZipArchive(bytes: many, limits: .init(maxEntries: 5)) } == .limitExceeded)
    }

    @Test func damageIsReportedNotTrapped() throws {
        let bytes = HandMadeZip.stored([(name: Array("a.txt".utf8), data: Array("hello zip".utf8)),
                                        (name: Array("b.txt".utf8), data: Array("second".utf8))])
        // A flipped content byte: the CRC catches it.
        var flipped = bytes
        flipped[30 + 5] ^= 0x20
        let damaged = try ZipArchive(bytes: flipped)
        #expect(Self.failure { _ = try damaged.read(damaged.entries[0], limit: 100) } == .checksumMismatch)
        #expect(Self.failure { _ = try ZipArchive(bytes: Array("not a zip at all, just text".utf8)) } == .notAZip)
        #expect(Self.failure { _ = try ZipArchive(bytes: []) } == .notAZip)
        // Every truncation is an error (or, cut inside the comment-free tail, notAZip); none traps.
        for length in 0..<bytes.count {
            #expect(Self.failure { _ = try ZipArchive(bytes: Array(bytes[..<length])) } != nil)
        }
        // The second central directory entry pointing at the first's local header: overlapping data, refused.
        var overlapping = bytes
        let secondCentral = HandMadeZip.centralDirectoryOffsets(bytes)[1]
        overlapping.replaceSubrange((secondCentral + 42)..<(secondCentral + 46), with: [0, 0, 0, 0])
        #expect(Self.failure { _ = try ZipArchive(bytes: overlapping) } == .corrupt)
        // An encrypted flag: listed, refused on read.
        var encrypted = bytes
        encrypted[HandMadeZip.centralDirectoryOffsets(bytes)[0] + 8] |= 1
        let locked = try ZipArchive(bytes: encrypted)
        #expect(Self.failure { _ = try locked.read(locked.entries[0], limit: 100) } == .unsupported)
    }

    @Test func deflateDamageAndLies() throws {
        guard TestSupport.toolExists("python3") else { return }
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: try Self.makeWithZipfile("mixed", in: directory))))
        let archive = try ZipArchive(bytes: bytes)
        let big = try #require(archive.entry(named: "big.txt"))
        #expect(big.method == .deflated)
        // Corrupt bytes inside the compressed stream: an error of some kind, never a trap.
        var damaged = bytes
        let start = Int(big.localHeaderOffset) + 30 + big.rawName.count + 20
        for offset in stride(from: start, to: start + Int(big.compressedSize) - 40, by: 97) { damaged[offset] ^= 0x5A }
        let broken = try ZipArchive(bytes: damaged)
        #expect(Self.failure { _ = try broken.read(broken.entry(named: "big.txt")!, limit: 1 << 30) } != nil)
        // A central directory claiming a smaller size than the data inflates to: stopped at the claim.
        var lying = bytes
        let central = HandMadeZip.centralDirectoryOffsets(bytes)[big.index]
        lying.replaceSubrange((central + 24)..<(central + 28), with: [0x00, 0x10, 0, 0])
        let liar = try ZipArchive(bytes: lying)
        #expect(Self.failure { _ = try liar.read(liar.entry(named: "big.txt")!, limit: 1 << 30) } == .corrupt)
    }

    @Test func fuzzedInputNeverTraps() throws {
        var generator = SeededGenerator(seed: 0x5EED)
        let seed = HandMadeZip.stored([(name: Array("one".utf8), data: Array("first file".utf8)),
                                       (name: Array("two/".utf8), data: []),
                                       (name: Array("three".utf8), data: [UInt8](repeating: 3, count: 300))])
        var outcomes = (opened: 0, failed: 0)
        for round in 0..<3000 {
            var bytes: [UInt8]
            if round % 3 == 0 {
                bytes = (0..<Int.random(in: 0..<200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                if round % 2 == 0 { bytes += [0x50, 0x4B, 0x05, 0x06] + (0..<18).map { _ in UInt8.random(in: 0...255, using: &generator) } }
            } else {
                bytes = seed
                for _ in 0..<Int.random(in: 1...6, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
            }
            do {
                let archive = try ZipArchive(bytes: bytes)
                outcomes.opened += 1
                for entry in archive.entries { _ = try? archive.read(entry, limit: 1 << 20) }
            } catch is ZipArchiveError {
                outcomes.failed += 1
            }
        }
        #expect(outcomes.opened > 0 && outcomes.failed > 0)
    }

    static func failure(_ body: () throws -> Void) -> ZipArchiveError.Failure? {
        do { try body() } catch let error as ZipArchiveError {
            #expect(!error.message.contains("\n") && error.message.hasPrefix("zip: "))
            return error.failure
        } catch { Issue.record("unexpected error \(error)") }
        return nil
    }
}

/// A minimal stored-only zip writer for fixtures the tools would not write (code page 437 names, damage).
enum HandMadeZip {
    static func stored(_ members: [(name: [UInt8], data: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        func le16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF)] }
        func le32(_ value: UInt32) -> [UInt8] { le16(Int(value & 0xFFFF)) + le16(Int(value >> 16)) }
        for member in members {
            let crc = member.data.withUnsafeBytes { crc32Reference($0) }
            let common = le16(10) + le16(0) + le16(0) + le16(0) + le16(0x21) + le32(crc)
                + le32(UInt32(member.data.count)) + le32(UInt32(member.data.count)) + le16(member.name.count) + le16(0)
            let offset = UInt32(out.count)
            out += le32(0x0403_4B50) + common + member.name + member.data
            central += le32(0x0201_4B50) + le16(0x031E) + common + le16(0) + le16(0) + le16(0) + le32(0o100644 << 16)
                + le32(offset) + member.name
        }
        let directoryOffset = out.count
        out += central
        out += le32(0x0605_4B50) + le16(0) + le16(0) + le16(members.count) + le16(members.count)
            + le32(UInt32(central.count)) + le32(UInt32(directoryOffset)) + le16(0)
        return out
    }

    /// Offsets of the central directory records (found by walking from the end record; the test fixtures have no comment).
    static func centralDirectoryOffsets(_ bytes: [UInt8]) -> [Int] {
        let fields = ZipFields(bytes)
        var end = bytes.count - 22
        while fields.u32(end) != 0x0605_4B50 { end -= 1 }
        var position = Int(fields.u32(end + 16))
        var offsets: [Int] = []
        while position < end, fields.u32(position) == 0x0201_4B50 {
            offsets.append(position)
            position += 46 + Int(fields.u16(position + 28)) + Int(fields.u16(position + 30)) + Int(fields.u16(position + 32))
        }
        return offsets
    }

    /// Bitwise CRC-32 (IEEE, reflected), independent of isa-l's.
    static func crc32Reference(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}


