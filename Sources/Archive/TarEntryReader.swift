import Foundation
import OCI

/// Reads a tar stream entry by entry, handing out each entry's data as a bounded stream: image
/// archives (load) and layers read without unpacking them (scan, analyze). Header parsing (PAX, GNU
/// long names, checksums, truncation) is `TarStreamValidator`, fed block by block, so every tar is
/// held to the same rules. With `measuring`, every decoded byte is hashed so `finishMeasuring()` gives
/// the stream's diffID (a layer is proven in the pass that reads it).
public final class TarEntryReader {
    private let input: DecompressingInput
    private var hasher: SHA256Hasher?
    private let measuredByInput: Bool
    private let validator: TarStreamValidator
    private var parsed: TarEntryHeader?
    private var dataRemaining: Int64 = 0
    private var paddingRemaining: Int64 = 0
    private let block = UnsafeMutableRawBufferPointer.allocate(byteCount: 512, alignment: 16)
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)

    /// An input made with `measuring` hashes on its own thread; then the reader leaves the hashing to it.
    public init(input: DecompressingInput, measuring: Bool = false) {
        self.input = input
        hasher = measuring && !input.measures ? SHA256Hasher() : nil
        measuredByInput = measuring && input.measures
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
    public func next() throws -> TarEntryHeader? {
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
                case .regular, .other: dataRemaining = header.size
                default: dataRemaining = 0
                }
                paddingRemaining = (512 - dataRemaining % 512) % 512
                return header
            }
        }
        return nil
    }

    /// Reads the current entry's data; 0 at its end.
    public func readData(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard dataRemaining > 0 else { return 0 }
        let wanted = Int(min(Int64(buffer.count), dataRemaining))
        let count = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted]))
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
            let count = try read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<wanted]))
            if count == 0 { break } // a stream may end inside the last entry's padding (Go accepts it)
            try validator.consume(UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
            paddingRemaining -= Int64(count)
        }
    }

    private func readFully(_ buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if count == 0 { break }
            filled += count
        }
        return filled
    }

    /// Reads the current entry's data up to `limit` bytes into memory; nil (and the data left unread)
    /// when the entry is larger.
    public func readAll(limit: Int) throws -> [UInt8]? {
        guard dataRemaining <= Int64(limit) else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(dataRemaining))
        var filled = 0
        try bytes.withUnsafeMutableBytes { buffer in
            while filled < buffer.count {
                let count = try readData(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
                filled += count
            }
        }
        return bytes
    }

    /// With `measuring`: reads whatever follows the archive's end (a diffID covers every decoded byte)
    /// and returns the digest of the whole decoded stream. Call once, after `next()` returned nil.
    public func finishMeasuring() throws -> Digest? {
        guard hasher != nil || measuredByInput else { return nil }
        try skipRemaining()
        while try read(into: scratch) > 0 {}
        return measuredByInput ? input.decodedDigest : hasher?.finalize()
    }

    private func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = try input.read(into: buffer)
        if count > 0, hasher != nil { hasher!.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count])) }
        return count
    }
}
