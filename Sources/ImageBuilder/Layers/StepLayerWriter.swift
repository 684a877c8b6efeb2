import Archive
import Foundation
import OCI
import Store

/// Turns the files one build step changed into a stored layer: the tar of the changes streams through
/// `LayerIngest` (diffID, parallel gzip and blob digest in one pass) into an atomic blob ingest. A step that
/// changed nothing gives no layer, as BuildKit records it (`empty_layer` in the history).
public struct StepLayerWriter: Sendable {
    /// Where the changes are read from.
    public enum Changes: Sendable {
        /// An overlayfs upper directory (whiteout devices and opaque xattrs become OCI whiteouts);
        /// `contentSources` names where placeholder files' bytes are (`FileCopier.copy(deferContents:)`).
        case overlayUpper(String, contentSources: [String: String] = [:])
        /// The difference between two trees (the copy-based snapshotter's before and after).
        case treeDifference(before: String, after: String)
        /// Every file under a directory, as additions (`COPY --link`, `--squash`).
        case wholeDirectory(String)
    }

    public let store: ImageStore
    public var encoding: LayerIngest.OutputEncoding
    /// SOURCE_DATE_EPOCH: files modified later are written as modified then.
    public var modificationTimeLimit: Int64?

    public init(store: ImageStore, encoding: LayerIngest.OutputEncoding = .gzip(level: 1), modificationTimeLimit: Int64? = nil) {
        self.store = store
        self.encoding = encoding
        self.modificationTimeLimit = modificationTimeLimit
    }

    /// Writes the layer; nil when the changes hold no entry at all.
    public func write(_ changes: Changes) async throws -> StoredLayer? {
        let store = self.store, encoding = self.encoding, limit = modificationTimeLimit
        return try await BlockingWork.run(named: "strata.step-layer") {
            try Self.writeBlocking(changes, store: store, encoding: encoding, limit: limit)
        }
    }

    /// A layer with no entries (just the tar end marker): BuildKit 0.8 keeps one for a WORKDIR that changed nothing.
    public func emptyLayer() async throws -> StoredLayer {
        let store = self.store, encoding = self.encoding
        return try await BlockingWork.run(named: "strata.step-layer") {
            try store.ingestLease.shared {
                var fds: [Int32] = [0, 0]
                guard pipe(&fds) == 0 else { throw ArchiveError.systemCall("pipe", errno: errno) }
                let zeros = [UInt8](repeating: 0, count: 1024)
                _ = zeros.withUnsafeBytes { Glibc.write(fds[1], $0.baseAddress, $0.count) }
                close(fds[1])
                defer { close(fds[0]) }
                return try Self.ingest(from: fds[0], store: store, encoding: encoding, keepEmpty: true)!
            }
        }
    }

    /// Streams a layer tar from `input` into a committed blob; nil for a tar without entries unless `keepEmpty`.
    private static func ingest(from input: Int32, store: ImageStore, encoding: LayerIngest.OutputEncoding,
                               keepEmpty: Bool, afterRead: () throws -> Void = {}) throws -> StoredLayer? {
        let ingest = try BlobIngest.begin(in: store.blobs)
        do {
            let result = try LayerIngest.ingest(from: input, to: ingest.fd, options: .init(encoding: encoding))
            try afterRead()
            guard keepEmpty || result.entryCount > 0 else {
                ingest.abort()
                return nil
            }
            let digest = result.blobDigest
            try ingest.commit(as: digest)
            return StoredLayer(blobDigest: digest, diffID: result.diffID, mediaType: encoding.ociMediaType,
                               blobSize: result.blobSize, contentSize: result.contentSize,
                               uncompressedSize: result.uncompressedSize)
        } catch {
            ingest.abort()
            throw error
        }
    }

    private static func writeBlocking(_ changes: Changes, store: ImageStore, encoding: LayerIngest.OutputEncoding,
                                      limit: Int64?) throws -> StoredLayer? {
        try store.ingestLease.shared {
            let tree = DirectoryTarStream.Options(modificationTimeLimit: limit)
            let pipe: DirectoryTarPipe = switch changes {
            case .overlayUpper(let upper, let sources):
                try OverlayUpper.openPipe(upper: upper, options: .init(contentSources: sources, modificationTimeLimit: limit))
            case .treeDifference(let before, let after): try LayerDiff.openPipe(before: before, after: after, options: tree)
            case .wholeDirectory(let directory): try DirectoryTarStream.openPipe(directory: directory, options: tree)
            }
            var readEnd: Int32? = pipe.fileDescriptor
            defer {
                if let fd = readEnd { close(fd); try? pipe.waitForWriter() }
            }
            return try ingest(from: pipe.fileDescriptor, store: store, encoding: encoding, keepEmpty: false) {
                close(pipe.fileDescriptor)
                readEnd = nil
                try pipe.waitForWriter()
            }
        }
    }
}
