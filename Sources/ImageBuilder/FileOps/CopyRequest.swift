import GoText
import OCI

/// One COPY or ADD instruction's file work, with its flags already substituted.
public struct CopyRequest: Sendable, Equatable {
    /// The sources as written (context- or stage-relative, wildcards allowed; ADD may use URLs).
    public var sources: [String]
    /// The destination as written (relative ones are taken from `workingDirectory`).
    public var destination: String
    /// The image's WORKDIR at this step.
    public var workingDirectory: String
    /// `--chown=user[:group]`, resolved in the destination rootfs.
    public var chown: String?
    /// `--chmod=OCTAL`.
    public var chmod: String?
    /// ADD: local tar archives are extracted and URLs fetched.
    public var isAdd: Bool
    /// ADD `--checksum=sha256:…` for URL sources.
    public var checksum: String?

    public init(sources: [String], destination: String, workingDirectory: String = "/", chown: String? = nil,
                chmod: String? = nil, isAdd: Bool = false, checksum: String? = nil) {
        self.sources = sources
        self.destination = destination
        self.workingDirectory = workingDirectory
        self.chown = chown
        self.chmod = chmod
        self.isAdd = isAdd
        self.checksum = checksum
    }

    /// The destination as BuildKit's Dockerfile frontend computes it: joined to WORKDIR and cleaned,
    /// and a directory when written with a trailing "/" (or as "." or "").
    public var resolvedDestination: (path: String, isDirectory: Bool) {
        let joined = destination.hasPrefix("/") ? destination : workingDirectory + "/" + destination
        let path = GoPath.clean("/" + joined)
        let isDirectory = destination.isEmpty || destination == "." || destination.hasSuffix("/")
        return (path, isDirectory)
    }

    /// Whether a source is fetched over HTTP rather than read from the tree (ADD only).
    public static func isURL(_ source: String) -> Bool {
        source.hasPrefix("http://") || source.hasPrefix("https://")
    }
}

/// What a copy wrote.
public struct CopySummary: Sendable, Equatable {
    public var files = 0
    public var directories = 0
    public var symlinks = 0
    public var hardlinks = 0
    public var bytes: Int64 = 0
    public var extractedArchives = 0
    public var fetchedURLs = 0
    /// With `deferContents`: rootfs-relative path (no leading "/") → source file of every size-only
    /// placeholder written, for the layer writer to read the bytes from.
    public var contentSources: [String: String] = [:]

    public init() {}
}

/// Why a COPY could not write its destination (BuildKit 20.10's wording, host paths included).
public enum CopyError: Error, Sendable, Equatable, CustomStringConvertible {
    case cannotCopyToNonDirectory(String)
    case cannotReplaceDirectory(String)
    case checksumMismatch(expected: String, actual: String)
    case unsupportedChecksum(String)
    case fetchFailed(String)

    public var description: String {
        switch self {
        case .cannotCopyToNonDirectory(let path): return "cannot copy to non-directory: \(path)"
        case .cannotReplaceDirectory(let path): return "cannot replace directory \(path) with a file"
        case .checksumMismatch(let expected, let actual): return "digest mismatch \(actual): \(expected)"
        case .unsupportedChecksum(let text): return "invalid checksum digest format: \(text)"
        case .fetchFailed(let reason): return reason
        }
    }
}
