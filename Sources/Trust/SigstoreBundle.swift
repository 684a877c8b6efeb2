import Foundation
import GoText
import OCI

/// A Sigstore bundle (v0.3, `application/vnd.dev.sigstore.bundle.v0.3+json`) holding a DSSE envelope whose payload is
/// the simple signing claim, signed by a key (no certificate, no transparency log). It travels as an OCI 1.1
/// referrer of the signed manifest, laid out as cosign's bundle specification describes: an artifact manifest with
/// the empty config and the bundle as its one layer.
public enum SigstoreBundle {
    public static let mediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
    static let maximumSize = 1 << 20

    /// DSSE's pre-authentication encoding: what the envelope's signature covers.
    public static func pae(payloadType: String, payload: Data) -> Data {
        var out = Data("DSSEv1 \(payloadType.utf8.count) \(payloadType) \(payload.count) ".utf8)
        out.append(payload)
        return out
    }

    /// The bundle for a payload and its signature over ``pae(payloadType:payload:)``.
    public static func encode(payload: Data, signature: Data, keyID: String) -> Data {
        GoJSON.encode(.fields([
            "mediaType": .string(mediaType),
            "verificationMaterial": .fields([
                "publicKey": .fields(["hint": .string(keyID)]),
                "tlogEntries": .array([]),
            ]),
            "dsseEnvelope": .fields([
                "payload": .string(payload.base64EncodedString()),
                "payloadType": .string(SimpleSigningPayload.mediaType),
                "signatures": .array([.fields(["sig": .string(signature.base64EncodedString()), "keyid": .string(keyID)])]),
            ]),
        ]))
    }

    /// The signatures inside a bundle: each over the PAE of its payload, so the payload handed back for checking is
    /// that encoding, with the claim itself in `claim`.
    public struct Content: Sendable {
        public var claim: Data
        public var signedBytes: Data
        public var signatures: [(signature: String, keyID: String?)]
    }

    public static func decode(_ data: Data) throws(TrustError) -> Content {
        guard data.count <= maximumSize, let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TrustError(.invalidArgument, "the Sigstore bundle is not JSON")
        }
        guard let type = object["mediaType"] as? String, type.hasPrefix("application/vnd.dev.sigstore.bundle") else {
            throw TrustError(.invalidArgument, "the Sigstore bundle has no bundle media type")
        }
        guard let envelope = object["dsseEnvelope"] as? [String: Any], let payloadText = envelope["payload"] as? String,
              let payload = Data(base64Encoded: payloadText), let payloadType = envelope["payloadType"] as? String,
              let signatures = envelope["signatures"] as? [[String: Any]] else {
            throw TrustError(.invalidArgument, "the Sigstore bundle holds no DSSE envelope of a signature")
        }
        guard payloadType == SimpleSigningPayload.mediaType else {
            throw TrustError(.invalidArgument, "the Sigstore bundle signs \(payloadType), not an image signature")
        }
        return Content(claim: payload, signedBytes: pae(payloadType: payloadType, payload: payload),
                       signatures: signatures.compactMap { entry in
                           (entry["sig"] as? String).map { ($0, entry["keyid"] as? String) }
                       })
    }

    /// The referrer manifest for a bundle blob and the signed manifest.
    public static func referrerManifest(bundle: Data, subject: Descriptor, created: String) -> Data {
        let bundleDigest = Digest.sha256(bundle)
        let layer = Descriptor(mediaType: mediaType, digest: bundleDigest, size: Int64(bundle.count),
                               annotations: ["org.opencontainers.image.title": bundleDigest.algorithm + "-" + bundleDigest.encoded + ".sigstore.json"])
        let manifest = ImageManifest.artifact(type: mediaType, blobs: [layer], subject: subject,
                                              annotations: ["dev.sigstore.bundle.content": "dsse-envelope", "org.opencontainers.image.created": created])
        return GoJSON.encode(manifest)
    }
}
