import CZlib
import Dispatch

/// Compresses a byte stream as a sequence of independent gzip members, one per chunk, on all
/// cores, writing the members in order to a descriptor while hashing what is written.
///
/// The concatenation is a valid multi-member gzip file (`gzip -d`, Go's gzip.Reader). Memory is
/// bounded by the fixed slot ring: `slotCount` chunks in flight, each with its own input buffer,
/// output buffer and reusable zlib stream. The caller fills one slot at a time (on its own thread)
/// via `nextInputBuffer` / `submit`; slots are recycled in order, so output order is input order.
final class ParallelGzipEncoder {
    /// One chunk's buffers; ownership passes caller → worker → caller, handed off by `finished`.
    private final class Slot: @unchecked Sendable {
        let input: UnsafeMutableRawBufferPointer
        let output: UnsafeMutableRawBufferPointer
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        let finished = DispatchSemaphore(value: 0)
        var inputCount = 0
        var outputCount = 0
        var failed = false
        var busy = false

        init(chunkSize: Int, level: Int32) throws {
            stream.initialize(to: z_stream())
            let status = deflateInit2_(
                stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                Int32(MemoryLayout<z_stream>.size))
            guard status == Z_OK else {
                stream.deallocate()
                throw ArchiveError.invalidArgument("gzip: invalid compression level \(level)")
            }
            input = .allocate(byteCount: chunkSize, alignment: 64)
            output = .allocate(byteCount: Int(deflateBound(stream, UInt(chunkSize))) + 64, alignment: 64)
        }

        deinit {
            deflateEnd(stream)
            stream.deallocate()
            input.deallocate()
            output.deallocate()
        }

        /// Runs on a worker: one-shot deflate of the whole chunk into a complete gzip member.
        func compress() {
            deflateReset(stream)
            stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
            stream.pointee.avail_in = UInt32(inputCount)
            stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
            stream.pointee.avail_out = UInt32(output.count)
            let status = deflate(stream, Z_FINISH)
            failed = status != Z_STREAM_END
            outputCount = output.count - Int(stream.pointee.avail_out)
        }
    }

    private let slots: [Slot]
    private let destination: Int32
    private let queue = DispatchQueue(label: "strata.archive.gzip", qos: .userInitiated, attributes: .concurrent)
    private var nextSlot = 0
    private var submittedAny = false
    private var digester = Sha256Digester()
    private(set) var writtenCount: Int64 = 0

    init(destination: Int32, level: Int32, chunkSize: Int, parallelism: Int) throws {
        self.destination = destination
        slots = try (0..<max(2, parallelism * 2)).map { _ in try Slot(chunkSize: chunkSize, level: level) }
    }

    deinit { abandon() }

    /// The buffer to fill with the next chunk; waits for (and writes out) the slot's previous chunk.
    func nextInputBuffer() throws -> UnsafeMutableRawBufferPointer {
        let slot = slots[nextSlot]
        try drain(slot)
        return slot.input
    }

    /// Queues the chunk just written into `nextInputBuffer()` (its first `byteCount` bytes).
    func submit(byteCount: Int) {
        let slot = slots[nextSlot]
        slot.inputCount = byteCount
        slot.busy = true
        submittedAny = true
        queue.async {
            slot.compress()
            slot.finished.signal()
        }
        nextSlot = (nextSlot + 1) % slots.count
    }

    /// Writes every outstanding member in order; returns the digest and size of all output.
    func finish() throws -> (digest: String, size: Int64) {
        if !submittedAny {
            _ = try nextInputBuffer()
            submit(byteCount: 0)  // an empty stream still needs one (empty) gzip member
        }
        for step in 0..<slots.count { try drain(slots[(nextSlot + step) % slots.count]) }
        return (digester.finalizeDigestString(), writtenCount)
    }

    /// Waits for every in-flight chunk without writing, so buffers are not freed under a worker.
    func abandon() {
        for slot in slots where slot.busy {
            slot.finished.wait()
            slot.busy = false
        }
    }

    private func drain(_ slot: Slot) throws {
        guard slot.busy else { return }
        slot.finished.wait()
        slot.busy = false
        guard !slot.failed else { throw ArchiveError.invalidArgument("gzip: compression failed") }
        let member = UnsafeRawBufferPointer(rebasing: slot.output[0..<slot.outputCount])
        digester.update(member)
        try FileDescriptorIO.writeAll(destination, member)
        writtenCount += Int64(member.count)
    }
}
