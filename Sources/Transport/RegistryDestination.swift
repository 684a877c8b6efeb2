import Foundation
import GoText
import OCI
import Registry
import Synchronization

/// A registry repository (`docker://`) as an `ImageDestination`: blobs are HEAD-checked, mounted from
/// `mountFrom` when the registry agrees, else uploaded; then config and manifest, tagged with the target's tag.
/// Digests are preserved: the manifest is sent byte for byte when the image came with one.
public final class RegistryDestination: ConcurrentImageDestination, Sendable {
    public enum LayerOutcome: Sendable { case existed, mounted(from: String), uploaded }

    public let client: RegistryClient
    public let reference: ImageReference
    public let repository: RegistryRepository
    /// Another repository of the same registry the blobs may be mounted from.
    public let mountFrom: RegistryRepository?
    /// Per-blob repositories to mount from (a manifest list gathers platforms from several repositories).
    public let mountSources: [Digest: RegistryRepository]
    /// Called when a layer lands, with how it got there (docker prints "Mounted from …", "Layer already exists").
    public var onLayer: (@Sendable (TransportLayer, LayerOutcome) -> Void)? {
        get { onLayerHandler.withLock { $0 } }
        set { onLayerHandler.withLock { $0 = newValue } }
    }
    /// (tag or digest, manifest digest, manifest size) for each manifest put.
    public var pushed: [(reference: String, digest: Digest, size: Int)] { pushedManifests.withLock { $0 } }
    private let onLayerHandler = Mutex<(@Sendable (TransportLayer, LayerOutcome) -> Void)?>(nil)
    private let pushedManifests = Mutex<[(reference: String, digest: Digest, size: Int)]>([])

    public init(client: RegistryClient, reference: ImageReference, mountFrom: RegistryRepository? = nil,
                mountSources: [Digest: RegistryRepository] = [:]) {
        self.client = client
        self.reference = reference
        self.repository = RegistryRepository(reference)
        self.mountFrom = mountFrom
        self.mountSources = mountSources
    }

    public var layerDelivery: LayerDelivery { .asStored }

    public func hasLayer(_ layer: TransportLayer) async throws -> Bool {
        guard try await client.blobSize(repository, digest: layer.blob.digest) != nil else { return false }
        onLayer?(layer, .existed)
        return true
    }

    public func putLayer(_ layer: TransportLayer, from reader: VerifyingBlobReader) async throws {
        let once = OneShotUploadBody(reader)
        let outcome: BlobUploadOutcome
        let mountFrom = mountSources[layer.blob.digest] ?? self.mountFrom
        do {
            outcome = try await client.uploadBlob(repository, digest: layer.blob.digest, size: layer.blob.size,
                                                  mountFrom: mountFrom, body: { try once.take() })
        } catch {
            // The client's retries are spent: the copier must not start the layer over yet again.
            guard client.mayRetry || error is LayerRestartRequired else { throw RetriesSpent(error) }
            throw error
        }
        if outcome == .uploaded { try reader.finish() }
        switch outcome {
        case .existed: onLayer?(layer, .existed)
        case .mounted: onLayer?(layer, .mounted(from: mountFrom.map { RegistryDestination.familiarPath($0) } ?? ""))
        case .uploaded: onLayer?(layer, .uploaded)
        }
    }

    public func putImage(_ image: TransportImage) async throws -> Digest? {
        let configDigest = Digest.sha256(image.config)
        let configMediaType: String
        let manifestData: Data
        let manifestMediaType: String
        if let manifest = image.manifest {
            manifestData = manifest
            manifestMediaType = image.manifestMediaType ?? MediaType.ociManifest
            configMediaType = (try? JSONDecoder().decode(ImageManifest.self, from: manifest))?.config.mediaType ?? MediaType.ociConfig
        } else {
            let docker = image.layers.allSatisfy { $0.blob.mediaType.hasPrefix("application/vnd.docker.") }
            configMediaType = docker ? MediaType.dockerConfig : MediaType.ociConfig
            manifestMediaType = docker ? MediaType.dockerManifest : MediaType.ociManifest
            let built = ImageManifest(mediaType: manifestMediaType,
                                      config: Descriptor(mediaType: configMediaType, digest: configDigest, size: Int64(image.config.count)),
                                      layers: image.layers.map(\.blob))
            manifestData = GoJSON.encode(built)
        }
        _ = configMediaType
        let config = image.config
        _ = try await client.uploadBlob(repository, digest: configDigest, size: Int64(config.count), mountFrom: nil,
                                        body: { DataUploadBody(config) })
        let tag = reference.tag ?? (reference.digest == nil ? ImageReference.defaultTag : nil)
        let target = image.isIndexEntry ? Digest.sha256(manifestData).description : tag ?? Digest.sha256(manifestData).description
        // An index's artifact (an attestation manifest) is also a referrer of its image.
        let digest: Digest
        if image.isArtifact, let referred = try await putReferrer(manifestData, mediaType: manifestMediaType) {
            digest = referred
        } else {
            digest = try await client.putManifest(repository, reference: target, data: manifestData, mediaType: manifestMediaType)
        }
        pushedManifests.withLock { $0.append((target, digest, manifestData.count)) }
        return digest
    }

