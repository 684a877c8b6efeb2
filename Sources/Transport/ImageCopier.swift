import Foundation
import OCI

/// Moves images from any `ImageSource` to any `ImageDestination`, the one path `save`, `load` (and later
/// `pull`/`push`) share. Layer bytes stream through a digest check; a layer shared by several images, or
/// already at the destination, is sent once. On any failure the destination is aborted.
public struct ImageCopier {
    /// Called once per layer: whether it was sent or skipped.
    public typealias Progress = (_ layer: TransportLayer, _ skipped: Bool) -> Void

    public init() {}

    /// Copies every image the source offers; returns them as they were put.
    @discardableResult
    public func copy(from source: some ImageSource, to destination: some ImageDestination,
                     progress: Progress? = nil) async throws -> [TransportImage] {
        do {
            let images = try await source.images()
            for image in images {
                try await copyLayers(of: image, from: source, to: destination, progress: progress)
                try await destination.putImage(image)
            }
            try await destination.commit()
            return images
        } catch {
            await destination.abort()
            throw error
        }
    }

    private func copyLayers(of image: TransportImage, from source: some ImageSource, to destination: some ImageDestination,
                            progress: Progress?) async throws {
        for layer in image.layers {
            if try await destination.hasLayer(layer) {
                progress?(layer, true)
                continue
            }
            let delivery = destination.layerDelivery
            let raw = try await source.openLayer(layer, as: delivery)
            defer { raw.close() }
            let verifying = delivery == .asStored
                ? VerifyingBlobReader(raw, digest: layer.blob.digest, size: layer.blob.size, what: "layer \(layer.blob.digest)")
                : VerifyingBlobReader(raw, digest: layer.diffID, size: layer.uncompressedSize, what: "layer \(layer.diffID)")
            try await destination.putLayer(layer, from: verifying)
            try verifying.finish()
            progress?(layer, false)
        }
    }
}
