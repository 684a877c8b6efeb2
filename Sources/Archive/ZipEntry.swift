/// One member of a zip archive, as its central directory record describes it (sizes and offsets already widened
/// by the ZIP64 extra field). Hand-written from PKWARE's APPNOTE.TXT (sections 4.3.12 and 4.5.3).
public struct ZipEntry: Sendable, Hashable {
    public enum Method: Sendable, Hashable {
        case stored
        case deflated
        /// Any other method number (deflate64, bzip2, lzma, zstd…): listed, but `read` refuses it.
        case other(UInt16)

        init(code: UInt16) {
            switch code {
            case 0: self = .stored
            case 8: self = .deflated
            default: self = .other(code)
            }
        }
    }

    /// Position in the central directory (0-based).
    public let index: Int
    /// The name decoded as Python's `zipfile` does: UTF-8 when general-purpose bit 11 is set, else code page 437;
    /// cut at the first NUL.
    public let name: String
    /// The name's bytes as stored.
    public let rawName: [UInt8]
    public let method: Method
    /// General-purpose bit flags (bit 0 encrypted, bit 3 data descriptor, bit 11 UTF-8 name).
    public let flags: UInt16
    public let crc32: UInt32
    public let compressedSize: UInt64
    public let uncompressedSize: UInt64
    /// Absolute offset of the local file header in the file or buffer (data prepended to the archive, as in a
    /// self-extracting or shell-prefixed jar, is accounted for).
    public let localHeaderOffset: UInt64
    public let versionMadeBy: UInt16
    public let externalAttributes: UInt32
    /// MS-DOS date and time fields as stored.
    public let dosDate: UInt16
    public let dosTime: UInt16

    public var isDirectory: Bool { name.hasSuffix("/") }
    public var isEncrypted: Bool { flags & 0x0001 != 0 }
    public var hasDataDescriptor: Bool { flags & 0x0008 != 0 }
    public var hasUTF8Name: Bool { flags & 0x0800 != 0 }

    /// The Unix mode (type and permission bits) when the entry was made on Unix, else nil.
    public var unixMode: UInt32? {
        guard versionMadeBy >> 8 == 3 else { return nil }
        let mode = externalAttributes >> 16
        return mode == 0 ? nil : mode
    }

    public var isSymbolicLink: Bool {
        guard let mode = unixMode else { return false }
        return mode & 0o170000 == 0o120000
    }

    /// The modification time as (year, month, day, hour, minute, second), as `zipfile`'s `date_time`.
    public var dateTime: (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        (Int(dosDate >> 9) + 1980, Int(dosDate >> 5 & 0xF), Int(dosDate & 0x1F),
         Int(dosTime >> 11), Int(dosTime >> 5 & 0x3F), Int(dosTime & 0x1F) * 2)
    }

    static func decodeName(_ raw: [UInt8], utf8: Bool) -> String {
        let cut = raw.firstIndex(of: 0).map { Array(raw[..<$0]) } ?? raw
        if utf8 { return String(decoding: cut, as: UTF8.self) }
        var scalars = String.UnicodeScalarView()
        for byte in cut {
            let value = byte < 0x80 ? UInt32(byte) : UInt32(codePage437High[Int(byte) - 0x80])
            scalars.append(Unicode.Scalar(value) ?? "\u{FFFD}")
        }
        return String(scalars)
    }

    /// Code page 437's upper half (bytes 0x80…0xFF), the encoding of names without the UTF-8 flag.
    private static let codePage437High: [UInt16] = [
        0x00C7, 0x00FC, 0x00E9, 0x00E2, 0x00E4, 0x00E0, 0x00E5, 0x00E7, 0x00EA, 0x00EB, 0x00E8, 0x00EF, 0x00EE, 0x00EC,
        0x00C4, 0x00C5, 0x00C9, 0x00E6, 0x00C6, 0x00F4, 0x00F6, 0x00F2, 0x00FB, 0x00F9, 0x00FF, 0x00D6, 0x00DC, 0x00A2,
        0x00A3, 0x00A5, 0x20A7, 0x0192, 0x00E1, 0x00ED, 0x00F3, 0x00FA, 0x00F1, 0x00D1, 0x00AA, 0x00BA, 0x00BF, 0x2310,
        0x00AC, 0x00BD, 0x00BC, 0x00A1, 0x00AB, 0x00BB, 0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556,
        0x2555, 0x2563, 0x2551, 0x2557, 0x255D, 0x255C, 0x255B, 0x2510, 0x2514, 0x2534, 0x252C, 0x251C, 0x2500, 0x253C,
        0x255E, 0x255F, 0x255A, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256C, 0x2567, 0x2568, 0x2564, 0x2565, 0x2559,
        0x2558, 0x2552, 0x2553, 0x256B, 0x256A, 0x2518, 0x250C, 0x2588, 0x2584, 0x258C, 0x2590, 0x2580, 0x03B1, 0x00DF,
        0x0393, 0x03C0, 0x03A3, 0x03C3, 0x00B5, 0x03C4, 0x03A6, 0x0398, 0x03A9, 0x03B4, 0x221E, 0x03C6, 0x03B5, 0x2229,
        0x2261, 0x00B1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00F7, 0x2248, 0x00B0, 0x2219, 0x00B7, 0x221A, 0x207F, 0x00B2,
        0x25A0, 0x00A0,
    ]
}
