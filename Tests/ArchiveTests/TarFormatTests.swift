import Foundation
import Testing

@testable import Archive

@Suite struct TarFormatTests {
    static func entries(_ tar: [UInt8]) throws -> [TarEntryHeader] {
        var entries: [TarEntryHeader] = []
        _ = try TarStreamValidator.validate(tar) { entries.append($0) }
        return entries
    }

    static let longName = String(repeating: "long-directory-name/", count: 12) + "file-with-a-long-name.txt"
    static let longLink = String(repeating: "x", count: 150)

    @Test func writerUsesPaxForLongValuesAndReaderAppliesThem() throws {
        var tar: [UInt8] = []
        let writer = TarWriter { tar.append(contentsOf: $0) }
        try writer.writeEntry(
            TarEntryHeader(
                name: Self.longName, kind: .regular, uid: 10_000_000, gid: 5, modificationTime: 1_700_000_000,
                xattrs: ["user.note": Array("hi".utf8), "security.capability": [1, 0, 0, 2]]),
            data: Array("payload".utf8))
        try writer.writeEntry(TarEntryHeader(name: "s", kind: .symbolicLink, linkName: Self.longLink))
        try writer.writeEntry(TarEntryHeader(name: "ünïcode", kind: .regular), data: [1])
        try writer.finish()
        let parsed = try Self.entries(tar)
        #expect(parsed.map(\.name) == [Self.longName, "s", "ünïcode"])
        #expect(parsed[0].uid == 10_000_000 && parsed[0].gid == 5 && parsed[0].size == 7)
        #expect(parsed[0].xattrs == ["user.note": Array("hi".utf8), "security.capability": [1, 0, 0, 2]])
        #expect(parsed[1].linkName == Self.longLink)
    }

    @Test func writerOutputIsReadByGnuTarAndPython() throws {
        var tar: [UInt8] = []
        let writer = TarWriter { tar.append(contentsOf: $0) }
        try writer.writeEntry(TarEntryHeader(name: "d/", kind: .directory, mode: 0o755, modificationTime: 1_700_000_000))
        try writer.writeEntry(TarEntryHeader(name: "d/" + Self.longName, kind: .regular, mode: 0o600), data: Array("abc".utf8))
        try writer.writeEntry(TarEntryHeader(name: "d/link", kind: .symbolicLink, linkName: Self.longLink))
        try writer.writeEntry(TarEntryHeader(name: "d/dev", kind: .characterDevice, mode: 0o666, deviceMajor: 1, deviceMinor: 3))
        try writer.finish()

        if TestSupport.toolExists("tar") {
            let (listing, status) = try TestSupport.run(["tar", "-tvf", "-"], input: tar)
            #expect(status == 0)
            let text = String(decoding: listing, as: UTF8.self)
            #expect(text.contains("d/" + Self.longName))
            #expect(text.contains("d/link -> " + Self.longLink))
            #expect(text.contains("1,3"))
        }
        if TestSupport.toolExists("python3") {
            let script = """
                import sys, tarfile, io
                t = tarfile.open(fileobj=io.BytesIO(sys.stdin.buffer.read()))
                for m in t: print(m.name, m.size, oct(m.mode), m.type.decode(), m.linkname)
                """
            let (listing, status) = try TestSupport.run(["python3", "-c", script], input: tar)
            #expect(status == 0)
            let lines = String(decoding: listing, as: UTF8.self).split(separator: "\n")
            #expect(lines.count == 4)
            #expect(lines[1] == "d/\(Self.longName) 3 0o600 0 ")
            #expect(lines[2].hasSuffix(Self.longLink))
        }
    }

    @Test func readsGnuLongNamesWrittenByGnuTar() throws {
        guard TestSupport.toolExists("tar") else { return }
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let deep = directory.appendingPathComponent(Self.longName).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: deep, withIntermediateDirectories: true)
        try TestSupport.writeFile(Array("x".utf8), to: directory.appendingPathComponent(Self.longName))
        try FileManager.default.createSymbolicLink(
            atPath: directory.appendingPathComponent("sl").path, withDestinationPath: Self.longLink)
        for format in ["gnu", "pax", "oldgnu"] {
            let (tar, status) = try TestSupport.run(
                ["tar", "--format=\(format)", "-cf", "-", "-C", directory.path, "."], input: [])
            #expect(status == 0)
            let parsed = try Self.entries(tar)
            #expect(parsed.contains { $0.name == "./" + Self.longName && $0.size == 1 }, "format \(format)")
            #expect(parsed.contains { $0.name == "./sl" && $0.linkName == Self.longLink }, "format \(format)")
        }
    }

    @Test func readsPaxRecordsWrittenByPython() throws {
        guard TestSupport.toolExists("python3") else { return }
        let script = """
            import sys, tarfile, io
            b = io.BytesIO()
            with tarfile.open(fileobj=b, mode='w', format=tarfile.PAX_FORMAT) as t:
                ti = tarfile.TarInfo('p/' + 'n' * 300); ti.size = 2; ti.pax_headers = {'SCHILY.xattr.user.k': 'v'}
                t.addfile(ti, io.BytesIO(b'ok'))
                ti = tarfile.TarInfo('big-uid'); ti.uid = 2**40; t.addfile(ti)
            sys.stdout.buffer.write(b.getvalue())
            """
        let (tar, status) = try TestSupport.run(["python3", "-c", script])
        #expect(status == 0)
        let parsed = try Self.entries(tar)
        #expect(parsed.map(\.name) == ["p/" + String(repeating: "n", count: 300), "big-uid"])
        #expect(parsed[0].xattrs["user.k"] == Array("v".utf8))
        #expect(parsed[1].uid == 1 << 40)
    }

    @Test func rejectsBadChecksumsAndMalformedPax() throws {
        var tar = try TestSupport.sampleTar()
        tar[0] ^= 0x20  // name byte changes, stored checksum no longer matches
        #expect(throws: ArchiveError.invalidHeader(offset: 0)) { try TarStreamValidator.validate(tar) }

        var pax: [UInt8] = []
        let writer = TarWriter { pax.append(contentsOf: $0) }
        try writer.writeEntry(TarEntryHeader(name: "x", kind: .other(UInt8(ascii: "x"))), data: Array("9 bad\n".utf8))
        try writer.writeEntry(TarEntryHeader(name: "f", kind: .regular))
        try writer.finish()
        #expect(throws: ArchiveError.self) { try TarStreamValidator.validate(pax) }
    }

    @Test func zeroBlockFollowedByHeaderIsInvalid() throws {
        let entry = try TestSupport.sampleTar(fileSizes: [])
        let body = Array(entry.dropLast(1024))
        let tar = body + [UInt8](repeating: 0, count: 512) + body
        #expect(throws: ArchiveError.self) { try TarStreamValidator.validate(tar) }
    }
}
