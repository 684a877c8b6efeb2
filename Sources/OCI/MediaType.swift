/// Media type strings of the OCI image spec and Docker's schema 2, as they appear in manifests.
public enum MediaType {
    // OCI image-spec v1.1
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    public static let ociLayer = "application/vnd.oci.image.layer.v1.tar"
    public static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let ociLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let ociLayerNondistributable = "application/vnd.oci.image.layer.nondistributable.v1.tar"
    public static let ociLayerNondistributableGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
    public static let ociEmpty = "application/vnd.oci.empty.v1+json"
    public static let ociLayoutHeader = "application/vnd.oci.layout.header.v1+json"

    // Docker image manifest v2, schema 2
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    public static let dockerLayer = "application/vnd.docker.image.rootfs.diff.tar"
    public static let dockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
    public static let dockerPluginConfig = "application/vnd.docker.plugin.v1+json"
    /// Schema 1 (signed); recognised only to reject it.
    public static let dockerManifestSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"
    public static let dockerManifestSchema1 = "application/vnd.docker.distribution.manifest.v1+json"

    /// Whether `mediaType` names a single-image manifest.
    public static func isManifest(_ mediaType: String) -> Bool {
        mediaType == ociManifest || mediaType == dockerManifest
    }

    /// Whether `mediaType` names a multi-platform index / manifest list.
    public static func isIndex(_ mediaType: String) -> Bool {
        mediaType == ociIndex || mediaType == dockerManifestList
    }

    /// Whether `mediaType` names an image config blob.
    public static func isConfig(_ mediaType: String) -> Bool {
        mediaType == ociConfig || mediaType == dockerConfig
    }

    /// The OCI layer media type for a Docker one (others unchanged): what a layer is called in an OCI manifest.
    public static func ociEquivalent(ofLayer mediaType: String) -> String {
        switch mediaType {
        case dockerLayerGzip: ociLayerGzip
        case dockerLayer: ociLayer
        case dockerForeignLayerGzip: ociLayerNondistributableGzip
        default: mediaType
        }
    }

    /// How a layer blob is compressed, judged from its media type; nil when it is not a known layer type.
    public static func layerCompression(_ mediaType: String) -> LayerCompression? {
        switch mediaType {
        case ociLayer, ociLayerNondistributable, dockerLayer: .uncompressed
        case ociLayerGzip, ociLayerNondistributableGzip, dockerLayerGzip, dockerForeignLayerGzip: .gzip
        case ociLayerZstd: .zstd
        default: nil
        }
    }
}

/// Compression of a layer blob.
public enum LayerCompression: String, Sendable, Hashable, Codable {
    case uncompressed, gzip, zstd
}
