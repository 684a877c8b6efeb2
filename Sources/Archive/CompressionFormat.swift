/// The compression wrapped around a layer tar, recognised by its leading magic bytes.
public enum CompressionFormat: String, Sendable, Equatable, CaseIterable {
    case none
    case gzip
    case bzip2
    case xz
    case zstd

    /// The number of leading bytes `detect` needs to tell every format apart.
    public static let magicLength = 6

    /// Detects the format from the first bytes of a stream (fewer than `magicLength` is fine).
    public static func detect(_ prefix: UnsafeRawBufferPointer) -> CompressionFormat {
        func starts(with magic: [UInt8]) -> Bool {
            prefix.count >= magic.count && zip(prefix, magic).allSatisfy { $0 == $1 }
        }
        if starts(with: [0x1f, 0x8b, 0x08]) { return .gzip }
        if starts(with: [0x42, 0x5a, 0x68]) { return .bzip2 }
        if starts(with: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) { return .xz }
        if starts(with: [0x28, 0xb5, 0x2f, 0xfd]) { return .zstd }
        return .none
    }

    public static func detect(_ prefix: [UInt8]) -> CompressionFormat {
        prefix.withUnsafeBytes { detect($0) }
    }
}
