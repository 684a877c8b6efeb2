import Archive
import Foundation
import OCI
import Synchronization

// The files part of `strata image diff`: the final file trees of two images (the OCI layer rules applied, as a
// container sees them), compared path by path. Contents are compared by SHA-256 digests taken while the layers
// stream by; a layer both images share is read once.

/// A path of an image's final tree.
public struct FileState: Codable, Sendable, Equatable {
    /// From the root ("/etc/passwd").
    public var path: String
    public var kind: FileKind
    /// The tar header's size (regular files; 0 for directories and links).
    public var sizeBytes: Int64
    /// Permission bits with setuid, setgid and sticky.
    public var mode: UInt32
    public var uid: Int
    public var gid: Int
    /// Symlink target, or the path a hard link points at.
    public var linkTarget: String?
    /// SHA-256 of a regular file's content.
    public var contentDigest: Digest?
    /// Seconds since the epoch.
    public var modificationTime: Int64
    /// A parent directory no layer lists (its mode, owner and time are unknown, reported as 0).
    public var implicit: Bool

    init(path: String, record: FileRecord?) {
        self.path = "/" + path
        guard let record else {
            kind = .directory
            sizeBytes = 0
            mode = 0
            uid = 0
            gid = 0
            modificationTime = 0
            implicit = true
            return
        }
        kind = record.kind
        sizeBytes = record.size
        mode = record.mode
        uid = record.uid
        gid = record.gid
        linkTarget = record.kind == .symlink || record.kind == .hardlink ? record.linkTarget : nil
        if case .sha256(let digest)? = record.content { contentDigest = digest }
        modificationTime = record.modificationTime
        implicit = false
    }
}

/// What differs about a path present in both images.
public enum FileAttribute: String, Codable, Sendable, Equatable, CaseIterable {
    case kind, size, content, mode, owner, linkTarget, modificationTime
}

/// A path whose state differs between the images.
public struct ChangedFile: Codable, Sendable, Equatable {
    public var path: String
    public var old: FileState
    public var new: FileState
    /// What changed, in `FileAttribute` order.
    public var changes: [FileAttribute]
}

/// What `ImageDiff.files` compares.
public struct ImageDiffOptions: Sendable, Equatable {
    /// Also report paths whose only difference is the modification time (off: a rebuild touches every time).
    public var compareModificationTimes: Bool

    public init(compareModificationTimes: Bool = false) {
        self.compareModificationTimes = compareModificationTimes
    }
}

/// The file differences of two images, each list sorted by path.
public struct ImageDiff: Codable, Sendable, Equatable {
    /// Paths only the new image has.
    public var added: [FileState]
    /// Paths only the old image has.
    public var removed: [FileState]
    /// Paths both have, in a different state.
    public var changed: [ChangedFile]

    /// Reads both images' layers (each distinct diffID once, proven against it) and compares their final trees.
    public static func files(old: [ImageLayerSource], new: [ImageLayerSource],
                             options: ImageDiffOptions = ImageDiffOptions()) throws -> ImageDiff {
        var distinct: [ImageLayerSource] = []
        var position: [Digest: Int] = [:]
        for layer in old + new where position[layer.diffID] == nil {
            position[layer.diffID] = distinct.count
            distinct.append(layer)
        }
        let listings = try LayerListingReader.readAll(distinct, hashing: .sha256)
        let stacks = [old.map { position[$0.diffID]! }, new.map { position[$0.diffID]! }]
        let trees = Mutex<[[String: FileState]]>([[:], [:]])
        DispatchQueue.concurrentPerform(iterations: 2) { side in
            var tree = MergedFileTree()
            for index in stacks[side] { _ = tree.apply(listings[index]) }
            var states: [String: FileState] = [:]
            for (path, record) in tree.paths() { states[path] = FileState(path: path, record: record) }
            trees.withLock { $0[side] = states }
        }
        let (oldTree, newTree) = trees.withLock { ($0[0], $0[1]) }
        return compare(old: oldTree, new: newTree, options: options)
    }

    static func compare(old: [String: FileState], new: [String: FileState], options: ImageDiffOptions) -> ImageDiff {
        var diff = ImageDiff(added: [], removed: [], changed: [])
        for (path, state) in new {
            guard let before = old[path] else {
                diff.added.append(state)
                continue
            }
            let changes = differences(before, state, options: options)
            if !changes.isEmpty { diff.changed.append(ChangedFile(path: state.path, old: before, new: state, changes: changes)) }
        }
        for (path, state) in old where new[path] == nil { diff.removed.append(state) }
        let byPath: (String, String) -> Bool = { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        diff.added.sort { byPath($0.path, $1.path) }
        diff.removed.sort { byPath($0.path, $1.path) }
        diff.changed.sort { byPath($0.path, $1.path) }
        return diff
    }

    static func differences(_ old: FileState, _ new: FileState, options: ImageDiffOptions) -> [FileAttribute] {
        var changes: [FileAttribute] = []
        if old.kind != new.kind { changes.append(.kind) }
        if old.sizeBytes != new.sizeBytes { changes.append(.size) }
        if old.kind == new.kind, old.contentDigest != new.contentDigest { changes.append(.content) }
        if old.mode != new.mode { changes.append(.mode) }
        if old.uid != new.uid || old.gid != new.gid { changes.append(.owner) }
        if old.linkTarget != new.linkTarget { changes.append(.linkTarget) }
        if options.compareModificationTimes, old.modificationTime != new.modificationTime { changes.append(.modificationTime) }
        return changes
    }
}
