/// OCI 1.1 artifacts that refer to an image (signatures, SBOMs): an image manifest whose config is the empty
/// descriptor, whose layers are the artifact's blobs, with an `artifactType` and a `subject`.
extension ImageManifest {
    /// The empty JSON object every artifact manifest uses as its config blob.
    public static let emptyConfigBlob: [UInt8] = Array("{}".utf8)

    public static func artifact(type artifactType: String, blobs: [Descriptor], subject: Descriptor,
                                annotations: [String: String]?) -> ImageManifest {
        let config = Descriptor(mediaType: MediaType.ociEmpty, digest: Digest.sha256(emptyConfigBlob),
                                size: Int64(emptyConfigBlob.count))
        var manifest = ImageManifest(mediaType: MediaType.ociManifest, config: config, layers: blobs)
        manifest.artifactType = artifactType
        manifest.subject = Descriptor(mediaType: subject.mediaType, digest: subject.digest, size: subject.size)
        manifest.annotations = annotations
        return manifest
    }
}
