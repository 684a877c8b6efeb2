#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes an overlayfs upper directory as a layer tar, converting overlay's on-disk markers to the
/// OCI/AUFS whiteouts docker's overlay2 driver writes (moby pkg/archive, OverlayWhiteoutFormat):
///
/// - a character device 0/0 `name` → an empty regular file `.wh.name`, mode 0600, keeping the
///   device's owner and mtime (never a hard link, though overlayfs shares one whiteout inode);
/// - a directory with xattr `trusted.overlay.opaque` (or `user.overlay.opaque`, the rootless
///   form) equal to "y" → the directory, then an empty regular `.wh..wh..opq` inside it with the
///   directory's permission bits, owner and mtime;
/// - every other `trusted.overlay.*` / `user.overlay.*` xattr is overlay bookkeeping and dropped.
///
/// A directory renamed with `redirect_dir`, or a `metacopy` file, holds only part of its content
/// in the upper dir (the rest stays in the lower layers), so no faithful layer can be read from
/// the upper dir alone. docker falls back to its naive differ when the kernel may create them;
/// `Options.redirectAndMetacopy` chooses between failing (the default; diff the lower and
/// merged trees with `LayerDiff` instead) and writing what the upper dir holds as plain content.
public enum OverlayUpper {
    /// What to do with `redirect_dir` / `metacopy` entries.
    public enum PartialEntryPolicy: Sendable, Equatable {
        /// Throw `ArchiveError.invalidArgument` naming the entry.
        case fail
        /// Write the upper dir's own content as if it were complete (drops lower-layer content).
        case treatAsRegularContent
    }

    /// Conversion settings.
    public struct Options: Sendable, Equatable {
        /// Carry non-overlay xattrs (as `DirectoryTarStream` does).
        public var includeXattrs: Bool
        public var redirectAndMetacopy: PartialEntryPolicy
        /// As `DirectoryTarStream.Options.contentSources`.
        public var contentSources: [String: String]
        /// Clamp entries' modification times to this (see `TarWriter.modificationTimeLimit`).
        public var modificationTimeLimit: Int64?

        public init(includeXattrs: Bool = true, redirectAndMetacopy: PartialEntryPolicy = .fail,
                    contentSources: [String: String] = [:], modificationTimeLimit: Int64? = nil) {
            self.includeXattrs = includeXattrs
            self.redirectAndMetacopy = redirectAndMetacopy
            self.contentSources = contentSources
            self.modificationTimeLimit = modificationTimeLimit
        }
    }

    /// Writes the layer for `upper` into `writer` and finishes the tar.
    public static func write(upper: String, to writer: TarWriter, options: Options = Options()) throws {
        writer.modificationTimeLimit = options.modificationTimeLimit
        let walker = try OverlayUpperWalker(upper: upper, writer: writer, options: options)
        try walker.walk(directoryFD: DirectoryWalker.openDirectory(upper), relativePrefix: "")
        try writer.finish()
    }

    /// Writes the layer on a background thread into a pipe, for `LayerIngest.ingest` to consume.
    public static func openPipe(upper: String, options: Options = Options()) throws -> DirectoryTarPipe {
        try DirectoryTarPipe { try write(upper: upper, to: $0, options: options) }
    }

    static let overlayXattrPrefixes = ["trusted.overlay.", "user.overlay."]
}

/// The walk behind `OverlayUpper`: `DirectoryWalker`'s entries with overlay markers converted.
final class OverlayUpperWalker {
    private let walker: DirectoryWalker
    private let options: OverlayUpper.Options

    init(upper: String, writer: TarWriter, options: OverlayUpper.Options) throws {
        // Xattrs are always read: the overlay markers live there.
        walker = try DirectoryWalker(root: upper, writer: writer, options: .init(includeXattrs: true, contentSources: options.contentSources))
        self.options = options
    }

    /// Emits the children of an open directory (and recurses); closes `directoryFD`.
    func walk(directoryFD: Int32, relativePrefix: String) throws {
        defer { close(directoryFD) }
        for nameBytes in try DirectoryWalker.sortedNames(directoryFD) {
            let name = String(decoding: nameBytes, as: UTF8.self)
            let relativePath = relativePrefix + name
            let info = try DirectoryWalker.lstat(directoryFD, name, relativePath)
            guard var header = try walker.header(for: info, name: name, in: directoryFD, relativePath: relativePath)
            else { continue }
            if header.kind == .characterDevice && header.deviceMajor == 0 && header.deviceMinor == 0 {
                var whiteout = LayerDiff.whiteout(parentPrefix: relativePrefix, name: name)
                whiteout.mode = 0o600
                whiteout.uid = header.uid
                whiteout.gid = header.gid
                whiteout.modificationTime = header.modificationTime
                try walker.writer.writeHeader(whiteout)
                continue
            }
            let markers = header.xattrs.filter { key, _ in
                OverlayUpper.overlayXattrPrefixes.contains { key.hasPrefix($0) }
            }
            try checkPartial(markers, relativePath: relativePath)
            header.xattrs = options.includeXattrs ? header.xattrs.filter { markers[$0.key] == nil } : [:]
            try walker.write(header, info: info, name: name, in: directoryFD)
            guard header.kind == .directory else { continue }
            let opaque = OverlayUpper.overlayXattrPrefixes.contains { markers[$0 + "opaque"] == [UInt8(ascii: "y")] }
            if opaque {
                try walker.writer.writeHeader(TarEntryHeader(
                    name: header.name + LayerDiff.opaqueWhiteoutName, kind: .regular, mode: header.mode & 0o777,
                    uid: header.uid, gid: header.gid, modificationTime: header.modificationTime))
            }
            try walk(directoryFD: DirectoryWalker.openDirectory(directoryFD, name, relativePath), relativePrefix: header.name)
        }
    }

    private func checkPartial(_ markers: [String: [UInt8]], relativePath: String) throws {
        guard options.redirectAndMetacopy == .fail else { return }
        for prefix in OverlayUpper.overlayXattrPrefixes {
            for marker in ["redirect", "metacopy"] where markers[prefix + marker] != nil {
                throw ArchiveError.invalidArgument(
                    "overlay upper dir \(walker.root): \(relativePath) has \(prefix + marker); "
                        + "its content is partly in the lower layers, diff the merged tree instead")
            }
        }
    }
}
