import Foundation
import GoText
import OCI

/// One signature as stored: the payload's exact bytes, the base64 signature over them, and the annotations of the
/// layer (or bundle) that carried it.
public struct StoredSignature: Sendable, Hashable {
    /// The simple signing claim.
    public var payload: Data
    /// The bytes the signature covers: the payload itself, or for a DSSE envelope its pre-authentication encoding.
    public var signedBytes: Data
    /// Base64 text as found; decoding it is part of verifying.
    public var signature: String
    public var annotations: [String: String]
    /// Where it was found: the `.sig` tag or a referrer bundle (its manifest digest).
    public var origin: Origin

    public enum Origin: Sendable, Hashable {
        case tagScheme
        case referrer(Digest)
    }

    public init(payload: Data, signedBytes: Data? = nil, signature: String, annotations: [String: String] = [:],
                origin: Origin = .tagScheme) {
        self.payload = payload
        self.signedBytes = signedBytes ?? payload
        self.signature = signature
        self.annotations = annotations
        self.origin = origin
    }

    /// The signer's key ID when the signature names it (Strata adds it; cosign does not).
    public var keyIDHint: String? { annotations[SignatureImage.keyIDAnnotation] }
}

/// cosign's signature "image": a manifest tagged `sha256-<hex>.sig` beside the signed manifest, whose layers are
/// simple signing payloads, each with its base64 signature in the `dev.cosignproject.cosign/signature` annotation.
/// A config lists the layers' digests as its diff IDs, as cosign writes it.
public struct SignatureImage: Sendable {
    public static let signatureAnnotation = "dev.cosignproject.cosign/signature"
    /// The signing key's ID, so that `trust inspect` can name a signer whose key it was not given.
    public static let keyIDAnnotation = "dev.strata.trust/key-id"

    public struct Layer: Sendable, Hashable {
        public var payload: Data
        public var annotations: [String: String]
        public var descriptor: Descriptor {
            Descriptor(mediaType: SimpleSigningPayload.mediaType, digest: Digest.sha256(payload), size: Int64(payload.count),
                       annotations: annotations)
        }
    }

    public var layers: [Layer]

    public init(layers: [Layer] = []) { self.layers = layers }

    /// The tag that holds the signatures of `digest`: `sha256-<hex>.sig`.
    public static func tag(for digest: Digest) -> String { digest.algorithm + "-" + digest.encoded + ".sig" }

    /// The signatures, in layer order.
    public var signatures: [StoredSignature] {
        layers.compactMap { layer in
            guard let signature = layer.annotations[Self.signatureAnnotation] else { return nil }
            return StoredSignature(payload: layer.payload, signature: signature, annotations: layer.annotations)
        }
    }

    /// Adds a signature unless the very same one is already there; true when added.
    @discardableResult
    public mutating func append(payload: Data, signature: String, annotations: [String: String] = [:]) -> Bool {
        var all = annotations
        all[Self.signatureAnnotation] = signature
        let layer = Layer(payload: payload, annotations: all)
        guard !layers.contains(where: { $0.payload == payload && $0.annotations[Self.signatureAnnotation] == signature }) else {
            return false
        }
        layers.append(layer)
        return true
    }

    /// The config blob: an empty image whose diff IDs are the payload digests.
    public var config: Data {
        let digests = layers.map { JSONValue.string(Digest.sha256($0.payload).description) }
        return GoJSON.encode(.fields([
            "architecture": .string(""),
            "created": .string("0001-01-01T00:00:00Z"),
            "history": .array(layers.map { _ in .fields(["created": .string("0001-01-01T00:00:00Z")]) }),
            "os": .string(""),
            "rootfs": .fields(["type": .string("layers"), "diff_ids": .array(digests)]),
            "config": .fields([:]),
        ]))
    }

    /// The manifest for `config`'s bytes and the layers.
    public func manifest(config: Data) -> Data {
        let configDescriptor = Descriptor(mediaType: MediaType.ociConfig, digest: Digest.sha256(config), size: Int64(config.count))
        return GoJSON.encode(ImageManifest(mediaType: MediaType.ociManifest, config: configDescriptor, layers: layers.map(\.descriptor)))
    }

    /// The layer descriptors of a fetched `.sig` manifest that carry signatures, at most `limit` of them.
    public static func signatureLayers(ofManifest data: Data, limit: Int) throws(TrustError) -> [Descriptor] {
        guard let manifest = try? JSONDecoder().decode(ImageManifest.self, from: data) else {
            throw TrustError(.invalidArgument, "the signature manifest is not an image manifest")
        }
        let layers = manifest.layers.filter { $0.annotations?[signatureAnnotation] != nil }
        guard layers.count <= limit else {
            throw TrustError(.invalidArgument, "the signature manifest holds \(layers.count) signatures, more than the \(limit) read")
        }
        return layers
    }
}
