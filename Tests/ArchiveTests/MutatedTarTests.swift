import Testing

@testable import Archive
import TestKit

/// In-process stand-in for the libFuzzer harness: mutated tars must produce a result or an
/// ArchiveError, never a crash or a hang.
@Suite struct MutatedTarTests {

    static func seed() throws -> [UInt8] {
        var tar: [UInt8] = []
        let writer = TarWriter { tar.append(contentsOf: $0) }
        try writer.writeEntry(TarEntryHeader(name: String(repeating: "p/", count: 70) + "f", kind: .regular, uid: 1 << 30), data: [1, 2, 3])
        try writer.writeEntry(TarEntryHeader(name: "l", kind: .symbolicLink, linkName: String(repeating: "t", count: 120)))
        try writer.writeEntry(TarEntryHeader(name: "d/", kind: .directory))
        try writer.writeEntry(TarEntryHeader(name: "g", kind: .regular), data: Array(repeating: 9, count: 700))
        try writer.finish()
        return tar
    }

    @Test func mutatedTarsNeverCrash() throws {
        let seed = try Self.seed()
        var random = SeededGenerator(state: 42)
        var rejected = 0
        for round in 0..<400 {
            var tar = seed
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                let index = Int.random(in: 0..<tar.count, using: &random)
                switch round % 4 {
                case 0: tar[index] = UInt8.random(in: 0...255, using: &random)
                case 1: tar[index] = [0x80, 0xff, 0x20, 0x00, UInt8(ascii: "7"), UInt8(ascii: "x")].randomElement(using: &random)!
                case 2: tar.removeSubrange(index..<min(tar.count, index + Int.random(in: 1...600, using: &random)))
                default: tar.insert(contentsOf: Array("99999999999 size=-1\n".utf8), at: index)
                }
                if tar.isEmpty { break }
            }
            do {
                _ = try TarStreamValidator.validate(tar)
            } catch is ArchiveError {
                rejected += 1
            }
        }
        #expect(rejected > 100)
    }
}
