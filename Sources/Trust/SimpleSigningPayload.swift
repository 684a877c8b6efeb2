import Foundation
import GoText
import OCI

/// The "simple signing" claim cosign and containers/image sign: which image (`docker-reference`) the manifest with
/// `docker-manifest-digest` is, plus optional annotations. Signatures cover the payload's exact bytes, so the
/// bytes read are kept beside the parsed fields.
public struct SimpleSigningPayload: Sendable, Hashable {
    public static let mediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
    public static let cosignType = "cosign container image signature"
    /// The largest payload read back; real ones are a few hundred bytes.
    static let maximumSize = 1 << 20

    /// A repository name, or a full reference with a tag (skopeo and Strata write the reference signed).
    public var dockerReference: String
    public var manifestDigest: Digest
    public var type: String
    public var optional: [String: String]?

    public init(dockerReference: String, manifestDigest: Digest, type: String = SimpleSigningPayload.cosignType,
                optional: [String: String]? = nil) {
        self.dockerReference = dockerReference
        self.manifestDigest = manifestDigest
        self.type = type
        self.optional = optional
    }

    /// The bytes to sign, laid out as cosign writes them.
    public var encoded: Data {
        let optionalValue: JSONValue = optional.map { values in
            .object(values.sorted { $0.key < $1.key }.map { JSONMember($0.key, .string($0.value)) })
        } ?? .null
        return GoJSON.encode(.fields([
            "critical": .fields([
                "identity": .fields(["docker-reference": .string(dockerReference)]),
                "image": .fields(["docker-manifest-digest": .string(manifestDigest.description)]),
                "type": .string(type),
            ]),
            "optional": optionalValue,
        ]))
    }

    /// Reads a payload. Unknown members are tolerated (other signers add some); the required ones must be there.
    public init(parsing data: Data) throws(TrustError) {
        guard data.count <= Self.maximumSize,
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let critical = object["critical"] as? [String: Any],
              let identity = critical["identity"] as? [String: Any],
              let reference = identity["docker-reference"] as? String,
              let image = critical["image"] as? [String: Any],
              let digestText = image["docker-manifest-digest"] as? String,
              let type = critical["type"] as? String else {
            throw TrustError(.invalidArgument, "signature payload is not a simple signing document")
        }
        guard let digest = try? Digest(digestText) else {
            throw TrustError(.invalidArgument, "signature payload names an invalid digest")
        }
        dockerReference = reference
        manifestDigest = digest
        self.type = type
        if let values = object["optional"] as? [String: Any] {
            optional = values.compactMapValues { $0 as? String }
        } else {
            optional = nil
        }
    }
}
