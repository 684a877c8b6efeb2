import Foundation
import OCI
import Testing
@testable import Transport

/// In-memory blobs; a reader per layer that can be slowed down or made to fail.
private struct MemorySource: ImageSource {
    var offered: [TransportImage]
    var blobs: [Digest: [UInt8]]
    var delayPerChunk: Duration = .zero
    var failing: Set<Digest> = []
    /// When set, every reader's first read waits until this many readers have started (or 10 s passed).
    var gate: Gate?
    let cancelled = Counter()

    func images() async throws -> [TransportImage] { offered }

    func openLayer(_ layer: TransportLayer, as delivery: LayerDelivery) async throws -> any BlobReader {
        let fails = failing.contains(layer.blob.digest)
        return MemoryReader(blobs[layer.blob.digest]!, delay: fails ? .zero : delayPerChunk, fails: fails, gate: gate,
                            cancelled: cancelled)
    }
}

private final class MemoryReader: BlobReader {
    private let bytes: [UInt8]
    private var offset = 0
    private let delay: Duration
    private let fails: Bool
    private var gate: Gate?
    private let cancelled: Counter

    init(_ bytes: [UInt8], delay: Duration, fails: Bool, gate: Gate?, cancelled: Counter) {
        self.bytes = bytes
        self.delay = delay
        self.fails = fails
        self.gate = gate
        self.cancelled = cancelled
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) async throws -> Int {
        if let gate {
            self.gate = nil
            await gate.arrive()
        }
        if delay > .zero {
            do { try await Task.sleep(for: delay) } catch { cancelled.add(); throw error }
        }
        if fails && offset > 0 { throw TransportError.unsupported("network down") }
        let count = min(buffer.count, bytes.count - offset, 4096)
        if count > 0 {
            bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: count) }
        }
        offset += count
        return count
    }

    func close() {}
}

/// Holds readers back until `count` of them have arrived, so "this many at once" does not depend on timing.
private actor Gate {
    private let count: Int
    private var arrived = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(count: Int) { self.count = count }

    func arrive() async {
        arrived += 1
        if arrived >= count {
            waiting.forEach { $0.resume() }
            waiting = []
            return
        }
        await withCheckedContinuation { continuation in
            waiting.append(continuation)
            Task { try? await Task.sleep(for: .seconds(10)); self.release() }
        }
    }

    private func release() {
        waiting.forEach { $0.resume() }
        waiting = []
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func add() { lock.withLock { value += 1 } }
    var count: Int { lock.withLock { value } }
}

/// Records what arrives, checking the copier's promises as it goes.
private final class RecordingDestination: ConcurrentImageDestination, @unchecked Sendable {
    private let lock = NSLock()
    var existing: Set<Digest> = []
    private(set) var stored: [Digest] = []
    private(set) var images: [Digest] = []
    private(set) var maxInFlight = 0
    private(set) var aborted = false
    private(set) var committed = false
    private(set) var violations: [String] = []
    private var inFlight = 0

    var layerDelivery: LayerDelivery { .asStored }

    func hasLayer(_ layer: TransportLayer) async throws -> Bool {
        lock.withLock { existing.contains(layer.blob.digest) || stored.contains(layer.blob.digest) }
    }

    func putLayer(_ layer: TransportLayer, from reader: VerifyingBlobReader) async throws {
        lock.withLock { inFlight += 1; maxInFlight = max(maxInFlight, inFlight) }
        defer { lock.withLock { inFlight -= 1 } }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        while try await reader.read(into: buffer) > 0 {}
        try reader.finish()
        lock.withLock {
            if stored.contains(layer.blob.digest) { violations.append("sent twice: \(layer.blob.digest)") }
            stored.append(layer.blob.digest)
        }
    }

    func putImage(_ image: TransportImage) async throws -> Digest? {
        lock.withLock {
            for layer in image.layers where !stored.contains(layer.blob.digest) && !existing.contains(layer.blob.digest) {
                violations.append("image before layer \(layer.blob.digest)")
            }
            if inFlight != 0 { violations.append("image while layers in flight") }
            images.append(image.id)
        }
        return nil
    }

    func commit() async throws { committed = true }
    func abort() async { aborted = true }
}

/// The same, but a plain (one call at a time) destination.
private final class SerialDestination: ImageDestination {
    let inner = RecordingDestination()
    var layerDelivery: LayerDelivery { .asStored }
    func hasLayer(_ layer: TransportLayer) async throws -> Bool { try await inner.hasLayer(layer) }
    func putLayer(_ layer: TransportLayer, from reader: VerifyingBlobReader) async throws { try await inner.putLayer(layer, from: reader) }
    func putImage(_ image: TransportImage) async throws -> Digest? { try await inner.putImage(image) }
    func commit() async throws { try await inner.commit() }
    func abort() async { await inner.abort() }
}

private final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [CopyEvent] = []
    func record(_ event: CopyEvent) { lock.withLock { list.append(event) } }
    var events: [CopyEvent] { lock.withLock { list } }
}

