#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Archive
import Foundation
import Registry

/// Carries out COPY/ADD into a rootfs directory with docker's (BuildKit 20.10's) semantics:
///
/// - each selected source directory copies its *contents*; a file goes to `dest` or, when `dest` ends in
///   "/" or is an existing directory (symlinks followed inside the root), to `dest/<name>`;
/// - missing parents and the destination directory are created 0755, owned by the `--chown` owner;
///   nested directories copied from the source take the source's metadata even when they exist;
/// - modes are kept (`--chmod` replaces the permission bits of files and directories), owners are
///   0:0 from the context or kept from a stage, mtimes kept, symlinks copied as symlinks,
///   hard links within one copy kept as hard links;
/// - ADD extracts local tar archives (gzip, bzip2, xz or plain, sniffed by content).
public enum FileCopier {
    /// Copies `request.sources` from `tree` into the rootfs at `rootDirectory`. URL sources (ADD only)
    /// are fetched through `fetcher`, so this is async; everything else is blocking file work.
    ///
    /// `deferContents` (COPY only): regular files are written as placeholders of the right size and
    /// metadata, and `CopySummary.contentSources` says where their bytes are. The layer is then read
    /// straight from the sources, and the data is copied into the tree only if a later step needs it.
    @discardableResult
    public static func copy(_ request: CopyRequest, from tree: SourceTree, into rootDirectory: String,
                            deferContents: Bool = false, fetcher: HTTPFetcher = HTTPFetcher()) async throws -> CopySummary {
        var summary = CopySummary()
        let local = request.sources.filter { !(request.isAdd && CopyRequest.isURL($0)) }
        let urls = request.isAdd ? request.sources.filter(CopyRequest.isURL) : []
        try copyLocal(request, sources: local, from: tree, into: rootDirectory, summary: &summary,
                      deferContents: deferContents && !request.isAdd)
        for url in urls {
            try await URLSourceFetcher.fetch(url, request: request, into: rootDirectory, fetcher: fetcher)
            summary.fetchedURLs += 1
        }
        return summary
    }

    /// The local-source part of `copy` (no URLs), blocking.
    @discardableResult
    public static func copyLocal(_ request: CopyRequest, from tree: SourceTree, into rootDirectory: String) throws -> CopySummary {
        var summary = CopySummary()
        try copyLocal(request, sources: request.sources, from: tree, into: rootDirectory, summary: &summary)
        return summary
    }

    static func copyLocal(_ request: CopyRequest, sources: [String], from tree: SourceTree, into rootDirectory: String,
                          summary: inout CopySummary, deferContents: Bool = false) throws {
        // Every source is resolved first: a missing one fails the step before anything is written.
        var selected: [ResolvedSource] = []
        for source in sources { selected += try tree.select(source) }
        if selected.isEmpty { return }
        let root = try DestinationRoot(path: rootDirectory)
        let owner = try request.chown.map { spec throws(CopyOwner.UnknownName) in try CopyOwner.resolve(spec, in: root) }
        let writer = CopyWriter(root: root, tree: tree, owner: owner, chmod: try request.chmod.map(CopyMode.parse),
                                deferContents: deferContents)
        let (destination, destinationIsDirectory) = request.resolvedDestination
        let creation = DestinationRoot.Creation(uid: owner?.uid ?? 0, gid: owner?.gid ?? 0)
        for source in selected {
            writer.forgetHardLinks()
            if source.status.kind == .directory {
                if let existing = root.statFollowing(destination), existing.kind != .directory {
                    let (parentPath, name) = DestinationRoot.split(destination)
                    let parent = try root.openDirectory(parentPath, create: nil)
                    close(parent.fd)
                    throw CopyError.cannotCopyToNonDirectory(root.hostPath(parent.components + [name]))
                }
                let directory = try root.openDirectory(destination, create: creation)
                defer { close(directory.fd) }
                for entry in try tree.entries(under: source).dropFirst() {
                    try writer.write(entry, under: directory)
                }
                try writer.finishDirectories()
                continue
            }
            var target = destination
            if destinationIsDirectory || root.statFollowing(destination)?.kind == .directory {
                target = destination == "/" ? "/" + source.requestedName : destination + "/" + source.requestedName
            }
            if request.isAdd, source.status.kind == .regular, try BuildContext.isTarArchive(tree.absolute(source.path)) {
                try extract(tree.absolute(source.path), into: destination, root: root, creation: creation)
                summary.extractedArchives += 1
                continue
            }
            let (parentPath, name) = DestinationRoot.split(target)
            let parent = try root.openDirectory(parentPath, create: creation)
            defer { close(parent.fd) }
            try writer.writeTopLevel(source, named: name, in: parent)
        }
        summary.files += writer.summary.files
        summary.directories += writer.summary.directories
        summary.symlinks += writer.summary.symlinks
        summary.hardlinks += writer.summary.hardlinks
        summary.bytes += writer.summary.bytes
        summary.contentSources.merge(writer.summary.contentSources) { _, new in new }
    }

    static func lastName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// ADD of a local archive: unpacked into the destination directory the way docker's Untar does
    /// (owners from the archive, paths kept inside the directory).
    static func extract(_ archive: String, into destination: String, root: DestinationRoot,
                        creation: DestinationRoot.Creation) throws {
        let directory = try root.openDirectory(destination, create: creation)
        let hostPath = root.hostPath(directory.components)
        // docker's Untar skips the archive's "." entry; the applier would give the directory its metadata.
        let before = FileSystemCalls.fstatFD(directory.fd)
        close(directory.fd)
        defer {
            if let before {
                _ = lchown(hostPath, before.uid, before.gid)
                _ = chmod(hostPath, mode_t(before.mode))
            }
        }
        let fd = open(archive, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError("open", archive, code: errno) }
        defer { close(fd) }
        let applier = try LayerApplier(directory: hostPath)
        try applier.apply(layerFrom: fd)
    }
}
