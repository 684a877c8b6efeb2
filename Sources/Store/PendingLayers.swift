import Archive
import Foundation
import GRDB
import OCI
import Synchronization

/// Pulled layers are committed once their blob digest checks (every byte from the registry is proven then); the
/// tar inside is decoded on first use instead of during the pull. That pass proves the diffID the image config
/// claims and measures the sizes docker shows. Until then the layer is *pending*: nothing unpacks it, nothing
/// reuses it by diffID, and the commands that show sizes measure it first. containerd splits fetch from unpack
/// the same way; docker pays the decode inside every pull.
extension ImageStore {
    /// The pending layers of these images (every image when nil), each once.
    public func pendingLayers(ofImages ids: [Digest]? = nil) throws -> [StoredLayer] {
        try database.read { db in
            var sql = """
                SELECT DISTINCT layers.* FROM layers JOIN image_layers USING (blob_digest) WHERE layers.verified = 0
                """
            var arguments: StatementArguments = []
            if let ids {
                if ids.isEmpty { return [] }
                sql += " AND image_layers.image_id IN (\(Array(repeating: "?", count: ids.count).joined(separator: ",")))"
                arguments = StatementArguments(ids.map(\.description))
            }
            return try Row.fetchAll(db, sql: sql, arguments: arguments).compactMap(Self.layer(from:))
        }
    }

    /// Measures the pending layers among `layers` (several at once) and returns `layers` with every one measured.
    /// Throws `StoreError.layerMismatch` when a tar does not hash to its diffID; that layer stays pending.
    @discardableResult
    public func verifyPendingLayers(_ layers: [StoredLayer]) throws -> [StoredLayer] {
        var seen = Set<Digest>()
        let pending = layers.filter { !$0.isVerified && seen.insert($0.blobDigest).inserted }
        if pending.isEmpty { return layers }
        let results = ParallelMap.results(pending) { try self.measure($0) }
        var measured: [Digest: StoredLayer] = [:]
        var firstError: Error?
        for (layer, result) in zip(pending, results) {
            switch result {
            case .success(let done): measured[layer.blobDigest] = done
            case .failure(let error): if firstError == nil { firstError = error }
            }
        }
        if let firstError { throw firstError }
        return layers.map { measured[$0.blobDigest] ?? $0 }
    }

    /// Measures every pending layer of these images (all images when nil): what listing commands call so sizes are
    /// docker's. A layer that fails stays pending (its images show the size of their proven layers); the errors
    /// are returned for the caller to report.
    @discardableResult
    public func verifyPendingLayers(ofImages ids: [Digest]?) throws -> [Error] {
        let pending = try pendingLayers(ofImages: ids)
        if pending.isEmpty { return [] }
        let results = ParallelMap.results(pending) { try self.measure($0) }
        return results.compactMap { if case .failure(let error) = $0 { return error } else { return nil } }
    }

    /// Decodes one layer blob, checks its diffID and records its sizes (also in the size of every image using it).
    public func measure(_ layer: StoredLayer) throws -> StoredLayer {
        if layer.isVerified { return layer }
        return try recordProof(of: layer, try decodeTar(of: layer.blobDigest))
    }

    /// Decodes a layer blob: its tar's diffID and sizes.
    func decodeTar(of blob: Digest) throws -> LayerApplier.Measurement {
        let path = blobs.path(for: blob)
        // Held shared so a concurrent prune cannot delete the blob under the read.
        let result: LayerIngest.Result = try ingestLease.shared {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw StoreError.blobMissing(blob.description) }
            defer { close(fd) }
            do {
                return try LayerIngest.ingest(from: fd, to: nil)
            } catch {
                throw StoreError.invalid("layer \(blob): \(error)")
            }
        }
        return LayerApplier.Measurement(diffID: result.diffID, uncompressedSize: result.uncompressedSize,
                                        contentSize: result.contentSize)
    }

    /// A blob has one tar, so one true diffID. When an image being committed claims another diffID for a blob
    /// that is stored pending under a different claim, the tar decides now: the row gets the truth, and the
    /// commit of an image that lies then fails (`insertLayer`).
    func settleConflictingClaims(_ layers: [StoredLayer]) throws {
        for layer in layers where !layer.isVerified {
            guard let row = try self.layer(blobDigest: layer.blobDigest), !row.isVerified, row.diffID != layer.diffID else {
                continue
            }
            try recordMeasurement(of: row.blobDigest, try decodeTar(of: row.blobDigest))
        }
    }

    /// Applies a stored layer's blob with `applier`. A pending layer is proven by that same pass: its measurement is
    /// recorded, or `layerMismatch` thrown before the caller keeps anything it wrote.
    @discardableResult
    public func apply(_ layer: StoredLayer, with applier: LayerApplier) throws -> LayerApplier.Summary {
        let fd = open(blobs.path(for: layer.blobDigest), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.blobMissing(layer.blobDigest.description) }
        defer { close(fd) }
        let summary = try applier.apply(layerFrom: fd, measuring: !layer.isVerified)
        if let measurement = summary.measurement { try recordProof(of: layer, measurement) }
        return summary
    }

    /// Records what a pass over a pending layer's tar found (`measure`, or an apply with `measuring: true`), or
    /// throws `layerMismatch` when the tar is not the diffID the image claims.
    @discardableResult
    public func recordProof(of layer: StoredLayer, _ measurement: LayerApplier.Measurement) throws -> StoredLayer {
        guard measurement.diffID == layer.diffID else {
            throw StoreError.layerMismatch(blob: layer.blobDigest.description, claimed: layer.diffID.description,
                                           actual: measurement.diffID.description)
        }
        try recordMeasurement(of: layer.blobDigest, measurement)
        return StoredLayer(blobDigest: layer.blobDigest, diffID: layer.diffID, mediaType: layer.mediaType, blobSize: layer.blobSize,
                           contentSize: measurement.contentSize, uncompressedSize: measurement.uncompressedSize)
    }

    /// The row describes the blob: a measurement replaces whatever diffID it was stored under.
    private func recordMeasurement(of blob: Digest, _ measurement: LayerApplier.Measurement) throws {
        try database.write { db in
            try db.execute(sql: """
                UPDATE layers SET diff_id = ?, content_size = ?, uncompressed_size = ?, verified = 1 WHERE blob_digest = ?
                """, arguments: [measurement.diffID.description, measurement.contentSize, measurement.uncompressedSize, blob.description])
            try Self.refreshSizes(db, ofImagesUsing: blob)
        }
    }

    /// Recomputes the size of every image that has this layer, from its proven layers.
    static func refreshSizes(_ db: Database, ofImagesUsing blob: Digest) throws {
        try db.execute(sql: """
            UPDATE images SET size = (
                SELECT COALESCE(SUM(layers.content_size), 0) FROM image_layers JOIN layers USING (blob_digest)
                WHERE image_layers.image_id = images.id AND layers.verified = 1)
            WHERE id IN (SELECT image_id FROM image_layers WHERE blob_digest = ?)
            """, arguments: [blob.description])
    }
}