@Suite struct ImageCopierTests {
    private static func blob(_ n: Int, size: Int = 20_000) -> (TransportLayer, [UInt8]) {
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ n) }
        let digest = Digest.sha256(bytes)
        return (TransportLayer(blob: Descriptor(mediaType: MediaType.ociLayerGzip, digest: digest, size: Int64(size)), diffID: digest),
                bytes)
    }

    private static func image(_ layers: [TransportLayer], _ tag: String) -> TransportImage {
        TransportImage(config: Data("{\"tag\":\"\(tag)\"}".utf8), layers: layers)
    }

    private static func fixture(layerCount: Int) -> (MemorySource, [TransportLayer]) {
        let made = (0..<layerCount).map { blob($0) }
        var blobs: [Digest: [UInt8]] = [:]
        for (layer, bytes) in made { blobs[layer.blob.digest] = bytes }
        let layers = made.map(\.0)
        return (MemorySource(offered: [image(layers, "a")], blobs: blobs), layers)
    }

    @Test func layersGoConcurrentlyUpToTheLimit() async throws {
        var (source, _) = Self.fixture(layerCount: 6)
        source.gate = Gate(count: 3)  // the first three readers start together
        let destination = RecordingDestination()
        try await ImageCopier(maxConcurrentLayers: 3).copy(from: source, to: destination)
        #expect(destination.maxInFlight == 3)
        #expect(destination.stored.count == 6)
        #expect(destination.images.count == 1)
        #expect(destination.committed && !destination.aborted)
        #expect(destination.violations.isEmpty)
    }

    @Test func plainDestinationsGetOneLayerAtATime() async throws {
        var (source, _) = Self.fixture(layerCount: 4)
        source.delayPerChunk = .milliseconds(1)
        let destination = SerialDestination()
        try await ImageCopier(maxConcurrentLayers: 4).copy(from: source, to: destination)
        #expect(destination.inner.maxInFlight == 1)
        #expect(destination.inner.stored.count == 4)
        #expect(destination.inner.violations.isEmpty)
    }

    @Test func sharedBlobsAreSentOnce() async throws {
        let (source0, layers) = Self.fixture(layerCount: 3)
        var source = source0
        // Image b repeats a layer of a and one of its own twice.
        source.offered = [Self.image([layers[0], layers[1]], "a"), Self.image([layers[1], layers[2], layers[2], layers[0]], "b")]
        let destination = RecordingDestination()
        let log = EventLog()
        let report = try await ImageCopier().copy(from: source, to: destination, progress: log.record)
        #expect(report.images.count == 2)
        #expect(Set(destination.stored) == Set(layers.map(\.blob.digest)))
        #expect(destination.stored.count == 3)
        #expect(destination.images == report.images.map(\.id))
        // The report counts each blob sent once; a blob sent for an earlier image of this copy is not "already there".
        #expect(report.layersSent == [layers[0].blob.digest, layers[1].blob.digest, layers[2].blob.digest])
        #expect(report.layersSkipped.isEmpty)
        #expect(report.bytesSent == layers.reduce(0) { $0 + $1.blob.size })
        #expect(destination.violations.isEmpty)
        let skipped = log.events.compactMap { if case .layerSkipped(let l) = $0 { l.blob.digest } else { nil } }
        #expect(skipped == [layers[1].blob.digest, layers[0].blob.digest])
    }

    @Test func existingLayersAreSkippedInOrderBeforeWaiting() async throws {
        let (source, layers) = Self.fixture(layerCount: 3)
        let destination = RecordingDestination()
        destination.existing = [layers[1].blob.digest]
        let log = EventLog()
        let report = try await ImageCopier().copy(from: source, to: destination, progress: log.record)
        #expect(report.layersSkipped == [layers[1].blob.digest])
        #expect(Set(report.layersSent) == [layers[0].blob.digest, layers[2].blob.digest])
        let head = log.events.prefix(4)
        #expect(Array(head) == [.imageStarted(source.offered[0]), .layerWaiting(layers[0]), .layerSkipped(layers[1]),
                                .layerWaiting(layers[2])])
        #expect(log.events.last == .imageDone(source.offered[0]))
        #expect(destination.stored.count == 2)
    }

    @Test func layersBeyondTheSlotsAreQueued() async throws {
        let (source, layers) = Self.fixture(layerCount: 5)
        let log = EventLog()
        try await ImageCopier(maxConcurrentLayers: 2).copy(from: source, to: RecordingDestination(), progress: log.record)
        let expected: [CopyEvent] = [.imageStarted(source.offered[0])] + layers.map { .layerWaiting($0) }
            + layers.dropFirst(2).map { .layerQueued($0) }
        #expect(Array(log.events.prefix(9)) == expected)
    }

    @Test func eventsOfOneLayerArriveInOrder() async throws {
        let (source, layers) = Self.fixture(layerCount: 3)
        let log = EventLog()
        try await ImageCopier().copy(from: source, to: RecordingDestination(), progress: log.record)
        for layer in layers {
            let mine = log.events.compactMap { event -> String? in
                switch event {
                case .layerWaiting(let l) where l == layer: "waiting"
                case .layerStarted(let l, let total) where l == layer: "started \(total ?? -1)"
                case .layerBytes(let l, let done, _) where l == layer: "bytes \(done)"
                case .layerVerifying(let l) where l == layer: "verifying"
                case .layerDone(let l) where l == layer: "done"
                default: nil
                }
            }
            // 20 000 bytes arrive within 100 ms, so only the final count is reported.
            #expect(mine == ["waiting", "started 20000", "bytes 20000", "verifying", "done"])
        }
    }

    @Test func byteEventsAreThrottled() async throws {
        let (source, _) = Self.fixture(layerCount: 1)  // 5 reads of 4 KiB
        func byteEvents(interval: Duration) async throws -> Int {
            let log = EventLog()
            try await ImageCopier(progressInterval: interval).copy(from: source, to: RecordingDestination(), progress: log.record)
            return log.events.filter { if case .layerBytes = $0 { true } else { false } }.count
        }
        #expect(try await byteEvents(interval: .seconds(3600)) == 1)  // only the final count
        #expect(try await byteEvents(interval: .zero) == 5)           // one per read
    }

    @Test func failureAbortsAndCancelsTheRest() async throws {
        var (source, layers) = Self.fixture(layerCount: 5)
        source.delayPerChunk = .seconds(3600)  // the others only end by being cancelled
        source.failing = [layers[0].blob.digest]
        let destination = RecordingDestination()
        await #expect(throws: TransportError.unsupported("network down")) {
            try await ImageCopier(maxConcurrentLayers: 3).copy(from: source, to: destination)
        }
        #expect(destination.aborted && !destination.committed)
        #expect(destination.images.isEmpty)
        #expect(source.cancelled.count >= 1)  // the layers in flight with it stopped early
        #expect(destination.stored.count < 5)
    }

    @Test func corruptBytesAreRejected() async throws {
        var (source, layers) = Self.fixture(layerCount: 2)
        source.blobs[layers[1].blob.digest]![7] ^= 0xFF
        let destination = RecordingDestination()
        await #expect(throws: TransportError.self) { try await ImageCopier().copy(from: source, to: destination) }
        #expect(destination.aborted)
    }

    @Test func storeToStoreCopiesLayersConcurrently() async throws {
        let fixture = try TransportFixture()
        defer { fixture.cleanup() }
        let base = try fixture.importImage("base", tag: "demo/base:v1")
        var top = base
        for n in 0..<4 { top = try fixture.stackImage(on: top, content: "layer \(n)", tag: "demo/stack:v\(n)") }
        let target = try fixture.freshStore()
        let destination = StoreDestination(store: target, action: "pull")
        let log = EventLog()
        try await ImageCopier(maxConcurrentLayers: 3)
            .copy(from: try StoreSource(store: fixture.store, names: ["demo/stack:v3", "demo/base:v1"]), to: destination,
                  progress: log.record)
        #expect(destination.committed.map(\.image.id) == [top.id, base.id])
        #expect(try target.layers(of: top.id).count == 5)
        let done = log.events.filter { if case .layerDone = $0 { true } else { false } }
        #expect(done.count == 5)
        let skipped = log.events.filter { if case .layerSkipped = $0 { true } else { false } }
        #expect(skipped.count == 1)  // the base image's layer was already sent with the stack
    }
}
