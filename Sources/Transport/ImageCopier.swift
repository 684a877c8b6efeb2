import Foundation
import OCI

/// What a copy is doing, for progress displays. Events of one layer arrive in this order:
/// either `layerSkipped`, or `layerWaiting`, maybe `layerQueued`, `layerStarted`, `layerBytes`…, `layerVerifying`,
/// `layerDone`.
/// Several layers are in flight at once, so events of different layers interleave.
public enum CopyEvent: Sendable, Hashable {
    /// An image's layers are about to be checked and sent (before any of its layer events).
    case imageStarted(TransportImage)
    /// The layer has to be sent (docker's `Pulling fs layer` / `Preparing`). Emitted for all of an image's layers,
    /// in image order, before any is sent.
    case layerWaiting(TransportLayer)
    /// The layer waits for a free slot: all slots are taken by the layers before it (docker's `Waiting`).
    /// Follows the image's `layerWaiting` events for every layer after the first `maxConcurrentLayers`.
    case layerQueued(TransportLayer)
    /// The destination already has the layer (or it was sent earlier in this copy); no bytes move.
    case layerSkipped(TransportLayer)
    /// Bytes start flowing; `total` is the byte count to expect, when known.
    case layerStarted(TransportLayer, total: Int64?)
    /// Bytes read so far (throttled: at most every 100 ms per layer, plus the final count).
    case layerBytes(TransportLayer, done: Int64, total: Int64?)
    /// All bytes were read; the destination is checking digests and storing the layer.
    case layerVerifying(TransportLayer)
    /// The layer is durable at the destination.
    case layerDone(TransportLayer)
    /// The image was recorded at the destination, after all its layers.
    case imageDone(TransportImage)
}

/// What one copy did: every image with the manifest digest written for it, the indexes put, the layers sent (and
/// their bytes) and those skipped because the destination already had them.
public struct CopyReport: Sendable {
    public var images: [TransportImage] = []
    /// The manifest digest written for each image, in image order (nil where the destination writes none).
    public var manifests: [Digest?] = []
    public var indexes: [Digest] = []
    public var layersSent: [Digest] = []
    public var layersSkipped: [Digest] = []
    /// Layer bytes sent, in the form the destination receives them.
    public var bytesSent: Int64 = 0
    /// Artifacts copied with `copyReferrers` (signatures, SBOMs, attestations), in copy order.
    public var referrers: [Descriptor] = []

    public init() {}

    /// Every manifest, index and artifact digest written.
    public var digestsWritten: [Digest] { manifests.compactMap { $0 } + indexes + referrers.map(\.digest) }
}

/// Moves images from any `ImageSource` to any `ImageDestination`, the one path `save`, `load`, `pull`, `push`
/// and `copy` share. Layer bytes stream through a digest check; a layer shared by several images, or already at
/// the destination, is sent once. On any failure the destination is aborted and layers still in flight are
/// cancelled.
///
/// A ``ConcurrentImageDestination`` receives up to ``maxConcurrentLayers`` layers of an image at once; any other
/// destination (an archive written as one stream) receives them one by one. Either way `putImage` runs only
/// after all the image's layers are present, and images are put in source order.
public struct ImageCopier: Sendable {
    /// Receives ``CopyEvent``s; called from several tasks at once when layers are copied concurrently.
    public typealias Progress = @Sendable (CopyEvent) -> Void

    /// How many layers of one image are fetched and stored at the same time (docker's default for pulls is 3).
    public var maxConcurrentLayers: Int
    /// The shortest time between two byte-count events of one layer (docker redraws at about this rate).
    public var progressInterval: Duration

    /// Also copy the artifacts that refer to what was written (signatures, SBOMs, attestations), transitively; both
    /// ends must be descriptor-level (``DescriptorSource``, ``DescriptorDestination``).
    public var copiesReferrers = false

    public init(maxConcurrentLayers: Int = 3, progressInterval: Duration = .milliseconds(100)) {
        self.maxConcurrentLayers = max(1, maxConcurrentLayers)
        self.progressInterval = progressInterval
    }

