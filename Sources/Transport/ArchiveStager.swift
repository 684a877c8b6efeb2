import Archive
import Foundation
import OCI
import Store

/// One layer file of an archive after staging: the store blob that now holds it.
struct StagedLayer: Sendable {
    var stored: StoredLayer
    /// The digest of the file as it was in the archive.
    var archiveDigest: Digest
    /// Whether the store blob is the archive's file itself (so a manifest naming it stays valid).
    var keptAsIs: Bool
}

/// Reads an image archive once, front to back (a tar stream or a layout directory), putting every layer into
/// the store as it passes and keeping the small metadata files in memory; `ArchiveResolver` then makes sense
/// of them once everything is read, since `manifest.json` may come last.
///
/// Layers arrive uncompressed (docker-archive) or compressed (OCI). gzip and zstd blobs are stored as they are;
/// anything else is compressed with parallel gzip. A layer whose diffID the store already has is not kept again.
final class ArchiveStager {
    let store: ImageStore
    private(set) var files: [String: Data] = [:]
    private(set) var layers: [String: StagedLayer] = [:]
    private(set) var symlinks: [String: String] = [:]
    /// Blobs this staging added to the store, removed again if the load fails.
    private(set) var createdBlobs: [Digest] = []
    static let metadataLimit: Int64 = 64 << 20

    init(store: ImageStore) { self.store = store }

    /// Stages every entry of a tar stream.
    func stage(tar reader: TarEntryReader) throws {
        while let header = try reader.next() {
            if header.kind == .other(UInt8(ascii: "S")) {
                throw TransportError.invalidArchive("sparse file \(header.name) in an image archive")
            }
            let path = Self.normalize(header.name)
            switch header.kind {
            case .symbolicLink:
                symlinks[path] = Self.resolve(header.linkName, relativeTo: path)
            case .hardLink:
                symlinks[path] = Self.normalize(header.linkName)
            case .regular, .other:
                try stageFile(path: path, size: header.size) { try reader.readData(into: $0) }
            default:
                continue
            }
        }
    }

    /// Stages the files of a layout directory (index.json, oci-layout and everything under blobs/).
    func stage(directory: String) throws {
        var paths = ["index.json", "oci-layout", "manifest.json", "repositories"]
        if let enumerator = FileManager.default.enumerator(atPath: directory + "/blobs") {
            while let relative = enumerator.nextObject() as? String { paths.append("blobs/" + relative) }
        }
        for path in paths {
            let full = directory + "/" + path
            var info = stat()
            guard stat(full, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            let fd = open(full, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw ArchiveError.systemCall("open \(full)", errno: errno) }
            defer { close(fd) }
            let file = FileBlobReader(fileDescriptor: dup(fd))
            try stageFile(path: path, size: Int64(info.st_size)) { try file.readBlocking(into: $0) }
        }
    }

    /// Undoes what staging added to the store (called when the load fails).
    func discardCreatedBlobs() {
        for digest in createdBlobs { try? store.blobs.delete(digest) }
        createdBlobs = []
    }

    // MARK: One file

    private enum Kind { case metadata, plainTar, compressed(CompressionFormat) }

    private func stageFile(path: String, size: Int64, read: (UnsafeMutableRawBufferPointer) throws -> Int) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        // Sniff the head of the file to tell layers from JSON.
        var head = 0
        let sniffLength = Int(min(size, 512))
        while head < sniffLength {
            let count = try read(UnsafeMutableRawBufferPointer(rebasing: buffer[head..<sniffLength]))
            if count == 0 { throw ArchiveError.unexpectedEOF(entry: path) }
            head += count
        }
        let prefix = UnsafeRawBufferPointer(rebasing: buffer[0..<head])
        let kind = Self.classify(prefix, size: size)
        let expected = Self.digestInBlobPath(path)
        switch kind {
        case .metadata:
            guard size <= Self.metadataLimit else {
                try drain(buffer, from: head, read: read)
                return
            }
            var data = Data(prefix)
            while true {
                let count = try read(buffer)
                if count == 0 { break }
                data.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            }
            files[path] = data
        case .compressed(let format) where format == .gzip || format == .zstd:
            layers[path] = try stageCompressed(path: path, format: format, expected: expected, buffer: buffer, head: head, read: read)
        case .plainTar, .compressed:
            layers[path] = try stageRecompressed(path: path, kind: kind, expected: expected, buffer: buffer, head: head, read: read)
        }
    }

