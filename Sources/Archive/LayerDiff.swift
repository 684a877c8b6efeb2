#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes the layer tar that turns directory `before` into directory `after`, by the rules of
/// docker's naive differ (moby pkg/archive `ChangesDirs` + `ExportChanges`), with the entries
/// `DirectoryTarStream` would write for the same files.
///
/// - An entry is written when it is new, or when type, permission bits, owner, device number,
///   xattrs or symlink target differ, or — for non-directories — mtime (nanoseconds, where both
///   sides have them) or size differ. Content is never compared: like docker, a rewrite that keeps
///   size and mtime is invisible. (docker compares only the `security.capability` xattr; all
///   xattrs are compared here, so an xattr-only change is carried. A changed link count is a
///   change too: a new hard link to an old file takes the file along, as overlayfs's copy-up does,
///   where docker's naive differ would split the two.)
/// - A directory with any change below it is written too (its own header, before its children),
///   except the root, which has no entry.
/// - A path gone from `after` becomes `.wh.<name>` in its parent; a deleted directory is one
///   whiteout, its contents are not listed. A type change (file → directory, directory →
///   symlink, …) is just the new entry: the applier replaces what was there, as docker's does.
///   Opaque whiteouts (`.wh..wh..opq`) are never written, as in docker's naive diff.
/// - Whiteouts are empty regular files with mode 0 and, unlike docker's (stamped "now"),
///   mtime 0, so the same trees always give the same layer.
/// - Hard links among the written entries are kept (the first path written carries the data).
/// - Entries are sorted bytewise per directory, depth first; docker sorts by full path instead
///   ("a-b" before "a/b"), which only changes the order, not the result of applying the layer.
public enum LayerDiff {
    /// Writes the diff into `writer` and finishes the tar.
    public static func write(
        before: String, after: String, to writer: TarWriter,
        options: DirectoryTarStream.Options = DirectoryTarStream.Options()
    ) throws {
        writer.modificationTimeLimit = options.modificationTimeLimit
        let walker = try LayerDiffWalker(before: before, after: after, writer: writer, options: options)
        try walker.run()
        try writer.finish()
    }

    /// Writes the diff on a background thread into a pipe, for `LayerIngest.ingest` to consume.
    public static func openPipe(
        before: String, after: String, options: DirectoryTarStream.Options = DirectoryTarStream.Options()
    ) throws -> DirectoryTarPipe {
        try DirectoryTarPipe { try write(before: before, after: after, to: $0, options: options) }
    }

    /// The whiteout entry that deletes `name` from the directory `parentPrefix` ("" or "dir/").
    static func whiteout(parentPrefix: String, name: String) -> TarEntryHeader {
        TarEntryHeader(name: parentPrefix + whiteoutPrefix + name, kind: .regular, mode: 0)
    }

    /// Marks a deleted path (AUFS convention, adopted by the OCI layer spec).
    public static let whiteoutPrefix = ".wh."
    /// Marks a directory whose lower-layer contents are hidden.
    public static let opaqueWhiteoutName = ".wh..wh..opq"
}

/// The merged walk of two trees behind `LayerDiff`.
final class LayerDiffWalker {
    /// Reads `after` and writes entries (its hard-link memory spans the whole layer).
    private let emitter: DirectoryWalker
    /// Reads `before` only; never writes.
    private let reference: DirectoryWalker
    /// Unchanged directories on the current path, written only once something below them changes.
    private var pendingDirectories: [(header: TarEntryHeader, info: stat, name: String, parentFD: Int32)] = []

    init(before: String, after: String, writer: TarWriter, options: DirectoryTarStream.Options) throws {
        emitter = try DirectoryWalker(root: after, writer: writer, options: options)
        reference = try DirectoryWalker(root: before, writer: TarWriter { _ in }, options: options)
    }

    func run() throws {
        let beforeFD = try DirectoryWalker.openDirectory(reference.root)
        defer { close(beforeFD) }
        let afterFD = try DirectoryWalker.openDirectory(emitter.root)
        defer { close(afterFD) }
        try diff(beforeFD: beforeFD, afterFD: afterFD, prefix: "")
    }