    /// Copies every image the source offers (then its indexes); reports what was written and what was skipped.
    @discardableResult
    public func copy(from source: some ImageSource, to destination: some ImageDestination,
                     progress: Progress? = nil) async throws -> CopyReport {
        let concurrent = destination as? any ConcurrentImageDestination
        var present = Set<Digest>()
        var report = CopyReport()
        do {
            // A destination that holds only images (a `docker save` archive) gets an index's images, not its artifacts.
            let images = try await source.images().filter { !$0.isArtifact || destination is any IndexDestination }
            for image in images {
                try Task.checkCancellation()
                progress?(.imageStarted(image))
                let moved = try await copyLayers(of: image, from: source, to: destination, concurrent: concurrent, present: present,
                                                 progress: progress)
                report.layersSent += moved.sent.map(\.blob.digest)
                report.layersSkipped += moved.skipped.map(\.blob.digest)
                report.bytesSent += moved.sent.reduce(0) {
                    $0 + (destination.layerDelivery == .asStored ? $1.blob.size : $1.uncompressedSize ?? 0)
                }
                present.formUnion(image.layers.map { Self.key($0, destination.layerDelivery) })
                report.manifests.append(try await destination.putImage(image))
                report.images.append(image)
                progress?(.imageDone(image))
            }
            if let indexed = source as? any IndexedImageSource, let target = destination as? any IndexDestination {
                for index in try await indexed.indexes() {
                    try await target.putIndex(index)
                    report.indexes.append(index.digest)
                }
            }
            if copiesReferrers {
                guard let from = source as? any DescriptorSource, let to = destination as? any DescriptorDestination else {
                    throw TransportError.unsupported("referrers can only be copied between registries and the store")
                }
                // Referrers name the source's digests: only those written unchanged can have their referrers follow.
                let written = Set(report.digestsWritten)
                let subjects = (report.images.compactMap { $0.manifest.map(Digest.sha256) } + report.indexes).filter(written.contains)
                report.referrers = try await copyReferrers(of: subjects, from: from, to: to)
            }
            try await destination.commit()
            return report
        } catch {
            await destination.abort()
            throw error
        }
    }

    /// Makes all of one image's layers present at the destination: each distinct layer not known to be there is
    /// asked about, reported as skipped or waiting (in image order), and the missing ones are sent.
    private func copyLayers(of image: TransportImage, from source: some ImageSource, to destination: some ImageDestination,
                            concurrent: (any ConcurrentImageDestination)?, present: Set<Digest>,
                            progress: Progress?) async throws -> (sent: [TransportLayer], skipped: [TransportLayer]) {
        var unique: [TransportLayer] = []
        var seen = Set<Digest>()
        for layer in image.layers where seen.insert(Self.key(layer, destination.layerDelivery)).inserted { unique.append(layer) }
        var exists = unique.map { present.contains(Self.key($0, destination.layerDelivery)) }
        let unknown = unique.indices.filter { !exists[$0] }
        if let concurrent {
            let answers = try await Self.presence(of: unknown.map { unique[$0] }, at: concurrent, limit: maxConcurrentLayers)
            for (index, answer) in zip(unknown, answers) { exists[index] = answer }
        } else {
            for index in unknown { exists[index] = try await destination.hasLayer(unique[index]) }
        }
        var toSend: [TransportLayer] = []
        var skipped: [TransportLayer] = []
        for (layer, isPresent) in zip(unique, exists) {
            progress?(isPresent ? .layerSkipped(layer) : .layerWaiting(layer))
            if !isPresent { toSend.append(layer) }
            // Already at the destination before this copy (not merely sent for an earlier image of it).
            if isPresent && !present.contains(Self.key(layer, destination.layerDelivery)) { skipped.append(layer) }
        }
        for layer in toSend.dropFirst(concurrent == nil ? 1 : maxConcurrentLayers) { progress?(.layerQueued(layer)) }
        if let concurrent {
            try await Self.sendConcurrently(toSend, from: source, to: concurrent, limit: maxConcurrentLayers, interval: progressInterval,
                                             progress: progress)
        } else {
            for layer in toSend {
                try await Self.send(layer, from: source, to: destination, interval: progressInterval, progress: progress)
            }
        }
        return (toSend, skipped)
    }

    /// The digest a destination knows a layer by in the form it receives it.
    private static func key(_ layer: TransportLayer, _ delivery: LayerDelivery) -> Digest {
        delivery == .asStored ? layer.blob.digest : layer.diffID
    }