    /// gzip/zstd blob kept byte for byte; the diffID comes from decompressing a copy on the side.
    private func stageCompressed(path: String, format: CompressionFormat, expected: Digest?,
                                 buffer: UnsafeMutableRawBufferPointer, head: Int,
                                 read: (UnsafeMutableRawBufferPointer) throws -> Int) throws -> StagedLayer {
        if let expected, store.blobs.contains(expected), let known = try store.layer(blobDigest: expected) {
            let actual = try drain(buffer, from: head, read: read, hashing: true)
            try Self.check(actual, expected, path)
            return StagedLayer(stored: known, archiveDigest: expected, keptAsIs: true)
        }
        let ingest = try BlobIngest.begin(in: store.blobs)
        let pipe = try LayerPipe(output: nil)
        var hasher = SHA256Hasher()
        var size: Int64 = 0
        do {
            var chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<head])
            repeat {
                hasher.update(bufferPointer: chunk)
                try ingest.write(chunk)
                try pipe.write(chunk)
                size += Int64(chunk.count)
                let count = try read(buffer)
                chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            } while chunk.count > 0
        } catch {
            pipe.cancel()
            ingest.abort()
            throw error
        }
        let digest = hasher.finalize()
        let result: LayerIngest.Result
        do {
            result = try pipe.finish()
            if let expected { try Self.check(digest, expected, path) }
            let existed = store.blobs.contains(digest)
            try ingest.commit(as: digest)
            if !existed { createdBlobs.append(digest) }
        } catch {
            ingest.abort()
            throw Self.describe(error, path: path)
        }
        let stored = StoredLayer(blobDigest: digest, diffID: result.diffID,
                                 mediaType: format == .zstd ? MediaType.ociLayerZstd : MediaType.ociLayerGzip,
                                 blobSize: size, contentSize: result.contentSize, uncompressedSize: result.uncompressedSize)
        return StagedLayer(stored: stored, archiveDigest: digest, keptAsIs: true)
    }

    /// A plain tar (or bzip2/xz) compressed with parallel gzip on its way into the store.
    private func stageRecompressed(path: String, kind: Kind, expected: Digest?,
                                   buffer: UnsafeMutableRawBufferPointer, head: Int,
                                   read: (UnsafeMutableRawBufferPointer) throws -> Int) throws -> StagedLayer {
        let isPlain: Bool
        if case .plainTar = kind { isPlain = true } else { isPlain = false }
        if isPlain, let expected, let known = try store.layer(diffID: expected) {
            let actual = try drain(buffer, from: head, read: read, hashing: true)
            try Self.check(actual, expected, path)
            return StagedLayer(stored: known, archiveDigest: expected, keptAsIs: known.blobDigest == expected)
        }
        let ingest = try BlobIngest.begin(in: store.blobs)
        let pipe = try LayerPipe(output: ingest.fd)
        // A plain tar's digest is the diffID LayerIngest computes anyway; only other encodings hash here.
        var hasher: SHA256Hasher? = isPlain ? nil : SHA256Hasher()
        do {
            var chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<head])
            repeat {
                hasher?.update(bufferPointer: chunk)
                try pipe.write(chunk)
                let count = try read(buffer)
                chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            } while chunk.count > 0
        } catch {
            pipe.cancel()
            ingest.abort()
            throw error
        }
        let result: LayerIngest.Result
        let archiveDigest: Digest
        do {
            result = try pipe.finish()
            archiveDigest = hasher?.finalize() ?? result.diffID
            if let expected { try Self.check(archiveDigest, expected, path) }
        } catch {
            ingest.abort()
            throw Self.describe(error, path: path)
        }
        let diffID = result.diffID
        if let known = try store.layer(diffID: diffID) {
            ingest.abort()
            return StagedLayer(stored: known, archiveDigest: archiveDigest, keptAsIs: known.blobDigest == archiveDigest)
        }
        let blobDigest = result.blobDigest
        let existed = store.blobs.contains(blobDigest)
        do {
            try ingest.commit(as: blobDigest)
        } catch {
            throw error
        }
        if !existed { createdBlobs.append(blobDigest) }
        let stored = StoredLayer(blobDigest: blobDigest, diffID: diffID, mediaType: MediaType.ociLayerGzip,
                                 blobSize: result.blobSize, contentSize: result.contentSize,
                                 uncompressedSize: result.uncompressedSize)
        return StagedLayer(stored: stored, archiveDigest: archiveDigest, keptAsIs: false)
    }

    @discardableResult
    private func drain(_ buffer: UnsafeMutableRawBufferPointer, from head: Int,
                       read: (UnsafeMutableRawBufferPointer) throws -> Int, hashing: Bool = false) throws -> Digest {
        var hasher = SHA256Hasher()
        if hashing { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<head])) }
        while true {
            let count = try read(buffer)
            if count == 0 { break }
            if hashing { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count])) }
        }
        return hasher.finalize()
    }

    // MARK: Helpers

    private static func check(_ actual: Digest, _ expected: Digest, _ path: String) throws {
        guard actual == expected else {
            throw TransportError.digestMismatch(what: path, expected: expected.description, actual: actual.description)
        }
    }

    /// Names the file a layer failure happened in; archive errors keep docker's wording. A failure to write into the
    /// store (a full disk, a read-only one) is the store's, not the archive's fault, and says so.
    private static func describe(_ error: Error, path: String) -> Error {
        if case ArchiveError.systemCall(let call, let code) = error, [ENOSPC, EDQUOT, EROFS, EIO].contains(code) {
            return StoreError.system("\(call) \(path)", errno: code)
        }
        if let error = error as? ArchiveError { return TransportError.invalidArchive("\(path): \(error)") }
        return error
    }

    private static func classify(_ prefix: UnsafeRawBufferPointer, size: Int64) -> Kind {
        let format = CompressionFormat.detect(prefix)
        if format != .none { return .compressed(format) }
        if prefix.count >= 262, prefix[257] == UInt8(ascii: "u"), prefix[258] == UInt8(ascii: "s"),
           prefix[259] == UInt8(ascii: "t"), prefix[260] == UInt8(ascii: "a"), prefix[261] == UInt8(ascii: "r") {
            return .plainTar
        }
        let first = prefix.first { ![0x20, 0x09, 0x0a, 0x0d].contains($0) }
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") { return .metadata }
        // An old-style (v7) or empty tar: whole blocks that are not JSON.
        if size >= 1024 && size % 512 == 0 { return .plainTar }
        return .metadata
    }

    /// `blobs/sha256/<hex>` names its content; other paths (docker's `<id>/layer.tar`) say nothing.
    static func digestInBlobPath(_ path: String) -> Digest? {
        let parts = path.split(separator: "/")
        guard parts.count == 3, parts[0] == "blobs" else { return nil }
        return try? Digest("\(parts[1]):\(parts[2])")
    }

    static func normalize(_ name: String) -> String {
        var parts: [Substring] = []
        for part in name.split(separator: "/") {
            if part == "." || part.isEmpty { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        return parts.joined(separator: "/")
    }

    static func resolve(_ target: String, relativeTo path: String) -> String {
        if target.hasPrefix("/") { return normalize(target) }
        let directory = path.split(separator: "/").dropLast().joined(separator: "/")
        return normalize(directory.isEmpty ? target : directory + "/" + target)
    }
}
