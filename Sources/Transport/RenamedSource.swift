import Foundation
import OCI

/// Another source's images under different names (`strata copy … oci:dir:NAME` names what it writes). When the
/// base offers an index, the index takes the names and its entries stay nameless (they travel by digest).
public struct RenamedSource: IndexedImageSource {
    public let base: any ImageSource
    public let names: [ImageReference]

    public init(_ base: any ImageSource, names: [ImageReference]) {
        self.base = base
        self.names = names
    }

    public func images() async throws -> [TransportImage] {
        try await base.images().map { image in
            var renamed = image
            renamed.names = image.isIndexEntry ? [] : names
            return renamed
        }
    }

    public func index() async throws -> TransportIndex? {
        guard let indexed = base as? any IndexedImageSource, var index = try await indexed.index() else { return nil }
        index.names = names
        return index
    }

    public func openLayer(_ layer: TransportLayer, as delivery: LayerDelivery) async throws -> any BlobReader {
        try await base.openLayer(layer, as: delivery)
    }
}

extension RenamedSource: DescriptorSource {
    public func manifest(_ reference: String) async throws -> TransportManifest? {
        try await descriptorBase().manifest(reference)
    }
    public func openBlob(_ descriptor: Descriptor) async throws -> any BlobReader { try await descriptorBase().openBlob(descriptor) }
    public func referrers(of digest: Digest, artifactType: String?) async throws -> [Descriptor] {
        try await descriptorBase().referrers(of: digest, artifactType: artifactType)
    }

    private func descriptorBase() throws -> any DescriptorSource {
        guard let base = base as? any DescriptorSource else {
            throw TransportError.unsupported("this source cannot list referrers")
        }
        return base
    }
}
