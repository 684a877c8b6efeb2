import OCI
import Dispatch

/// Compresses one chunk into a self-contained unit (a gzip member, a zstd frame), so that units
/// made independently and concatenated decompress to the concatenated input.
protocol ChunkCompressor: AnyObject {
    /// The most output `compress` can produce for `inputCount` bytes.
    func outputBound(inputCount: Int) -> Int
    /// Compresses all of `input` into `output`; returns the bytes written, nil on failure.
    func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int?
}

/// Compresses a byte stream as a sequence of independent units, one per chunk, on all cores,
/// writing the units in order to a descriptor while hashing what is written.
///
/// Memory is bounded by the fixed slot ring: 8 × parallelism chunks in flight (at most `maxSlots`), each with its own input
/// buffer, output buffer and reusable compressor. The caller fills one slot at a time (on its own
/// thread) via `nextInputBuffer` / `submit`; slots are recycled in order, so output order is input order.
final class ParallelChunkEncoder {
    /// One chunk's buffers; ownership passes caller → worker → caller, handed off by `finished`.
    ///
    /// `@unchecked Sendable` so a worker can hold it: the raw buffers, the counts and the (non-Sendable)
    /// compressor are used by one side at a time, the caller before `submit` and after `finished`, the worker in
    /// between. `finished` is a semaphore, not a Mutex, because the feeding thread must block until the worker is
    /// done with the slot, and that thread is synchronous code (a layer being written).
    private final class Slot: @unchecked Sendable {
        let input: UnsafeMutableRawBufferPointer
        let output: UnsafeMutableRawBufferPointer
        let compressor: any ChunkCompressor
        let finished = DispatchSemaphore(value: 0)
        var inputCount = 0
        var outputCount: Int?
        var busy = false

        init(chunkSize: Int, compressor: any ChunkCompressor) {
            self.compressor = compressor
            input = .allocate(byteCount: chunkSize, alignment: 64)
            output = .allocate(byteCount: compressor.outputBound(inputCount: chunkSize) + 64, alignment: 64)
        }

        deinit {
            input.deallocate()
            output.deallocate()
        }

        /// Runs on a worker.
        func compress() {
            outputCount = compressor.compress(UnsafeRawBufferPointer(rebasing: input[0..<inputCount]), into: output)
        }
    }

    private let slots: [Slot]
    private let destination: Int32
    private let formatName: String
    private let queue = DispatchQueue(label: "strata.archive.compress", qos: .userInitiated, attributes: .concurrent)
    private var nextSlot = 0
    private var submittedAny = false
    private var digester = SHA256Hasher()
    private(set) var writtenCount: Int64 = 0

    /// `makeCompressor` is called once per slot; `formatName` prefixes error messages.
    init(destination: Int32, formatName: String, chunkSize: Int, parallelism: Int,
         makeCompressor: () throws -> any ChunkCompressor) throws {
        self.destination = destination
        self.formatName = formatName
        // Eight chunks per worker in flight: with fewer, a busy machine's scheduling delays on the
        // feeding thread idle the workers (measured: 2x slower import of a 500 MB tree under load).
        // Capped so that a many-core machine stays within the memory budget (~2 chunks per slot).
        let slotCount = max(2, min(parallelism * 8, Self.maxSlots))
        slots = try (0..<slotCount).map { _ in Slot(chunkSize: chunkSize, compressor: try makeCompressor()) }
    }

    /// In-flight chunks at most, whatever the parallelism (24 × ~2 MiB with 1 MiB chunks).
    static let maxSlots = 24

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

    /// Writes every outstanding unit in order; returns the digest and size of all output.
    func finish() throws -> (digest: Digest, size: Int64) {
        if !submittedAny {
            _ = try nextInputBuffer()
            submit(byteCount: 0)  // an empty stream still needs one (empty) unit to be a valid file
        }
        for step in 0..<slots.count { try drain(slots[(nextSlot + step) % slots.count]) }
        return (digester.finalize(), writtenCount)
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
        guard let count = slot.outputCount else { throw ArchiveError.invalidArgument("\(formatName): compression failed") }
        let unit = UnsafeRawBufferPointer(rebasing: slot.output[0..<count])
        digester.update(bufferPointer: unit)
        try FileDescriptorIO.writeAll(destination, unit)
        writtenCount += Int64(unit.count)
    }
}