    /// Asks the destination which layers it has, up to `limit` questions at once (for a registry each is a round
    /// trip). Answers are in the order of `layers`.
    private static func presence(of layers: [TransportLayer], at destination: any ConcurrentImageDestination,
                                 limit: Int) async throws -> [Bool] {
        var answers = [Bool](repeating: false, count: layers.count)
        try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            var running = 0
            for (index, layer) in layers.enumerated() {
                if running >= limit, let (done, exists) = try await group.next() {
                    answers[done] = exists
                    running -= 1
                }
                group.addTask { (index, try await destination.hasLayer(layer)) }
                running += 1
            }
            for try await (done, exists) in group { answers[done] = exists }
        }
        return answers
    }

    /// Sends layers with at most `limit` in flight; the first failure cancels the others and is rethrown.
    private static func sendConcurrently(_ layers: [TransportLayer], from source: some ImageSource,
                                         to destination: any ConcurrentImageDestination, limit: Int, interval: Duration,
                                         progress: Progress?) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var running = 0
            for layer in layers {
                if running >= limit {
                    try await group.next()
                    running -= 1
                }
                group.addTask { try await send(layer, from: source, to: destination, interval: interval, progress: progress) }
                running += 1
            }
            try await group.waitForAll()
        }
    }

    /// Streams one layer into the destination; a transfer that failed in a way worth retrying (a dropped
    /// connection, a 5xx, an upload that needs its bytes again) is reopened from the source, up to 3 times.
    private static func send(_ layer: TransportLayer, from source: some ImageSource, to destination: some ImageDestination,
                             interval: Duration, progress: Progress?) async throws {
        var attempt = 1
        while true {
            do {
                return try await sendOnce(layer, from: source, to: destination, interval: interval, progress: progress)
            } catch {
                guard attempt < 3, TransferRetry.isRetryable(error), !Task.isCancelled else { throw error }
                try await Task.sleep(for: .milliseconds(300 * attempt))
                attempt += 1
            }
        }
    }

    /// Streams one layer through a progress counter and a digest check into the destination.
    private static func sendOnce(_ layer: TransportLayer, from source: some ImageSource, to destination: some ImageDestination,
                                 interval: Duration, progress: Progress?) async throws {
        try Task.checkCancellation()
        let delivery = destination.layerDelivery
        let raw = try await source.openLayer(layer, as: delivery)
        defer { raw.close() }
        let total = delivery == .asStored ? layer.blob.size : layer.uncompressedSize
        progress?(.layerStarted(layer, total: total))
        let counted = ProgressBlobReader(raw, layer: layer, total: total, interval: interval, progress: progress)
        let verifying = delivery == .asStored
            ? VerifyingBlobReader(counted, digest: layer.blob.digest, size: layer.blob.size, what: "layer \(layer.blob.digest)",
                                  source: raw)
            : VerifyingBlobReader(counted, digest: layer.diffID, size: layer.uncompressedSize, what: "layer \(layer.diffID)")
        try await destination.putLayer(layer, from: verifying)
        try verifying.finish()
        counted.reportEnd()
        progress?(.layerDone(layer))
    }
}

/// Counts the bytes of one layer for ``CopyEvent/layerBytes(_:done:total:)`` and stops promptly when the copy is
/// cancelled. Reading the clock once per read (reads are up to 1 MiB) keeps the cost unmeasurable.
final class ProgressBlobReader: BlobReader {
    private let interval: Duration
    private let inner: any BlobReader
    private let layer: TransportLayer
    private let total: Int64?
    private let progress: ImageCopier.Progress?
    private var done: Int64 = 0
    private var reported: Int64 = 0
    private var lastReport = ContinuousClock.now
    private var ended = false

    init(_ inner: any BlobReader, layer: TransportLayer, total: Int64?, interval: Duration, progress: ImageCopier.Progress?) {
        self.inner = inner
        self.interval = interval
        self.layer = layer
        self.total = total
        self.progress = progress
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) async throws -> Int {
        try Task.checkCancellation()
        let count = try await inner.read(into: buffer)
        guard let progress else { return count }
        if count == 0 {
            reportEnd()
            return 0
        }
        done += Int64(count)
        let now = ContinuousClock.now
        if now - lastReport >= interval {
            lastReport = now
            reported = done
            progress(.layerBytes(layer, done: done, total: total))
        }
        return count
    }

    /// Reports the final byte count and the verification step, once (at end of input, or after `putLayer` when the
    /// destination stopped reading at the exact size).
    func reportEnd() {
        guard !ended, let progress else { return }
        ended = true
        if reported != done || done == 0 { progress(.layerBytes(layer, done: done, total: total)) }
        progress(.layerVerifying(layer))
    }

    func close() { inner.close() }
}