    /// Puts an artifact manifest (one with a `subject`) as a referrer of its subject: by digest, and into the
    /// subject's `sha256-<hex>` tag index where the registry has no referrers API. Nil, with nothing sent, for a
    /// manifest that is no artifact.
    func putReferrer(_ data: Data, mediaType: String) async throws -> Digest? {
        guard MediaType.isManifest(mediaType), let parsed = try? JSONDecoder().decode(ImageManifest.self, from: data),
              let subject = parsed.subject else { return nil }
        return try await client.putReferrer(repository, data: data, mediaType: mediaType,
                                            artifactType: parsed.artifactType ?? parsed.config.mediaType,
                                            annotations: parsed.annotations, subject: subject.digest)
    }

    public func commit() async throws {}
    public func abort() async {}

    static func familiarPath(_ repository: RegistryRepository) -> String {
        repository.path.hasPrefix("library/") && repository.registry == ImageReference.defaultDomain
            ? String(repository.path.dropFirst("library/".count)) : repository.path
    }
}

/// An upload needs its bytes from the start again, which only the source can give: the copier reopens the layer.
struct LayerRestartRequired: Error, CustomStringConvertible {
    var description: String { "the layer upload had to start over and its stream cannot be rewound" }
}

/// A transfer failure after the registry client spent its retries; reads as the failure itself.
struct RetriesSpent: Error, CustomStringConvertible {
    let underlying: any Error
    init(_ underlying: any Error) { self.underlying = underlying }
    var description: String { String(describing: underlying) }
}

/// Which transfer failures are worth reopening the layer for.
enum TransferRetry {
    static func isRetryable(_ error: any Error) -> Bool {
        if error is LayerRestartRequired { return true }
        guard let error = error as? RegistryError else { return false }
        switch error {
        case .transport, .truncated: return true
        case .unexpectedStatus(let status, _), .api(let status, _): return status >= 500 || status == 429
        default: return false
        }
    }
}

/// The copier's verifying reader handed to the upload once; a retry would need the bytes again, which a
/// stream cannot give, so the second call fails and the copier's own retry reopens the layer.
///
/// `@unchecked Sendable` because the reader (a stream, not Sendable) is held for the upload's body closure; the
/// mutex lets exactly one call take it, so it is never read from two tasks.
final class OneShotUploadBody: @unchecked Sendable {
    private let reader: VerifyingBlobReader
    private let taken = Mutex(false)
    init(_ reader: VerifyingBlobReader) { self.reader = reader }

    func take() throws -> any UploadBody {
        let first = taken.withLock { alreadyTaken in
            defer { alreadyTaken = true }
            return !alreadyTaken
        }
        guard first else { throw LayerRestartRequired() }
        return BlobReaderUploadBody(reader)
    }
}

final class BlobReaderUploadBody: UploadBody {
    let reader: any BlobReader
    init(_ reader: any BlobReader) { self.reader = reader }
    func read(into buffer: UnsafeMutableRawBufferPointer) async throws -> Int { try await reader.read(into: buffer) }
}

extension RegistryDestination: IndexDestination {
    /// The index goes last, under the destination's tag, once every entry it lists is in the repository.
    public func putIndex(_ index: TransportIndex) async throws {
        let tag = reference.tag ?? (reference.digest == nil ? ImageReference.defaultTag : nil)
        let target = tag ?? index.digest.description
        let digest = try await client.putManifest(repository, reference: target, data: index.data, mediaType: index.mediaType)
        pushedManifests.withLock { $0.append((target, digest, index.data.count)) }
    }
}
