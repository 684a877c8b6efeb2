import SystemPackage

/// Where a zip archive's bytes live: a descriptor read at offsets (pread, so one archive may be read from several
/// threads and a 1 GB file is never loaded), or a buffer in memory (a jar nested in a jar).
enum ZipByteSource: Sendable {
    case descriptor(Int32, size: UInt64)
    case memory([UInt8])

    static let chunkSize = 256 << 10

    var size: UInt64 {
        switch self {
        case .descriptor(_, let size): return size
        case .memory(let bytes): return UInt64(bytes.count)
        }
    }

    /// Exactly `count` bytes at `offset`; a range past the end is `truncated` (`what` names the record).
    func read(at offset: UInt64, count: Int, what: String) throws -> [UInt8] {
        guard count >= 0, offset <= size, UInt64(count) <= size - offset else {
            throw ZipArchiveError(.truncated, "zip: truncated archive (\(what) runs past the end)")
        }
        switch self {
        case .memory(let bytes):
            let start = Int(offset)
            return Array(bytes[start..<start + count])
        case .descriptor(let fd, _):
            var result = [UInt8](repeating: 0, count: count)
            var filled = 0
            try result.withUnsafeMutableBytes { buffer in
                while filled < count {
                    let got = try Self.pread(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]),
                                             at: offset + UInt64(filled))
                    if got == 0 { throw ZipArchiveError(.truncated, "zip: truncated archive (the file shrank while \(what) was read)") }
                    filled += got
                }
            }
            return result
        }
    }

    /// Hands the `count` bytes at `offset` to `body` in pieces of at most `chunkSize` bytes, without copying a
    /// buffer in memory.
    func forEachChunk(at offset: UInt64, count: UInt64, what: String,
                      _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard offset <= size, count <= size - offset else {
            throw ZipArchiveError(.truncated, "zip: truncated archive (\(what) runs past the end)")
        }
        switch self {
        case .memory(let bytes):
            try bytes.withUnsafeBytes { all in
                var position = Int(offset)
                let end = position + Int(count)
                while position < end {
                    let next = min(end, position + Self.chunkSize)
                    try body(UnsafeRawBufferPointer(rebasing: all[position..<next]))
                    position = next
                }
            }
        case .descriptor(let fd, _):
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 16)
            defer { buffer.deallocate() }
            var done: UInt64 = 0
            while done < count {
                let want = Int(min(UInt64(Self.chunkSize), count - done))
                let got = try Self.pread(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<want]), at: offset + done)
                if got == 0 { throw ZipArchiveError(.truncated, "zip: truncated archive (the file shrank while \(what) was read)") }
                try body(UnsafeRawBufferPointer(rebasing: buffer[..<got]))
                done += UInt64(got)
            }
        }
    }

    private static func pread(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
        guard offset <= UInt64(Int64.max) else { throw ZipArchiveError(.corrupt, "zip: offset out of range") }
        do { return try FileDescriptor(rawValue: fd).read(fromAbsoluteOffset: Int64(offset), into: buffer) } catch let error as Errno {
            throw ZipArchiveError.systemCall("pread", errno: error.rawValue)
        }
    }
}

/// Little-endian field access over a record's bytes; every read is bounds-checked by the caller's record length.
struct ZipFields {
    let bytes: [UInt8]
    let base: Int

    init(_ bytes: [UInt8], at base: Int = 0) {
        self.bytes = bytes
        self.base = base
    }

    func has(_ count: Int, at offset: Int) -> Bool {
        offset >= 0 && count >= 0 && base + offset <= bytes.count && count <= bytes.count - base - offset
    }

    func u16(_ offset: Int) -> UInt16 {
        UInt16(bytes[base + offset]) | UInt16(bytes[base + offset + 1]) << 8
    }

    func u32(_ offset: Int) -> UInt32 {
        UInt32(u16(offset)) | UInt32(u16(offset + 2)) << 16
    }

    func u64(_ offset: Int) -> UInt64 {
        UInt64(u32(offset)) | UInt64(u32(offset + 4)) << 32
    }
}
