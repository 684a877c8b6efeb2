/// Field layout and numeric codecs of a 512-byte tar header block (V7, ustar, GNU, star),
/// hand-written because no tar library is available to Swift on Linux and the ingest needs
/// Go archive/tar's exact accept/reject behaviour.
enum TarHeaderBlock {
    static let size = 512

    enum Field {
        static let name = 0..<100
        static let mode = 100..<108
        static let uid = 108..<116
        static let gid = 116..<124
        static let size = 124..<136
        static let modificationTime = 136..<148
        static let checksum = 148..<156
        static let typeflag = 156
        static let linkName = 157..<257
        static let magic = 257..<263
        static let version = 263..<265
        static let userName = 265..<297
        static let groupName = 297..<329
        static let deviceMajor = 329..<337
        static let deviceMinor = 337..<345
        static let ustarPrefix = 345..<500
        static let starPrefix = 345..<476
        static let starTrailer = 508..<512
        static let gnuSparseEntries = 386
        static let gnuIsExtended = 482
        static let gnuRealSize = 483..<495
    }

    enum Format { case v7, ustar, gnu, star }

    static func isZero(_ block: UnsafeRawBufferPointer) -> Bool {
        // Word-wise scan; header blocks are 8-byte aligned in our buffers.
        let words = block.bindMemory(to: UInt64.self)
        for word in words where word != 0 { return false }
        return true
    }

    /// Go's getFormat: nil when the checksum does not verify (the block is not a tar header).
    static func format(of block: UnsafeRawBufferPointer) -> Format? {
        var parser = NumericParser()
        let stored = parser.octal(block, Field.checksum)
        guard !parser.failed else { return nil }
        var unsigned: Int64 = 0
        var signed: Int64 = 0
        for index in 0..<size {
            let byte = Field.checksum.contains(index) ? UInt8(ascii: " ") : block[index]
            unsigned += Int64(byte)
            signed += Int64(Int8(bitPattern: byte))
        }
        guard stored == unsigned || stored == signed else { return nil }
        if bytesEqual(block, Field.magic, "ustar\0") {
            return bytesEqual(block, Field.starTrailer, "tar\0") ? .star : .ustar
        }
        if bytesEqual(block, Field.magic, "ustar ") && bytesEqual(block, Field.version, " \0") { return .gnu }
        return .v7
    }

    static func bytesEqual(_ block: UnsafeRawBufferPointer, _ range: Range<Int>, _ text: StaticString) -> Bool {
        let expected = UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        guard expected.count == range.count else { return false }
        for (offset, byte) in expected.enumerated() where block[range.lowerBound + offset] != byte { return false }
        return true
    }

    /// The bytes of a NUL-terminated field, cut at the first NUL.
    static func string(_ block: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        var end = range.lowerBound
        while end < range.upperBound && block[end] != 0 { end += 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: block[range.lowerBound..<end]), as: UTF8.self)
    }

    /// Writes the checksum field of a fully populated block (as GNU tar: 6 octal digits, NUL, space).
    static func storeChecksum(_ block: UnsafeMutableRawBufferPointer) {
        for index in Field.checksum { block[index] = UInt8(ascii: " ") }
        var sum = 0
        for byte in block { sum += Int(byte) }
        let digits = Array(String(sum, radix: 8).utf8)
        let padded = [UInt8](repeating: UInt8(ascii: "0"), count: 6 - digits.count) + digits
        for (offset, byte) in padded.enumerated() { block[Field.checksum.lowerBound + offset] = byte }
        block[Field.checksum.lowerBound + 6] = 0
        block[Field.checksum.lowerBound + 7] = UInt8(ascii: " ")
    }
}

/// Go's tar number parsing: base-256 when the high bit is set, else octal padded by spaces/NULs.
struct NumericParser {
    private(set) var failed = false

    mutating func numeric(_ block: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int64 {
        guard !range.isEmpty, block[range.lowerBound] & 0x80 != 0 else { return octal(block, range) }
        let invert: UInt8 = block[range.lowerBound] & 0x40 != 0 ? 0xff : 0
        var value: UInt64 = 0
        for index in range {
            var byte = block[index] ^ invert
            if index == range.lowerBound { byte &= 0x7f }
            if value >> 56 > 0 { failed = true; return 0 }
            value = value << 8 | UInt64(byte)
        }
        if value >> 63 > 0 { failed = true; return 0 }
        return invert == 0xff ? ~Int64(bitPattern: value) : Int64(bitPattern: value)
    }

    mutating func octal(_ block: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int64 {
        var start = range.lowerBound
        var end = range.upperBound
        func isPadding(_ byte: UInt8) -> Bool { byte == 0 || byte == UInt8(ascii: " ") }
        while start < end && isPadding(block[start]) { start += 1 }
        while end > start && isPadding(block[end - 1]) { end -= 1 }
        var value: UInt64 = 0
        var index = start
        while index < end && block[index] != 0 {
            let digit = block[index] &- UInt8(ascii: "0")
            guard digit < 8, value >> 61 == 0 else { failed = true; return 0 }
            value = value << 3 | UInt64(digit)
            index += 1
        }
        if index == start && start < end { failed = true }
        return Int64(bitPattern: value)
    }
}
