/// BuildKit's attestation storage: for each platform image of an index, one manifest whose layers are in-toto
/// statements about it (SLSA provenance, an SPDX SBOM). The manifest is an OCI 1.1 artifact (empty config,
/// `artifactType`, `subject` = the image manifest, as BuildKit writes it by default since it made them artifacts) and
/// is listed in the index beside the images with the placeholder platform `unknown/unknown` and two annotations that
/// name the image it attests, so registries without the referrers API and clients that never heard of it still
/// carry it.
public enum AttestationManifest {
    /// The artifact type of an attestation manifest.
    public static let artifactType = "application/vnd.docker.attestation.manifest.v1+json"
    /// The media type of each statement layer.
    public static let statementMediaType = "application/vnd.in-toto+json"
    /// The layer annotation naming the statement's predicate type.
    public static let predicateTypeAnnotation = "in-toto.io/predicate-type"
    /// The index-entry annotation whose value is `attestation-manifest`.
    public static let referenceTypeAnnotation = "vnd.docker.reference.type"
    public static let referenceType = "attestation-manifest"
    /// The index-entry annotation holding the digest of the image manifest attested.
    public static let referenceDigestAnnotation = "vnd.docker.reference.digest"
    /// The placeholder platform of attestation entries, which no platform matcher accepts.
    public static let platform = Platform(os: "unknown", architecture: "unknown")

    /// The index entry for an attestation manifest of `subject`.
    public static func indexEntry(_ manifest: Descriptor, subject: Digest) -> Descriptor {
        Descriptor(mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size,
                   annotations: [referenceDigestAnnotation: subject.description, referenceTypeAnnotation: referenceType],
                   platform: platform, artifactType: artifactType)
    }
}

extension Descriptor {
    /// Whether this index entry is an attestation manifest (BuildKit's annotation, or the artifact type).
    public var isAttestationManifest: Bool {
        annotations?[AttestationManifest.referenceTypeAnnotation] == AttestationManifest.referenceType
            || artifactType == AttestationManifest.artifactType
    }

    /// The image manifest an attestation entry attests, from its annotation.
    public var attestedDigest: Digest? {
        annotations?[AttestationManifest.referenceDigestAnnotation].flatMap { try? Digest($0) }
    }
}

extension ImageManifest {
    /// Whether this manifest is an artifact rather than an image: its config is not an image config (OCI 1.1's rule),
    /// so it has no layers to unpack and no image ID of its own.
    public var isArtifact: Bool { !MediaType.isConfig(config.mediaType) }
}
