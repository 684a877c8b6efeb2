#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import OCI
import Synchronization

/// A pull source of byte chunks; each chunk stays valid until the next `nextChunk` or `stop`.
protocol ChunkSource: AnyObject {
    /// The next chunk, never empty; nil at the end of the stream.
    func nextChunk() throws -> UnsafeRawBufferPointer?
    /// Ends the source early (idempotent); no chunk may be used afterwards.
    func stop()
}

/// Reads a `ByteSource` into one reusable buffer on the calling thread (plain tars: nothing to overlap).
final class DirectChunkSource: ChunkSource {
    private let source: ByteSource
    private let buffer: UnsafeMutableRawBufferPointer

    init(source: ByteSource, chunkSize: Int) {
        self.source = source
        buffer = .allocate(byteCount: max(chunkSize, 4096), alignment: 64)
    }

    deinit { buffer.deallocate() }

    func nextChunk() throws -> UnsafeRawBufferPointer? {
        let count = try source.read(into: buffer)
        return count == 0 ? nil : UnsafeRawBufferPointer(rebasing: buffer[0..<count])
    }

    func stop() {}
}

/// Hashes and counts every chunk it passes on: a layer's diffID and decoded size, measured by the pass that
/// consumes it anyway.
final class MeasuringChunkSource: ChunkSource {
    private let base: ChunkSource
    private var digester = SHA256Hasher()
    private(set) var byteCount: Int64 = 0

    init(_ base: ChunkSource) { self.base = base }

    func nextChunk() throws -> UnsafeRawBufferPointer? {
        guard let chunk = try base.nextChunk() else { return nil }
        digester.update(bufferPointer: chunk)
        byteCount += Int64(chunk.count)
        return chunk
    }

    func stop() { base.stop() }

    func finalizeDiffID() -> Digest { digester.finalize() }
}

