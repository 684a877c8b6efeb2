import Foundation
import GoText
import OCI

/// The image an SBOM or a scan report describes: what the store knows of it beyond its packages.
public struct ScannedImage: Sendable, Hashable {
    /// The name the user gave (`debian:12`, `registry.example/app@sha256:…`), printed as is.
    public var reference: String
    /// The config digest.
    public var imageID: Digest
    /// The manifest digest the image was pulled or built under, when known.
    public var manifestDigest: Digest?
    /// `repository@digest` names, as `docker inspect`'s RepoDigests.
    public var repoDigests: [String]
    public var repoTags: [String]
    /// The layers' diffIDs, bottom first.
    public var diffIDs: [Digest]
    /// The image config's `created`.
    public var created: Timestamp?
    public var architecture: String?
    public var os: String?

    public init(
        reference: String, imageID: Digest, manifestDigest: Digest? = nil, repoDigests: [String] = [],
        repoTags: [String] = [], diffIDs: [Digest] = [], created: Timestamp? = nil, architecture: String? = nil,
        os: String? = nil
    ) {
        self.reference = reference
        self.imageID = imageID
        self.manifestDigest = manifestDigest
        self.repoDigests = repoDigests
        self.repoTags = repoTags
        self.diffIDs = diffIDs
        self.created = created
        self.architecture = architecture
        self.os = os
    }

    /// The image as a Package URL of type `oci` (the manifest digest when known, else the image ID, with the
    /// repository as `repository_url`).
    public var packageURL: String {
        let digest = manifestDigest ?? imageID
        var qualifiers: [(String, String)] = []
        var name = reference
        if let parsed = try? ImageReference(reference) {
            name = parsed.path.split(separator: "/").last.map(String.init) ?? parsed.path
            qualifiers.append(("repository_url", parsed.name))
            if let tag = parsed.tag { qualifiers.append(("tag", tag)) }
        }
        if let architecture { qualifiers.append(("arch", architecture)) }
        var purl = "pkg:oci/" + ParsedPackageURL.percentEncode(name.lowercased()) + "@"
            + ParsedPackageURL.percentEncode(digest.description)
        if !qualifiers.isEmpty {
            purl += "?" + qualifiers.sorted { $0.0 < $1.0 }
                .map { $0.0 + "=" + ParsedPackageURL.percentEncode($0.1, keepingSlashes: true) }.joined(separator: "&")
        }
        return purl
    }
}

/// What stamps one document: the tool that wrote it, when, and the unique ID its namespace or serial number
/// carries. Two documents written from the same input with the same stamp are byte-identical.
public struct DocumentStamp: Sendable, Hashable {
    public var toolName: String
    public var toolVersion: String
    public var created: Timestamp
    public var uniqueID: UUID
    /// The tool's home page (SARIF's `informationUri`).
    public var informationURI: String?

    public init(toolName: String = "strata", toolVersion: String, created: Timestamp = .now(), uniqueID: UUID = UUID(),
                informationURI: String? = nil) {
        self.toolName = toolName
        self.toolVersion = toolVersion
        self.informationURI = informationURI
        // SBOM formats want whole seconds in UTC.
        self.created = Timestamp(seconds: created.seconds)
        self.uniqueID = uniqueID
    }
}

/// Encodes a document as indented JSON, without Go's HTML escaping.
enum DocumentJSON {
    static func encode(_ value: JSONValue) -> [UInt8] {
        Array(GoJSON.encode(value, indent: "  ", escapeHTML: false)) + [UInt8(ascii: "\n")]
    }
}
