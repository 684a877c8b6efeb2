#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Archive
import Foundation
import OCI
import Synchronization

/// What kind of filesystem object a path is.
public enum FileKind: String, Codable, Sendable, Hashable {
    case file, directory, symlink, hardlink, characterDevice, blockDevice, fifo, other

    init(_ kind: TarEntryKind) {
        switch kind {
        case .regular: self = .file
        case .directory: self = .directory
        case .symbolicLink: self = .symlink
        case .hardLink: self = .hardlink
        case .characterDevice: self = .characterDevice
        case .blockDevice: self = .blockDevice
        case .fifo: self = .fifo
        case .other: self = .other
        }
    }
}

/// How a file's content is identified while the layer streams by.
enum ContentHashing: Sendable {
    /// Not at all (the data is skipped, still hashed into the diffID).
    case none
    /// `ContentFingerprint`, for the duplicate-content measure.
    case fingerprint
    /// SHA-256, for the image diff's content digests.
    case sha256
}

/// The identity of a file's content.
enum ContentHash: Sendable, Hashable {
    case fingerprint(UInt64)
    case sha256(Digest)
}

/// What an entry of a layer tar means.
enum LayerEntryRole: Sendable, Equatable {
    /// A file, directory, link or device the layer adds or replaces.
    case content
    /// `.wh.NAME`: NAME is deleted from the layers below.
    case whiteout
    /// `.wh..wh..opq`: the directory's contents from the layers below are deleted.
    case opaqueMarker
    /// Other AUFS metadata (`.wh..wh.plnk`, …), skipped as docker does.
    case metadataMarker
}

/// One tar entry as the analysis keeps it: metadata and a content hash, never the data.
struct ListedEntry: Sendable {
    /// The cleaned entry name, relative to the root ("usr/bin/ls"); whiteouts keep their `.wh.` name.
    var path: String
    var role: LayerEntryRole
    var kind: FileKind
    /// The header's size field (what dive adds up; 0 for directories and links).
    var size: Int64
    var mode: UInt32
    var uid: Int
    var gid: Int
    var linkTarget: String
    var modificationTime: Int64
    var content: ContentHash?

    static let whiteoutPrefix = ".wh."
    static let metadataPrefix = ".wh..wh."
    static let opaqueMarkerName = ".wh..wh..opq"

    /// The last path element.
    var baseName: Substring {
        guard let slash = path.lastIndex(of: "/") else { return path[...] }
        return path[path.index(after: slash)...]
    }

    /// The directory holding the entry ("" at the root).
    var parentPath: Substring {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return path[..<slash]
    }

    /// For a whiteout, the path it deletes; for an opaque marker, its directory.
    var targetPath: String {
        switch role {
        case .whiteout:
            let name = baseName.dropFirst(Self.whiteoutPrefix.count)
            let parent = parentPath
            return parent.isEmpty ? String(name) : parent + "/" + name
        case .opaqueMarker: return String(parentPath)
        case .content, .metadataMarker: return path
        }
    }
}

/// One layer read in full: its entries in tar order and its size as dive counts it.
struct LayerListing: Sendable {
    var entries: [ListedEntry]
    /// The sum of every entry's size field (dive's layer size).
    var sizeBytes: Int64
}

/// Reads layers as streams into `LayerListing`s, proving each against its diffID in the same pass.
enum LayerListingReader {
    static let readBufferSize = 1 << 18
    /// Linux's PATH_MAX.
    static let maximumPathLength = 4096

    /// Reads every layer (up to one per core at a time); the listings in layer order. The first failing layer's
    /// error (in layer order) is thrown.
    static func readAll(_ layers: [ImageLayerSource], hashing: ContentHashing) throws -> [LayerListing] {
        let results = ParallelMap.results(Array(layers.enumerated())) { index, layer in
            try read(layer, index: index, hashing: hashing)
        }
        return try results.map { result throws(AnalyzeError) in
            do { return try result.get() } catch let error as AnalyzeError { throw error } catch {
                throw AnalyzeError.unreadableLayer(layer: 0, diffID: layers[0].diffID, message: "\(error)", cause: ErrorKind.of(error))
            }
        }
    }

