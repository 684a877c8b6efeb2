import Archive
import Foundation
import OCI
import Synchronization

// `strata image analyze`: per-layer changes and dive's efficiency measures of an image, read from its layer tars as
// streams (nothing is unpacked; memory grows with the number of paths, never with file sizes). Layers are read up to
// one per core at a time, each proven against its diffID in the pass that reads it; dive's measures and the merged
// tree are then computed side by side.

/// A path that occurs in more than one layer (dive's "inefficient file").
public struct InefficientFile: Codable, Sendable, Equatable {
    /// The path from the root ("/etc/passwd").
    public var path: String
    /// In how many layers it occurs (a whiteout deleting it counts).
    public var count: Int
    /// The sizes of all its occurrences added up (what dive counts as wasted).
    public var wastedBytes: Int64

    public init(path: String, count: Int, wastedBytes: Int64) {
        self.path = path
        self.count = count
        self.wastedBytes = wastedBytes
    }
}

/// One path a layer added, modified or removed.
public struct FileChange: Codable, Sendable, Equatable {
    public var path: String
    public var kind: FileKind
    /// An added or modified path: its size in the layer (0 for directories and links). A removed path: the bytes of
    /// regular files it took away (itself, or everything under a directory).
    public var sizeBytes: Int64
    /// A removed path: how many paths went with it (itself included); nil otherwise.
    public var entryCount: Int?

    public init(path: String, kind: FileKind, sizeBytes: Int64, entryCount: Int? = nil) {
        self.path = path
        self.kind = kind
        self.sizeBytes = sizeBytes
        self.entryCount = entryCount
    }
}

/// Changes of one kind in a layer: how many, their bytes, and the paths (biggest first, then by path).
public struct ChangeSet: Codable, Sendable, Equatable {
    public var count: Int
    public var sizeBytes: Int64
    /// Every change, or the biggest `AnalysisOptions.changeListLimit` of them.
    public var files: [FileChange]

    init(_ changes: [FileChange], limit: Int?) {
        count = changes.count
        sizeBytes = changes.reduce(0) { saturatingAdd($0, $1.sizeBytes) }
        let sorted = changes.sorted { a, b in
            a.sizeBytes != b.sizeBytes ? a.sizeBytes > b.sizeBytes : a.path.utf8.lexicographicallyPrecedes(b.path.utf8)
        }
        files = limit.map { Array(sorted.prefix(max($0, 0))) } ?? sorted
    }
}

/// One layer of an analyzed image.
public struct LayerAnalysis: Codable, Sendable, Equatable {
    /// Position in the image, 0 for the base layer.
    public var index: Int
    public var diffID: Digest
    /// The history line that made the layer, as recorded.
    public var createdBy: String?
    /// The command as dive shows it: `createdBy` without "/bin/sh -c ".
    public var command: String
    /// dive's layer size: the sizes of all the layer's tar entries added up.
    public var sizeBytes: Int64
    public var added: ChangeSet
    public var modified: ChangeSet
    public var removed: ChangeSet
}

/// Regular files with identical content (same size and content fingerprint) at more than one path of the final tree.
public struct DuplicateContent: Codable, Sendable, Equatable {
    /// The size of each copy.
    public var sizeBytes: Int64
    public var paths: [String]
    /// The bytes all copies but one take: sizeBytes × (paths − 1).
    public var wastedBytes: Int64
}

/// What `ImageAnalysis.analyze` measures beyond the defaults.
public struct AnalysisOptions: Sendable, Equatable {
    /// How many inefficient files and duplicate groups to list (the totals cover all).
    public var topCount: Int
    /// How many changes of each kind to list per layer; nil lists all (the counts and bytes always cover all).
    public var changeListLimit: Int?
    /// Fingerprint file contents to find duplicates (a second pass of hashing over the data).
    public var findDuplicates: Bool

    public init(topCount: Int = 20, changeListLimit: Int? = nil, findDuplicates: Bool = true) {
        self.topCount = topCount
        self.changeListLimit = changeListLimit
        self.findDuplicates = findDuplicates
    }
}

