import Archive
import Foundation
import OCI

/// Measures a layer blob while it is being received: bytes written here are handed, in memory, to a thread that
/// decodes them (gzip, zstd, … or plain), hashes the tar (the diffID) and validates it, as `LayerIngest` does for
/// a file, but without a second read of the blob. Every decoded byte is hashed and checked against the diffID the
/// image promised. Memory: at most `ByteChannel.capacity` queued bytes plus the decoder's buffers.
final class DiffIDPipe {
    struct Measured {
        var diffID: Digest
        /// Decoded bytes.
        var uncompressedSize: Int64
        /// The size docker reports for the layer.
        var contentSize: Int64
    }

    private let channel = ByteChannel()
    private let done = DispatchSemaphore(value: 0)
    private let outcome = OutcomeBox()
    private var waited = false
    private(set) var consumerGone = false

    private final class OutcomeBox: @unchecked Sendable {
        var result: Result<Measured, Error>?
    }

    init() throws {
        let channel = channel, box = outcome, done = done
        let thread = Thread {
            box.result = Result { try DiffIDPipe.measure(channel) }
            channel.closeReading()
            done.signal()
        }
        thread.name = "strata.diffid"
        thread.start()
    }

    /// Passes bytes on (waiting while the channel is full). Once the measurement has failed, throws its error.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if !consumerGone && !channel.write(bytes) { consumerGone = true }
        // The reader stopped early: fail now if it failed; bytes after a finished tar are simply dropped.
        if consumerGone, case .failure(let error) = waitForResult() { throw error }
    }

    /// Ends the input and returns the measurement.
    func finish() throws -> Measured {
        try waitForResult().get()
    }

    /// Ends the input after a failure upstream and waits for the thread.
    func cancel() { _ = waitForResult() }

    private func waitForResult() -> Result<Measured, Error> {
        channel.closeWriting()
        if !waited { done.wait(); waited = true }
        return outcome.result!
    }

    private static func measure(_ channel: ByteChannel) throws -> Measured {
        let input = try DecompressingInput(reading: { channel.read(into: $0) })
        let validator = TarStreamValidator()
        var hasher = SHA256Hasher()
        var total: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let count: Int
            do {
                count = try input.read(into: buffer)
            } catch {
                // Like docker (and LayerIngest): once the tar's end marker is read, later decoding errors are ignored.
                if validator.isFinished { break }
                if case ArchiveError.unexpectedEOF = error { throw ArchiveError.unexpectedEOF(entry: validator.currentEntryName) }
                throw error
            }
            if count == 0 { break }
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            hasher.update(bufferPointer: bytes)
            try validator.consume(bytes)
            total += Int64(count)
        }
        let summary = try validator.finish()
        return Measured(diffID: hasher.finalize(), uncompressedSize: total, contentSize: summary.contentSize)
    }
}

/// Bytes handed from one thread to another without a kernel pipe: the writer's chunks are queued (up to
/// `capacity` bytes, then it waits), the reader copies out of them.
final class ByteChannel: @unchecked Sendable {
    static let capacity = 4 << 20

    private let condition = NSCondition()
    private var chunks: [[UInt8]] = []
    /// Emptied chunks, kept for their capacity: no allocation (nor page faults) per network read.
    private var spare: [[UInt8]] = []
    private var head = 0
    private var offset = 0
    private var queued = 0
    private var writingClosed = false
    private var readingClosed = false

    /// Queues a copy of `bytes`; false once the reader is gone (the bytes are dropped).
    func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count > 0 else { return true }
        condition.lock()
        while !readingClosed && queued >= Self.capacity { condition.wait() }
        if readingClosed {
            condition.unlock()
            return false
        }
        var chunk = spare.popLast() ?? []
        condition.unlock()
        chunk.removeAll(keepingCapacity: true)
        chunk.append(contentsOf: bytes)
        condition.lock()
        defer { condition.unlock() }
        if readingClosed { return false }
        queued += chunk.count
        chunks.append(chunk)
        condition.broadcast()
        return true
    }

    /// Copies queued bytes into `buffer`, waiting for some; 0 once the writer closed and all were read.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        condition.lock()
        defer { condition.unlock() }
        while head == chunks.count && !writingClosed { condition.wait() }
        var filled = 0
        while filled < buffer.count && head < chunks.count {
            let count = min(buffer.count - filled, chunks[head].count - offset)
            chunks[head].withUnsafeBytes { source in
                (buffer.baseAddress! + filled).copyMemory(from: source.baseAddress! + offset, byteCount: count)
            }
            filled += count
            offset += count
            if offset == chunks[head].count {
                if spare.count < 8 { spare.append(chunks[head]) }
                chunks[head] = []
                head += 1
                offset = 0
            }
        }
        if head == chunks.count {
            chunks.removeAll(keepingCapacity: true)
            head = 0
        }
        queued -= filled
        condition.broadcast()
        return filled
    }

    func closeWriting() {
        condition.lock()
        writingClosed = true
        condition.broadcast()
        condition.unlock()
    }

    func closeReading() {
        condition.lock()
        readingClosed = true
        chunks.removeAll()
        head = 0
        queued = 0
        condition.broadcast()
        condition.unlock()
    }
}
