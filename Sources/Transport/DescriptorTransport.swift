import Foundation
import OCI

/// A manifest, index or artifact manifest as bytes, with its media type.
public struct TransportManifest: Sendable, Hashable {
    public var data: Data
    public var mediaType: String

    public init(data: Data, mediaType: String) {
        self.data = data
        self.mediaType = mediaType
    }

    public var digest: Digest { Digest.sha256(data) }
    public var descriptor: Descriptor { Descriptor(mediaType: mediaType, digest: digest, size: Int64(data.count)) }
}

/// Reading beneath the image-level API: a manifest or index by tag or digest, a blob by digest, and the referrers of
/// a digest (artifacts whose `subject` it is). What signatures, SBOMs and attestations travel by.
public protocol DescriptorSource: Sendable {
    /// The manifest or index a tag or digest names; nil when the source has none.
    func manifest(_ reference: String) async throws -> TransportManifest?
    /// A blob's bytes as stored.
    func openBlob(_ descriptor: Descriptor) async throws -> any BlobReader
    /// The artifacts that refer to `digest`, optionally of one type.
    func referrers(of digest: Digest, artifactType: String?) async throws -> [Descriptor]
}

/// Writing beneath the image-level API: blobs by digest, and manifests (artifacts, indexes) by digest or tag.
public protocol DescriptorDestination: Sendable {
    func hasBlob(_ descriptor: Descriptor) async throws -> Bool
    /// Stores one blob from `reader`; a destination that makes it durable calls `reader.finish()` first.
    func putBlob(_ descriptor: Descriptor, from reader: VerifyingBlobReader) async throws
    func hasManifest(_ digest: Digest) async throws -> Bool
    /// Stores a manifest whose blobs are present: an artifact (it has a `subject`) by digest, or an index.
    func putManifest(_ manifest: TransportManifest, tag: String?) async throws
}

extension DescriptorSource {
    /// A small blob (a config, a cache description) read whole and checked against its digest; one over `limit`
    /// bytes is refused before it is read.
    public func readBlob(_ blob: Descriptor, limit: Int64 = 64 << 20) async throws -> Data {
        guard blob.size >= 0, blob.size <= limit else {
            throw TransportError.unsupported("blob \(blob.digest) is \(blob.size) bytes, over the \(limit)-byte limit for a document")
        }
        let reader = try await openBlob(blob)
        defer { reader.close() }
        let verifying = VerifyingBlobReader(reader, digest: blob.digest, size: blob.size, what: "blob \(blob.digest)", source: reader)
        var data = Data()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try await verifying.read(into: buffer)
            if count == 0 { break }
            data.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        try verifying.finish()
        return data
    }
}

extension DescriptorDestination {
    /// Writes a blob held in memory unless this destination has it.
    public func putBlob(_ data: Data, as blob: Descriptor) async throws {
        if try await hasBlob(blob) { return }
        let verifying = VerifyingBlobReader(DataBlobReader(data), digest: blob.digest, size: blob.size, what: "blob \(blob.digest)")
        try await putBlob(blob, from: verifying)
        try verifying.finish()
    }

    /// Copies one blob from `source` unless this destination has it, checked against its digest and size on the way.
    public func copyBlob(_ blob: Descriptor, from source: any DescriptorSource) async throws {
        if try await hasBlob(blob) { return }
        let reader = try await source.openBlob(blob)
        defer { reader.close() }
        let verifying = VerifyingBlobReader(reader, digest: blob.digest, size: blob.size, what: "blob \(blob.digest)", source: reader)
        try await putBlob(blob, from: verifying)
        try verifying.finish()
    }
}

extension ImageCopier {
    /// Copies the artifacts that refer to `subjects` (and, in turn, those that refer to them), with their blobs:
    /// what `copy --referrers` adds after the images. Every manifest and blob is checked against its digest;
    /// artifacts the destination has are not sent again, but their own referrers are still looked at.
    public func copyReferrers(of subjects: [Digest], from source: any DescriptorSource,
                              to destination: any DescriptorDestination) async throws -> [Descriptor] {
        var copied: [Descriptor] = []
        var queue = subjects
        var seen = Set(subjects)
        var position = 0
        while position < queue.count {
            let subject = queue[position]
            position += 1
            for referrer in try await source.referrers(of: subject, artifactType: nil) where seen.insert(referrer.digest).inserted {
                try Task.checkCancellation()
                queue.append(referrer.digest)
                if try await destination.hasManifest(referrer.digest) { continue }
                guard let manifest = try await source.manifest(referrer.digest.description) else {
                    throw TransportError.unsupported("referrer \(referrer.digest) of \(subject) is listed but missing")
                }
                guard manifest.digest == referrer.digest else {
                    throw TransportError.digestMismatch(what: "referrer manifest", expected: referrer.digest.description,
                                                        actual: manifest.digest.description)
                }
                let parsed: ImageManifest
                do { parsed = try JSONDecoder().decode(ImageManifest.self, from: manifest.data) } catch {
                    throw TransportError.unsupported("referrer \(referrer.digest) is not an artifact manifest: \(error)")
                }
                for blob in [parsed.config] + parsed.layers { try await destination.copyBlob(blob, from: source) }
                try await destination.putManifest(manifest, tag: nil)
                var listed = referrer
                listed.artifactType = listed.artifactType ?? parsed.artifactType ?? parsed.config.mediaType
                copied.append(listed)
            }
        }
        return copied
    }
}
