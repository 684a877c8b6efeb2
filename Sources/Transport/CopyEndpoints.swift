import Archive
import Foundation
import OCI
import Registry
import Store

/// Opens the two ends of `strata copy SRC DST` from their transport names. The local store is opened only when
/// an end needs it (archives are staged through it, as `load` does); what an archive source staged is removed
/// again unless the store is the destination.
public final class CopyEndpoints {
    public let client: RegistryClient
    public let platform: PlatformMatcher
    /// Copy a multi-platform source whole (every entry and the index), as `skopeo copy --all`.
    public var allPlatforms = false
    private let openStore: () throws -> ImageStore
    private var cleanups: [() -> Void] = []
    private var finishers: [() throws -> Void] = []
    private var keepsStagedBlobs = false

    public init(client: RegistryClient, platform: PlatformMatcher = .host, openStore: @escaping () throws -> ImageStore) {
        self.client = client
        self.platform = platform
        self.openStore = openStore
    }

    /// Where `name` reads from.
    public func source(_ name: TransportName) async throws -> any ImageSource {
        try await name.endpoint.source(in: self)
    }

    /// Where `name` writes to.
    public func destination(_ name: TransportName) throws -> any ImageDestination {
        try name.endpoint.destination(in: self)
    }

    /// The names an image copied to `name` should carry (nil: keep the source's).
    public static func names(for name: TransportName) -> [ImageReference]? {
        name.endpoint.destinationNames
    }

    /// The local store, opened when an end first needs it.
    public func store() throws -> ImageStore { try openStore() }

    /// The store is a destination: what archive sources staged into it stays.
    public func keepStagedBlobs() { keepsStagedBlobs = true }

    /// Makes written archives durable under their final names.
    public func finish() throws {
        for finisher in finishers { try finisher() }
        finishers = []
        close()
    }

    /// Drops temporary files and anything staged only for this copy.
    public func close() {
        for cleanup in cleanups.reversed() { cleanup() }
        cleanups = []
    }

    /// Reads an archive into the store (as `load` does), removed again after the copy unless the store is the
    /// destination; returns its images.
    public func stage(_ path: String, refName: String? = nil) throws -> [TransportImage] {
        let store = try openStore()
        let lease = try store.ingestLease.acquireShared()
        cleanups.append { lease.release() }
        let stager = ArchiveStager(store: store)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TransportError.missingFile(path) }
        defer { Glibc.close(fd) }
        cleanups.append { [unowned self] in if !self.keepsStagedBlobs { stager.discardCreatedBlobs() } }
        try stager.stage(tar: TarEntryReader(input: try DecompressingInput(fileDescriptor: fd)))
        return try ArchiveResolver(stager: stager, refName: refName).images()
    }

    /// The one image of a staged archive as a source.
    public func staged(_ images: [TransportImage], describing path: String, wanted: String?) throws -> any ImageSource {
        guard !images.isEmpty else {
            throw TransportError.unsupported("no image \(wanted.map { "\"\($0)\" " } ?? "")in \(path)")
        }
        guard images.count == 1 else {
            throw TransportError.unsupported("\(path) holds \(images.count) images; choose one")
        }
        return StagedArchiveSource(store: try openStore(), images: images)
    }

    /// A temporary file beside `path`, renamed over it by `finish()` and removed by `close()` otherwise.
    public func temporaryOutput(for path: String) throws -> Int32 {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = (directory.isEmpty ? "." : directory) + "/.strata_temp_\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TransportError.unsupported("open \(path): \(String(cString: strerror(errno)))") }
        var open = true
        finishers.append {
            guard fsync(fd) == 0, Glibc.close(fd) == 0 else {
                throw TransportError.unsupported("write \(path): \(String(cString: strerror(errno)))")
            }
            open = false
            guard rename(temporary, path) == 0 else {
                throw TransportError.unsupported("rename \(path): \(String(cString: strerror(errno)))")
            }
        }
        cleanups.append {
            if open { Glibc.close(fd) }
            unlink(temporary)
        }
        return fd
    }
}