    /// Diffs two directories present on both sides; both descriptors stay open.
    private func diff(beforeFD: Int32, afterFD: Int32, prefix: String) throws {
        let beforeNames = try DirectoryWalker.sortedNames(beforeFD)
        let afterNames = try DirectoryWalker.sortedNames(afterFD)
        var b = 0
        var a = 0
        while b < beforeNames.count || a < afterNames.count {
            let order: Int
            if b == beforeNames.count {
                order = 1
            } else if a == afterNames.count {
                order = -1
            } else if beforeNames[b] == afterNames[a] {
                order = 0
            } else {
                order = beforeNames[b].lexicographicallyPrecedes(afterNames[a]) ? -1 : 1
            }
            if order < 0 {
                try flushPending()
                let name = String(decoding: beforeNames[b], as: UTF8.self)
                try emitter.writer.writeHeader(LayerDiff.whiteout(parentPrefix: prefix, name: name))
                b += 1
                continue
            }
            let name = String(decoding: afterNames[a], as: UTF8.self)
            if order > 0 {
                try added(name: name, in: afterFD, relativePath: prefix + name)
            } else {
                try common(name: name, beforeFD: beforeFD, afterFD: afterFD, relativePath: prefix + name)
                b += 1
            }
            a += 1
        }
    }

    /// A path only in `after`: it and everything below it.
    private func added(name: String, in afterFD: Int32, relativePath: String) throws {
        let info = try DirectoryWalker.lstat(afterFD, name, relativePath)
        guard let header = try emitter.header(for: info, name: name, in: afterFD, relativePath: relativePath) else {
            return
        }
        try flushPending()
        try emitter.write(header, info: info, name: name, in: afterFD)
        if header.kind == .directory {
            try emitter.walk(
                directoryFD: DirectoryWalker.openDirectory(afterFD, name, relativePath), relativePrefix: header.name)
        }
    }

    /// A path on both sides: written if changed; a directory on both sides is diffed recursively.
    private func common(name: String, beforeFD: Int32, afterFD: Int32, relativePath: String) throws {
        let newInfo = try DirectoryWalker.lstat(afterFD, name, relativePath)
        let oldInfo = try DirectoryWalker.lstat(beforeFD, name, relativePath)
        guard let newHeader = try emitter.header(for: newInfo, name: name, in: afterFD, relativePath: relativePath)
        else { return }
        let oldHeader = try reference.header(for: oldInfo, name: name, in: beforeFD, relativePath: relativePath)
        let changed = oldHeader.map { Self.differs(old: oldInfo, new: newInfo, oldHeader: $0, newHeader: newHeader) }
            ?? true
        guard newHeader.kind == .directory else {
            if changed {
                try flushPending()
                try emitter.write(newHeader, info: newInfo, name: name, in: afterFD)
            }
            return
        }
        let childFD = try DirectoryWalker.openDirectory(afterFD, name, relativePath)
        guard oldHeader?.kind == .directory else {
            // Was something else: the whole directory is new (the type change makes `changed` true).
            try flushPending()
            try emitter.write(newHeader, info: newInfo, name: name, in: afterFD)
            try emitter.walk(directoryFD: childFD, relativePrefix: newHeader.name)
            return
        }
        defer { close(childFD) }
        let oldChildFD = try DirectoryWalker.openDirectory(beforeFD, name, relativePath)
        defer { close(oldChildFD) }
        let depth = pendingDirectories.count
        if changed {
            try flushPending()
            try emitter.write(newHeader, info: newInfo, name: name, in: afterFD)
        } else {
            pendingDirectories.append((newHeader, newInfo, name, afterFD))
        }
        try diff(beforeFD: oldChildFD, afterFD: childFD, prefix: newHeader.name)
        if pendingDirectories.count > depth { pendingDirectories.removeLast() }
    }

    /// Writes the unchanged ancestors of an entry about to be written (outermost first).
    private func flushPending() throws {
        for directory in pendingDirectories {
            try emitter.write(directory.header, info: directory.info, name: directory.name, in: directory.parentFD)
        }
        pendingDirectories.removeAll()
    }

    /// docker's `statDifferent` plus symlink target, xattrs and link count (see `LayerDiff`).
    static func differs(old: stat, new: stat, oldHeader: TarEntryHeader, newHeader: TarEntryHeader) -> Bool {
        if old.st_mode != new.st_mode || old.st_uid != new.st_uid || old.st_gid != new.st_gid
            || old.st_rdev != new.st_rdev {
            return true
        }
        if new.st_mode & S_IFMT != S_IFDIR {
            let sameTime = old.st_mtim.tv_sec == new.st_mtim.tv_sec
                && (old.st_mtim.tv_nsec == new.st_mtim.tv_nsec || old.st_mtim.tv_nsec == 0 || new.st_mtim.tv_nsec == 0)
            if !sameTime || old.st_size != new.st_size { return true }
            // A new hard link to an old file: overlayfs copies the file up with its new name, so the layer
            // links the two; docker's naive differ misses this and splits them (moby changes.go ignores nlink).
            if old.st_nlink != new.st_nlink { return true }
        }
        return oldHeader.linkName != newHeader.linkName || oldHeader.xattrs != newHeader.xattrs
    }
}
