#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dockerfile
import GoText
import OCI

/// Why COPY/ADD sources could not be selected; `description` is BuildKit 20.10's wording.
public enum SourceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A source (or the target of a symlink it led to) is missing; the path is shown rooted at "/".
    case notFound(String)
    /// Symlinks nested too deeply while resolving a source.
    case tooManyLinks(String)
    /// A wildcard Go's `path.Match` rejects.
    case badPattern(String)

    public var description: String {
        switch self {
        case .notFound(let path): return "\"\(path)\" not found: not found"
        case .tooManyLinks(let path): return "\(path): too many levels of symbolic links"
        case .badPattern: return "syntax error in pattern"
        }
    }

    /// The line BuildKit prints at the end of a failed build for this error.
    public var buildFailureMessage: String { "failed to compute cache key: " + description }
}

/// One source a COPY selected: its path in the tree after following symlinks, and what it is.
public struct ResolvedSource: Sendable, Equatable {
    /// Tree-relative, cleaned, no leading "/"; "" is the tree's root.
    public let path: String
    public let status: FileStatus
    /// The last component of the path as written (a followed symlink keeps its own name at the destination).
    public var requestedName: String

    public init(path: String, status: FileStatus, requestedName: String? = nil) {
        self.path = path
        self.status = status
        self.requestedName = requestedName ?? String(path.split(separator: "/").last ?? "")
    }
}

/// A file beneath a selected source, in walk order (a directory before its contents).
public struct SourceEntry: Sendable, Equatable {
    /// Tree-relative path.
    public let path: String
    /// Path relative to the selected source ("" for the source itself).
    public let relative: String
    public let status: FileStatus
    /// The target of a symlink.
    public let linkTarget: String?
}

/// A directory COPY reads from: the build context (filtered by `.dockerignore`, owners reset to 0:0)
/// or another stage's or image's rootfs (everything, owners kept). Symlinks met while resolving a
/// source are followed as if the tree were "/", so nothing outside it is ever read.
public struct SourceTree: Sendable {
    /// Absolute path of the tree's root directory.
    public let rootDirectory: String
    public let filter: ContextFilter
    /// COPY from the context gives files uid/gid 0:0; from a stage it keeps them.
    public let resetsOwnership: Bool

    static let maxSymlinkHops = 255

    public init(rootDirectory: String, filter: ContextFilter = ContextFilter(), resetsOwnership: Bool = false) {
        var root = rootDirectory
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        self.rootDirectory = root
        self.filter = filter
        self.resetsOwnership = resetsOwnership
    }

    func absolute(_ path: String) -> String { path.isEmpty ? rootDirectory : rootDirectory + "/" + path }

    /// The status of `path` if it exists in the (filtered) tree, without following a final symlink.
    func status(of path: String) -> FileStatus? {
        if path.isEmpty { return FileSystemCalls.lstatPath(rootDirectory) }
        guard let status = FileSystemCalls.lstatPath(absolute(path)) else { return nil }
        guard filter.walksAncestors(of: path), filter.keeps(path, isDirectory: status.kind == .directory) else { return nil }
        return status
    }

    /// Resolves one source path (as written in the Dockerfile) inside the tree.
    public func resolve(_ source: String, followFinalSymlink: Bool = true) throws(SourceError) -> ResolvedSource {
        var pending = Array(GoPath.clean("/" + source).split(separator: "/").map(String.init).reversed())
        var resolved: [String] = []
        var hops = 0
        while let name = pending.popLast() {
            if name == "." || name.isEmpty { continue }
            if name == ".." { if !resolved.isEmpty { resolved.removeLast() }; continue }
            let candidate = (resolved + [name]).joined(separator: "/")
            guard let status = status(of: candidate) else {
                throw .notFound("/" + (resolved + [name] + pending.reversed()).joined(separator: "/"))
            }
            if status.kind == .symlink && (!pending.isEmpty || followFinalSymlink) {
                hops += 1
                guard hops <= Self.maxSymlinkHops else { throw .tooManyLinks("/" + candidate) }
                guard let target = try? FileSystemCalls.readLink(AT_FDCWD, absolute(candidate), display: candidate) else {
                    throw .notFound("/" + candidate)
                }
                if target.hasPrefix("/") { resolved.removeAll() }
                pending.append(contentsOf: target.split(separator: "/").map(String.init).reversed())
                continue
            }
            if !pending.isEmpty && status.kind != .directory {
                throw .notFound("/" + (resolved + [name] + pending.reversed()).joined(separator: "/"))
            }
            resolved.append(name)
        }
        let path = resolved.joined(separator: "/")
        guard let status = status(of: path) else { throw .notFound("/" + path) }
        let written = GoPath.clean("/" + source).split(separator: "/").last.map(String.init)
        return ResolvedSource(path: path, status: status, requestedName: written)
    }