/// Runs a decoder on a thread of its own, keeping up to `depth` chunks decoded ahead of the reader, so
/// decompression overlaps with whatever consumes the bytes (tar parsing, file creation, hashing, writing).
/// Memory is fixed at depth × chunkSize. Every chunk but the last is full, so 512-byte tar blocks never
/// straddle two chunks when chunkSize is a multiple of 512.
///
/// One consumer thread only. The owner must call `stop()` (or read to the end) before closing the
/// descriptor the decoder reads from: `stop()` waits for the decoding thread to leave.
///
/// `@unchecked Sendable` so the decoding thread can hold it: the slot ring is raw memory whose slots change hands
/// through the `filled`/`free` semaphores (each slot is touched by one side at a time), `failure` is written
/// before the `filled` signal that publishes it, and the consumer-side fields are used by the one consumer only.
/// Mutex cannot stand in for the semaphores: each thread must block until the other hands a slot over, and
/// `stop()` must block until the decoding thread (a Foundation Thread, which cannot be joined) has left.
final class DecodeAheadSource: ChunkSource, ByteSource, @unchecked Sendable {
    private let source: ByteSource
    private let chunkSize: Int
    private let depth: Int
    private let storage: UnsafeMutableRawBufferPointer
    /// Per slot, written by the decoding thread before it signals `filled`: byte count, -1 for a failure.
    private let lengths: UnsafeMutablePointer<Int>
    private let lastFlags: UnsafeMutablePointer<Bool>
    private var failure: Error?
    /// With `measuring`: the decoding thread hashes each chunk before handing it on, so the diffID costs the
    /// consumer nothing; published once the stream has ended.
    private var digester: SHA256Hasher?
    private let measured = Mutex<Digest?>(nil)
    // Semaphores start at 0 (libdispatch traps when one is freed below its initial value).
    private let filled = DispatchSemaphore(value: 0)
    private let free = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)
    private let stopping = Mutex(false)
    // Consumer side only.
    private var slot = 0
    private var holding = false
    private var ended = false
    private var joined = false
    private var pending: UnsafeRawBufferPointer?
    private var pendingOffset = 0

    init(source: ByteSource, chunkSize: Int = 1 << 20, depth: Int = 4, measuring: Bool = false) {
        self.source = source
        digester = measuring ? SHA256Hasher() : nil
        isMeasuring = measuring
        self.chunkSize = max(chunkSize, 4096)
        self.depth = max(depth, 2)
        storage = .allocate(byteCount: self.chunkSize * self.depth, alignment: 64)
        lengths = .allocate(capacity: self.depth)
        lengths.initialize(repeating: 0, count: self.depth)
        lastFlags = .allocate(capacity: self.depth)
        lastFlags.initialize(repeating: false, count: self.depth)
        for _ in 0..<self.depth { free.signal() }
        let thread = Thread { [self] in decodeLoop() }
        thread.name = "strata.decode-ahead"
        thread.start()
    }

    deinit {
        storage.deallocate()
        lengths.deallocate()
        lastFlags.deallocate()
    }

    private func chunk(_ index: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: storage[(index * chunkSize)..<((index + 1) * chunkSize)])
    }

    private var isStopping: Bool { stopping.withLock { $0 } }

    /// The digest of every decoded byte, once the consumer has seen the end of the stream (nil before, and
    /// without `measuring`).
    var decodedDigest: Digest? { measured.withLock { $0 } }
    let isMeasuring: Bool

    private func hash(_ count: Int, of buffer: UnsafeMutableRawBufferPointer) {
        guard count > 0, digester != nil else { return }
        digester!.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
    }

    private func decodeLoop() {
        defer { exited.signal() }
        var index = 0
        while true {
            free.wait()
            if isStopping { return }
            let buffer = chunk(index)
            var count = 0
            var atEnd = false
            do {
                while count < chunkSize {
                    let got = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[count...]))
                    if got == 0 { atEnd = true; break }
                    count += got
                }
            } catch {
                failure = error
                // The bytes decoded before the error are handed on first: a tar may end in them, and docker
                // hashes everything decoded (e.g. a gzip stream followed by garbage).
                if count > 0 {
                    hash(count, of: buffer)
                    lengths[index] = count
                    lastFlags[index] = false
                    filled.signal()
                    index = (index + 1) % depth
                    free.wait()
                    if isStopping { return }
                }
                lengths[index] = -1
                filled.signal()
                return
            }
            hash(count, of: buffer)
            if atEnd, let digester { measured.withLock { $0 = digester.finalize() } }
            lengths[index] = count
            lastFlags[index] = atEnd
            filled.signal()
            if atEnd { return }
            index = (index + 1) % depth
        }
    }

    func nextChunk() throws -> UnsafeRawBufferPointer? {
        while true {
            if ended { return nil }
            if holding {
                holding = false
                let wasLast = lastFlags[slot]
                free.signal()
                slot = (slot + 1) % depth
                if wasLast { ended = true; return nil }
            }
            filled.wait()
            holding = true
            let count = lengths[slot]
            if count < 0 {
                ended = true
                holding = false
                throw failure ?? ArchiveError.unexpectedEOF(entry: nil)
            }
            if count > 0 { return UnsafeRawBufferPointer(rebasing: chunk(slot)[0..<count]) }
        }
    }

    /// Copying reads, for consumers that want bytes in their own buffer (`ByteSource`).
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if pending == nil || pendingOffset == pending!.count {
            guard let next = try nextChunk() else { return 0 }
            pending = next
            pendingOffset = 0
        }
        let available = pending!
        let count = min(buffer.count, available.count - pendingOffset)
        buffer.baseAddress!.copyMemory(from: available.baseAddress! + pendingOffset, byteCount: count)
        pendingOffset += count
        return count
    }

    func stop() {
        guard !joined else { return }
        joined = true
        stopping.withLock { $0 = true }
        free.signal()  // wakes a decoder waiting for a slot; one busy decoding sees `stopping` next round
        exited.wait()
        ended = true
        pending = nil
    }
}