/// An image's layers and dive's efficiency measures.
public struct ImageAnalysis: Codable, Sendable, Equatable {
    public var layers: [LayerAnalysis]
    /// dive's efficiency: Σ over paths of the smallest occurrence ÷ Σ of all occurrences (1 for an empty image).
    public var efficiency: Double
    /// The layer sizes added up.
    public var sizeBytes: Int64
    /// The sizes of all layers but the base layer.
    public var userSizeBytes: Int64
    /// dive's wasted bytes: every occurrence of every path seen in more than one layer.
    public var wastedBytes: Int64
    /// wastedBytes ÷ userSizeBytes (dive's highestUserWastedPercent measure, a ratio); nil when there are no user
    /// bytes (dive divides by zero: NaN when nothing is wasted, +Inf otherwise).
    public var userWastedPercent: Double?
    /// How many paths occur in more than one layer.
    public var inefficientFileCount: Int
    /// The biggest of them (`AnalysisOptions.topCount`).
    public var inefficientFiles: [InefficientFile]
    /// Bytes of regular files whose content is already at another path of the final tree (nil when not measured).
    public var duplicateBytes: Int64?
    /// The biggest duplicate groups (`AnalysisOptions.topCount`).
    public var duplicates: [DuplicateContent]

    /// Reads every layer once, as a stream, and measures. Throws `AnalyzeError` (a layer that does not hash to its
    /// diffID, a truncated or malformed tar).
    public static func analyze(layers: [ImageLayerSource], options: AnalysisOptions = AnalysisOptions()) throws
        -> ImageAnalysis {
        let listings = try LayerListingReader.readAll(layers, hashing: options.findDuplicates ? .fingerprint : .none)
        struct Parts: Sendable {
            var dive: DiveEfficiency?
            var changes: [LayerChanges] = []
            var duplicates: [DuplicateContent] = []
        }
        let parts = Mutex(Parts())
        // dive's model and the OCI merge are independent: one core each.
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            if part == 0 {
                let dive = DiveEfficiency.compute(listings)
                parts.withLock { $0.dive = dive }
            } else {
                var tree = MergedFileTree()
                let changes = listings.map { tree.apply($0) }
                let duplicates = options.findDuplicates ? tree.duplicates() : []
                parts.withLock {
                    $0.changes = changes
                    $0.duplicates = duplicates
                }
            }
        }
        let computed = parts.withLock { $0 }
        let dive = computed.dive!
        var analyzed: [LayerAnalysis] = []
        var sizeBytes: Int64 = 0
        var userSizeBytes: Int64 = 0
        for (index, layer) in layers.enumerated() {
            let listing = listings[index]
            let changes = computed.changes[index]
            sizeBytes = saturatingAdd(sizeBytes, listing.sizeBytes)
            if index > 0 { userSizeBytes = saturatingAdd(userSizeBytes, listing.sizeBytes) }
            analyzed.append(LayerAnalysis(
                index: index, diffID: layer.diffID, createdBy: layer.createdBy,
                command: diveCommand(layer.createdBy), sizeBytes: listing.sizeBytes,
                added: ChangeSet(changes.added, limit: options.changeListLimit),
                modified: ChangeSet(changes.modified, limit: options.changeListLimit),
                removed: ChangeSet(changes.removed, limit: options.changeListLimit)))
        }
        let top = max(options.topCount, 0)
        return ImageAnalysis(
            layers: analyzed, efficiency: dive.efficiency, sizeBytes: sizeBytes, userSizeBytes: userSizeBytes,
            wastedBytes: dive.wastedBytes,
            userWastedPercent: userSizeBytes > 0 ? Double(dive.wastedBytes) / Double(userSizeBytes) : nil,
            inefficientFileCount: dive.inefficientFiles.count, inefficientFiles: Array(dive.inefficientFiles.prefix(top)),
            duplicateBytes: options.findDuplicates
                ? computed.duplicates.reduce(0) { saturatingAdd($0, $1.wastedBytes) } : nil,
            duplicates: Array(computed.duplicates.prefix(top)))
    }

    /// The command as dive shows it (history's `createdBy` without the shell prefix; "(missing)" without history).
    static func diveCommand(_ createdBy: String?) -> String {
        guard let createdBy else { return "(missing)" }
        let prefix = "/bin/sh -c "
        return createdBy.hasPrefix(prefix) ? String(createdBy.dropFirst(prefix.count)) : createdBy
    }
}
