import Archive
import Foundation
import OCI
import Synchronization

/// Another source's images with their layers re-encoded (`copy --dest-compress-format gzip|zstd`). Layers already
/// in the wanted encoding keep their bytes and digests; the others are fetched once (digest-checked), re-encoded
/// in one streaming pass with both cores (``LayerIngest``: decode, diffID check, parallel compression, blob hash)
/// into spool files, and the images lose their source manifests so the destination writes new ones. Memory stays
/// flat; the spool directory is removed by `close()` or when the source is released.
public final class RecompressingSource: ImageSource, Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case gzip, zstd
    }

    private let base: any ImageSource
    private let format: Format
    private let spool: String
    /// Re-encoded layers: new blob digest → spool file.
    private let spooled = Mutex<[Digest: String]>([:])
    private let cached = Mutex<[TransportImage]?>(nil)

    public init(_ base: any ImageSource, format: Format, temporaryDirectory: String = NSTemporaryDirectory()) throws {
        self.base = base
        self.format = format
        spool = (temporaryDirectory as NSString).appendingPathComponent("strata-recompress-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: spool) }

    public func close() { try? FileManager.default.removeItem(atPath: spool) }

    public func images() async throws -> [TransportImage] {
        if let cached = cached.withLock({ $0 }) { return cached }
        var result: [TransportImage] = []
        var converted: [Digest: TransportLayer] = [:]
        for image in try await base.images() {
            var layers: [TransportLayer] = []
            for layer in image.layers {
                if let done = converted[layer.blob.digest] {
                    layers.append(done)
                } else {
                    let new = try await convert(layer)
                    converted[layer.blob.digest] = new
                    layers.append(new)
                }
            }
            let changed = layers != image.layers
            if format == .zstd {
                layers = layers.map { var l = $0; l.blob.mediaType = MediaType.ociEquivalent(ofLayer: l.blob.mediaType); return l }
            }
            var new = image
            new.layers = layers
            if changed || layers != image.layers {
                new.manifest = nil
                new.manifestMediaType = nil
            }
            result.append(new)
        }
        cached.withLock { $0 = result }
        return result
    }

    public func openLayer(_ layer: TransportLayer, as delivery: LayerDelivery) async throws -> any BlobReader {
        guard let path = spooled.withLock({ $0[layer.blob.digest] }) else {
            return try await base.openLayer(layer, as: delivery)
        }
        if delivery == .uncompressed { return try DecompressingBlobReader(path: path) }
        return try FileBlobReader(path: path)
    }

    private func convert(_ layer: TransportLayer) async throws -> TransportLayer {
        let current = MediaType.layerCompression(layer.blob.mediaType)
        if current?.rawValue == format.rawValue { return layer }
        // The source bytes, checked against their digest on the way to disk.
        let input = spool + "/in-" + layer.blob.digest.encoded
        let output = spool + "/out-" + layer.blob.digest.encoded
        defer { unlink(input) }
        let raw = try await base.openLayer(layer, as: .asStored)
        defer { raw.close() }
        let verifying = VerifyingBlobReader(raw, digest: layer.blob.digest, size: layer.blob.size, what: "layer \(layer.blob.digest)",
                                            source: raw)
        try await Self.write(verifying, to: input)
        try verifying.finish()

        let inFD = open(input, O_RDONLY | O_CLOEXEC)
        guard inFD >= 0 else { throw TransportError.missingFile(input) }
        defer { Glibc.close(inFD) }
        let outFD = open(output, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0o600)
        guard outFD >= 0 else { throw TransportError.unsupported("open \(output): \(String(cString: strerror(errno)))") }
        defer { Glibc.close(outFD) }
        let encoding: LayerIngest.OutputEncoding = format == .gzip ? .gzip(level: 6) : .zstd(level: 3)
        let result = try await LayerIngest.ingest(from: inFD, to: outFD, options: .init(encoding: encoding))
        guard result.diffID == layer.diffID else {
            throw TransportError.digestMismatch(what: "layer \(layer.blob.digest) content", expected: layer.diffID.description,
                                                actual: result.diffID.description)
        }
        let digest = result.blobDigest
        let mediaType: String = switch format {
        case .zstd: MediaType.ociLayerZstd
        case .gzip: layer.blob.mediaType.hasPrefix("application/vnd.docker.") ? MediaType.dockerLayerGzip : MediaType.ociLayerGzip
        }
        spooled.withLock { $0[digest] = output }
        return TransportLayer(blob: Descriptor(mediaType: mediaType, digest: digest, size: result.blobSize), diffID: layer.diffID,
                              uncompressedSize: result.uncompressedSize, contentSize: result.contentSize)
    }

    private static func write(_ reader: any BlobReader, to path: String) async throws {
        let fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw TransportError.unsupported("open \(path): \(String(cString: strerror(errno)))") }
        defer { Glibc.close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let count = try await reader.read(into: buffer)
            if count == 0 { return }
            try FileDescriptorIO.writeAll(fd, UnsafeRawBufferPointer(rebasing: buffer[..<count]), what: "write \(path)")
        }
    }
}