    /// The sources one COPY argument selects: itself, or every tree path its wildcard matches
    /// (Go's `path.Match` on whole paths, so each segment matches one level). A wildcard matching
    /// nothing selects nothing, as in BuildKit 20.10.
    public func select(_ source: String, followSymlinks: Bool = true) throws(SourceError) -> [ResolvedSource] {
        let cleaned = GoPath.clean("/" + source)
        guard GoPathGlob.hasMeta(cleaned) else { return [try resolve(source, followFinalSymlink: followSymlinks)] }
        guard GoPathGlob.isValid(cleaned) else { throw .badPattern(cleaned) }
        let segments = cleaned.split(separator: "/").map(String.init)
        var frontier: [String] = [""]
        for segment in segments {
            var next: [String] = []
            for base in frontier {
                let prefix = base.isEmpty ? "" : base + "/"
                if !GoPathGlob.hasMeta(segment) {
                    if status(of: prefix + segment) != nil { next.append(prefix + segment) }
                    continue
                }
                guard let baseStatus = status(of: base), baseStatus.kind == .directory else { continue }
                let dirFD = open(absolute(prefix.isEmpty ? "" : String(prefix.dropLast())), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                guard dirFD >= 0 else { continue }
                defer { close(dirFD) }
                for name in (try? FileSystemCalls.directoryNames(dirFD, display: prefix)) ?? [] where GoPathGlob.matches(segment, name) == true {
                    if status(of: prefix + name) != nil { next.append(prefix + name) }
                }
            }
            frontier = next
        }
        var results: [ResolvedSource] = []
        for path in frontier { results.append(try resolve(path, followFinalSymlink: followSymlinks)) }
        return results
    }

    /// Every entry a COPY of `source` reads, depth first in bytewise name order.
    public func entries(under source: ResolvedSource) throws -> [SourceEntry] {
        var result: [SourceEntry] = []
        let link = source.status.kind == .symlink
            ? try FileSystemCalls.readLink(AT_FDCWD, absolute(source.path), display: source.path) : nil
        result.append(SourceEntry(path: source.path, relative: "", status: source.status, linkTarget: link))
        guard source.status.kind == .directory else { return result }
        let fd = try FileSystemCalls.openDirectory(absolute(source.path))
        defer { close(fd) }
        try walk(dirFD: fd, path: source.path, relative: "", into: &result)
        return result
    }

    private func walk(dirFD: Int32, path: String, relative: String, into result: inout [SourceEntry]) throws {
        for name in try FileSystemCalls.directoryNames(dirFD, display: absolute(path)) {
            let childPath = path.isEmpty ? name : path + "/" + name
            let childRelative = relative.isEmpty ? name : relative + "/" + name
            guard let status = FileSystemCalls.lstatAt(dirFD, name) else { continue }
            guard filter.keeps(childPath, isDirectory: status.kind == .directory) else { continue }
            switch status.kind {
            case .directory:
                result.append(SourceEntry(path: childPath, relative: childRelative, status: status, linkTarget: nil))
                let child = FileSystemCalls.openChildDirectory(dirFD, name)
                guard child >= 0 else { throw FileSystemError("open", absolute(childPath), code: errno) }
                defer { close(child) }
                try walk(dirFD: child, path: childPath, relative: childRelative, into: &result)
            case .symlink:
                let target = try FileSystemCalls.readLink(dirFD, name, display: absolute(childPath))
                result.append(SourceEntry(path: childPath, relative: childRelative, status: status, linkTarget: target))
            case .regular, .other:
                result.append(SourceEntry(path: childPath, relative: childRelative, status: status, linkTarget: nil))
            }
        }
    }
}
