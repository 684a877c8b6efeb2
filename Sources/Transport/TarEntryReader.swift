import Archive
import Foundation

/// Reads a tar stream entry by entry, handing out each regular file's data as a bounded stream.
/// Header parsing (PAX, GNU long names, checksums, truncation) is Archive's `TarStreamValidator`, fed
/// block by block, so outer archives are held to the same rules as layers.
final class TarEntryReader {
    private let input: DecompressingInput
    private let validator: TarStreamValidator
    private var parsed: TarEntryHeader?
    private var dataRemaining: Int64 = 0
    private var paddingRemaining: Int64 = 0
    private let block = UnsafeMutableRawBufferPointer.allocate(byteCount: 512, alignment: 16)
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)

    init(input: DecompressingInput) {
        self.input = input
        var box: TarEntryHeader?
        let validator = TarStreamValidator { box = $0 }
        self.validator = validator
        self.takeParsed = { defer { box = nil }; return box }
    }

    private var takeParsed: () -> TarEntryHeader? = { nil }

    deinit {
        block.deallocate()
        scratch.deallocate()
    }

    /// The next entry's header, or nil at the end of the archive. Unread data of the previous entry is skipped.
    func next() throws -> TarEntryHeader? {
        try skipRemaining()
        while !validator.isFinished {
            let filled = try readFully(block)
            if filled < 512 {
                try validator.consume(UnsafeRawBufferPointer(rebasing: block[0..<filled]))
                _ = try validator.finish()
                return nil
            }
            try validator.consume(UnsafeRawBufferPointer(block))
            if let header = takeParsed() {
                switch header.kind {
                case .regular: dataRemaining = header.size
                case .other(UInt8(ascii: "S")):
                    throw TransportError.invalidArchive("sparse file \(header.name) in an image archive")
                case .other: dataRemaining = header.size
                default: dataRemaining = 0
                }
                paddingRemaining = (512 - dataRemaining % 512) % 512
                return header
            }
        }
        return nil
    }

    /// Reads the current entry's data; 0 at its end.
    func readData(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard dataRemaining > 0 else { return 0 }
        let wanted = Int(min(Int64(buffer.count), dataRemaining))
        let count = try input.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted]))
        if count == 0 {
            try validator.consume(UnsafeRawBufferPointer(rebasing: buffer[0..<0]))
            _ = try validator.finish()
            throw ArchiveError.unexpectedEOF(entry: nil)
        }
        try validator.consume(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        dataRemaining -= Int64(count)
        return count
    }

    private func skipRemaining() throws {
        while dataRemaining > 0 { _ = try readData(into: scratch) }
        while paddingRemaining > 0 {
            let wanted = Int(min(Int64(scratch.count), paddingRemaining))
            let count = try input.read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<wanted]))
            if count == 0 { break } // a stream may end inside the last entry's padding (Go accepts it)
            try validator.consume(UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
            paddingRemaining -= Int64(count)
        }
    }

    private func readFully(_ buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = try input.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if count == 0 { break }
            filled += count
        }
        return filled
    }
}
