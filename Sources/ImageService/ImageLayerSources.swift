import Archive
import Foundation
import OCI
import Store

/// The layers of a stored image as the scanners and the analyzer read them: each blob opened straight from the
/// store (any compression), the diffID it must hash to, and its `history` line. Nothing is unpacked; a pending
/// layer (pulled, not yet used) is proven by the reader's measuring pass, a proven one is not hashed again.
extension ImageService {
    public func layerSources(of image: StoredImage) throws -> [ImageLayerSource] {
        let store = try store()
        let layers = try store.layers(of: image.id)
        let config = try JSONDecoder().decode(ImageConfig.self, from: store.blobs.read(image.id))
        let createdBy = Self.layerCommands(config: config, layerCount: layers.count)
        return layers.enumerated().map { index, layer in
            let path = store.blobs.path(for: layer.blobDigest)
            return ImageLayerSource(diffID: layer.diffID, createdBy: createdBy[index], isProven: layer.isVerified) {
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else {
                    throw ServiceError(.notFound, "layer \(layer.diffID) of image \(image.id.shortID): blob \(layer.blobDigest) is missing from the store")
                }
                return fd
            }
        }
    }

    /// The `created_by` of the history entry that made each layer: non-empty entries pair with layers in order, as
    /// dockerd pairs them; a layer without an entry gets nil.
    static func layerCommands(config: ImageConfig, layerCount: Int) -> [String?] {
        var commands = (config.history ?? []).filter { !$0.isEmptyLayer }.map { $0.createdBy }
        if commands.count > layerCount { commands.removeLast(commands.count - layerCount) }
        commands += Array(repeating: nil, count: layerCount - commands.count)
        return commands
    }
}
