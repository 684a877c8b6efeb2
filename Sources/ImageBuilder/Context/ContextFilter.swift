import Dockerfile

/// Which context paths survive `.dockerignore`, with BuildKit's walker rules: an excluded directory is
/// still sent and walked when an exception's text starts with its path (something below may come back);
/// otherwise nothing below an excluded directory is sent.
public struct ContextFilter: Sendable, Equatable {
    /// The ignore patterns (empty for stage roots and images: everything is included).
    public let ignore: DockerIgnore

    public init(ignore: DockerIgnore = .empty) {
        self.ignore = ignore
    }

    /// Whether the walker keeps `path` itself, given that its parent was walked.
    public func keeps(_ path: String, isDirectory: Bool) -> Bool {
        guard !ignore.patterns.isEmpty, ignore.excludes(path) else { return true }
        return isDirectory && ignore.mayIncludeBelow(excludedDirectory: path)
    }

    /// Whether every ancestor directory of `path` is walked (checked for lookups outside a walk).
    public func walksAncestors(of path: String) -> Bool {
        guard !ignore.patterns.isEmpty else { return true }
        var index = path.startIndex
        while let slash = path[index...].firstIndex(of: "/") {
            if !keeps(String(path[..<slash]), isDirectory: true) { return false }
            index = path.index(after: slash)
        }
        return true
    }
}