    /// Reads one layer blob (any compression) entry by entry; nothing is written anywhere.
    static func read(_ layer: ImageLayerSource, index: Int, hashing: ContentHashing) throws(AnalyzeError) -> LayerListing {
        func failure(_ error: any Error) -> AnalyzeError {
            if let analyzeError = error as? AnalyzeError { return analyzeError }
            let message = (error as? ArchiveError)?.detailedDescription ?? String(describing: error)
            return .unreadableLayer(layer: index, diffID: layer.diffID, message: message, cause: ErrorKind.of(error))
        }
        let fd: Int32
        do { fd = try layer.open() } catch { throw failure(error) }
        defer { close(fd) }
        do {
            let input = try DecompressingInput(fileDescriptor: fd, decodeAhead: true, measuring: !layer.isProven)
            defer { input.close() }
            let reader = TarEntryReader(input: input, measuring: !layer.isProven)
            let listing = try list(reader, hashing: hashing)
            if layer.isProven { return listing }
            guard let actual = try reader.finishMeasuring() else {
                throw AnalyzeError.unreadableLayer(layer: index, diffID: layer.diffID, message: "the layer was not measured",
                                                   cause: .internal)
            }
            guard actual == layer.diffID else {
                throw AnalyzeError.diffIDMismatch(layer: index, claimed: layer.diffID, actual: actual)
            }
            return listing
        } catch {
            throw failure(error)
        }
    }

    private static func list(_ reader: TarEntryReader, hashing: ContentHashing) throws -> LayerListing {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: readBufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var entries: [ListedEntry] = []
        var sizeBytes: Int64 = 0
        while let header = try reader.next() {
            let (sum, overflow) = sizeBytes.addingReportingOverflow(header.size)
            sizeBytes = overflow ? Int64.max : sum
            guard let path = cleanedPath(header.name) else { continue }
            // What the kernel refuses as a path no layer can create (docker fails such a layer); refusing it here also
            // bounds the depth of every tree the analysis builds.
            if path.utf8.count >= maximumPathLength {
                let shown = path.split(separator: "/").prefix(3).joined(separator: "/")
                throw ArchiveError.invalidArgument("/\(shown)/…: file name too long")
            }
            var entry = ListedEntry(
                path: path, role: .content, kind: FileKind(header.kind), size: header.size, mode: header.mode,
                uid: header.uid, gid: header.gid, linkTarget: header.linkName,
                modificationTime: header.modificationTime, content: nil)
            let base = entry.baseName
            if base.hasPrefix(ListedEntry.whiteoutPrefix) {
                if base == ListedEntry.opaqueMarkerName {
                    entry.role = .opaqueMarker
                } else if base.hasPrefix(ListedEntry.metadataPrefix) || base.count == ListedEntry.whiteoutPrefix.count {
                    entry.role = .metadataMarker
                } else {
                    entry.role = .whiteout
                }
            } else if hashing != .none, entry.kind == .file || entry.kind == .other {
                entry.content = try hashContent(reader, buffer: buffer, hashing: hashing)
            }
            entries.append(entry)
        }
        return LayerListing(entries: entries, sizeBytes: sizeBytes)
    }

    private static func hashContent(_ reader: TarEntryReader, buffer: UnsafeMutableRawBufferPointer,
                                    hashing: ContentHashing) throws -> ContentHash {
        if hashing == .sha256 {
            var hasher = SHA256Hasher()
            while true {
                let count = try reader.readData(into: buffer)
                if count == 0 { break }
                hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            }
            return .sha256(hasher.finalize())
        }
        var fingerprint = ContentFingerprint()
        while true {
            let count = try reader.readData(into: buffer)
            if count == 0 { break }
            fingerprint.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        return .fingerprint(fingerprint.finalize())
    }

    /// The entry name as a path relative to the root, cleaned the way layer application does (`./a//b/` and `/a/b`
    /// are both "a/b"; `..` cannot climb above the root); nil for the root itself.
    static func cleanedPath(_ name: String) -> String? {
        var parts: [Substring] = []
        for part in name.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        if parts.isEmpty { return nil }
        if parts.count == 1 { return String(parts[0]) }
        return parts.joined(separator: "/")
    }
}
