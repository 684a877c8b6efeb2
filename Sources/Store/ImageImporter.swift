import Archive
import Foundation
import GoText
import OCI

/// `strata import`: one rootfs tar (a file, stdin or a directory) becomes a single-layer image.
public struct ImageImporter: Sendable {
    public enum Source: Sendable, Equatable {
        case file(String)
        case standardInput
        case directory(String)
    }

    public let store: ImageStore

    public init(store: ImageStore) {
        self.store = store
    }

    /// Streams the tar into a layer blob (diffID and gzip digest in one pass), then writes the config
    /// and manifest and records the image. Nothing is recorded unless every byte arrived intact.
    public func importImage(from source: Source, config: ContainerConfig, message: String?,
                            reference: ImageReference?, platform: Platform = .current) throws -> StoredImage {
        try store.ingestLease.shared {
            let (input, pipe) = try openInput(source)
            defer { if source != .standardInput { close(input) } }
            let ingest = try BlobIngest.begin(in: store.blobs)
            let result: LayerIngest.Result
            do {
                result = try LayerIngest.ingest(from: input, to: ingest.fd)
                try pipe?.waitForWriter()
                try ingest.commit(as: result.blobDigest)
            } catch {
                ingest.abort()
                throw error
            }
            let layer = StoredLayer(blobDigest: result.blobDigest, diffID: result.diffID,
                                    mediaType: MediaType.ociLayerGzip, blobSize: result.blobSize,
                                    contentSize: result.contentSize, uncompressedSize: result.uncompressedSize)
            let now = Timestamp.now()
            let comment = message.flatMap { $0.isEmpty ? nil : $0 } ?? "Imported from -"
            var imageConfig = ImageConfig(created: now, architecture: platform.architecture, os: platform.os,
                                          variant: platform.variant, config: config,
                                          rootfs: RootFS(diffIDs: [layer.diffID]),
                                          history: [History(created: now, comment: comment)])
            imageConfig.comment = comment
            return try store.commit(config: GoJSON.encode(imageConfig), layers: [layer],
                                    tags: reference.map { [$0.withDefaultTag()] } ?? [], action: "import")
        }
    }

    private func openInput(_ source: Source) throws -> (Int32, DirectoryTarPipe?) {
        switch source {
        case .standardInput:
            return (STDIN_FILENO, nil)
        case .file(let path):
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw StoreError.invalid("open \(path): \(String(cString: strerror(errno)))") }
            return (fd, nil)
        case .directory(let path):
            let pipe = try DirectoryTarStream.openPipe(directory: path)
            return (pipe.fileDescriptor, pipe)
        }
    }
}
