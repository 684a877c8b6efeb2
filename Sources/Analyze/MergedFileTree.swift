/// A path's state in a merged tree: what the last layer to touch it said.
struct FileRecord: Sendable {
    var kind: FileKind
    var size: Int64
    var mode: UInt32
    var uid: Int
    var gid: Int
    var linkTarget: String
    var modificationTime: Int64
    var content: ContentHash?

    init(_ entry: ListedEntry) {
        kind = entry.kind
        size = entry.size
        mode = entry.mode
        uid = entry.uid
        gid = entry.gid
        linkTarget = entry.linkTarget
        modificationTime = entry.modificationTime
        content = entry.content
    }
}

/// What one layer did to the tree of the layers below it.
struct LayerChanges: Sendable {
    var added: [FileChange] = []
    var modified: [FileChange] = []
    var removed: [FileChange] = []
}

/// The file tree of a stack of layers with the OCI layer rules (what a container sees): an entry adds or replaces its
/// path (a directory over a directory keeps what is below it), `.wh.NAME` deletes NAME of the layers below, and
/// `.wh..wh..opq` deletes everything the layers below had in its directory. Whiteouts never touch what the same layer
/// adds, whatever the entry order. Parents a layer does not list are implicit directories (a nil record).
struct MergedFileTree {
    private(set) var trie = PathTrie<FileRecord?>(rootPayload: nil)
    private typealias OwnTree = PathTrie<Int?>

    /// Applies one layer and says what it added (new paths), modified (paths the layers below had; a directory only
    /// when its mode or owner changed) and removed (the topmost deleted paths, each with the bytes and entries under it).
    mutating func apply(_ listing: LayerListing) -> LayerChanges {
        // The layer's own tree of content entries (the last entry for a path wins), payload: the entry's index.
        var own = OwnTree(rootPayload: nil)
        for (index, entry) in listing.entries.enumerated() where entry.role == .content {
            var node = OwnTree.root
            for component in entry.path.split(separator: "/") { node = own.child(node, named: component, creating: nil) }
            own[node] = index
        }
        var changes = LayerChanges()
        classify(own, listing, into: &changes)
        for entry in listing.entries where entry.role == .opaqueMarker {
            guard let directory = trie.lookup(entry.targetPath) else { continue }
            let ownDirectory = own.lookup(entry.targetPath)
            for child in Array(trie.children(directory)) {
                let ownChild = ownDirectory.flatMap { own.child($0, named: trie.name(child)) }
                reportRemoval(child, own: own, ownNode: ownChild, into: &changes.removed)
            }
            trie.detachChildren(directory)
        }
        for entry in listing.entries where entry.role == .whiteout {
            let target = entry.targetPath
            guard let node = trie.lookup(target), node != PathTrie<FileRecord?>.root else { continue }
            reportRemoval(node, own: own, ownNode: own.lookup(target), into: &changes.removed)
            trie.detach(node)
        }
        graft(own, listing, removed: &changes.removed)
        return changes
    }

    /// Added and modified paths, judged against the layers below before this layer changes anything.
    private func classify(_ own: OwnTree, _ listing: LayerListing, into changes: inout LayerChanges) {
        var work: [(own: Int32, lower: Int32?)] = [(OwnTree.root, PathTrie<FileRecord?>.root)]
        while let (ownNode, lowerNode) = work.popLast() {
            for child in own.children(ownNode) {
                let lowerChild = lowerNode.flatMap { trie.child($0, named: own.name(child)) }
                work.append((child, lowerChild))
                guard let index = own[child] else { continue }
                let entry = listing.entries[index]
                let change = FileChange(path: "/" + entry.path, kind: entry.kind, sizeBytes: entry.size)
                guard let lowerChild else {
                    changes.added.append(change)
                    continue
                }
                let lower = trie[lowerChild]
                if entry.kind == .directory && (lower == nil || lower?.kind == .directory) {
                    if let lower, lower.mode != entry.mode || lower.uid != entry.uid || lower.gid != entry.gid {
                        changes.modified.append(change)
                    }
                } else {
                    changes.modified.append(change)
                }
            }
        }
    }

    /// Reports what deleting `node` removes: all of it, or, where the layer puts something at the same path again
    /// (`ownNode`), only the parts below that it does not.
    private func reportRemoval(_ node: Int32, own: OwnTree, ownNode: Int32?, into removed: inout [FileChange]) {
        var work: [(node: Int32, own: Int32?)] = [(node, ownNode)]
        while let (current, ownCurrent) = work.popLast() {
            if let ownCurrent {
                for child in trie.children(current) { work.append((child, own.child(ownCurrent, named: trie.name(child)))) }
                continue
            }
            var bytes: Int64 = 0
            var count = 0
            trie.visitSubtree(current) { member in
                count += 1
                if let record = trie[member], record.kind == .file { bytes = saturatingAdd(bytes, record.size) }
            }
            removed.append(FileChange(path: "/" + trie.path(current), kind: trie[current]?.kind ?? .directory,
                                      sizeBytes: bytes, entryCount: count))
        }
    }

    /// Adds the layer's entries to the tree; a non-directory over a directory takes the directory's contents with it.
    private mutating func graft(_ own: OwnTree, _ listing: LayerListing, removed: inout [FileChange]) {
        var work: [(own: Int32, tree: Int32)] = [(OwnTree.root, PathTrie<FileRecord?>.root)]
        while let (ownNode, treeNode) = work.popLast() {
            for child in own.children(ownNode) {
                let record = own[child].map { FileRecord(listing.entries[$0]) }
                let target: Int32
                if let existing = trie.child(treeNode, named: own.name(child)) {
                    target = existing
                    if let record {
                        if record.kind != .directory, trie.hasChildren(existing) {
                            for below in Array(trie.children(existing)) {
                                reportRemoval(below, own: own, ownNode: own.child(child, named: trie.name(below)), into: &removed)
                            }
                            trie.detachChildren(existing)
                        }
                        trie[existing] = record
                    }
                } else {
                    target = trie.child(treeNode, named: own.name(child), creating: record)
                }
                work.append((child, target))
            }
        }
    }

    /// Every path of the tree (relative, "usr/bin/ls") with its record (nil for an implicit directory), parents first.
    func paths() -> [(path: String, record: FileRecord?)] {
        var result: [(path: String, record: FileRecord?)] = []
        var work: [(node: Int32, path: String)] = [(PathTrie<FileRecord?>.root, "")]
        while let (node, path) = work.popLast() {
            if node != PathTrie<FileRecord?>.root { result.append((path, trie[node])) }
            for child in trie.children(node) {
                let name = trie.name(child)
                work.append((child, path.isEmpty ? name : path + "/" + name))
            }
        }
        return result
    }

    /// Regular files of the tree with the same size and content under more than one path, most wasted bytes first.
    func duplicates() -> [DuplicateContent] {
        struct Key: Hashable {
            var size: Int64
            var content: ContentHash
        }
        var groups: [Key: [Int32]] = [:]
        trie.visitSubtree(PathTrie<FileRecord?>.root) { node in
            guard let record = trie[node], record.kind == .file, record.size > 0, let content = record.content else { return }
            groups[Key(size: record.size, content: content), default: []].append(node)
        }
        var result: [DuplicateContent] = []
        for (key, nodes) in groups where nodes.count > 1 {
            let paths = nodes.map { "/" + trie.path($0) }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            let (wasted, overflow) = key.size.multipliedReportingOverflow(by: Int64(nodes.count - 1))
            result.append(DuplicateContent(sizeBytes: key.size, paths: paths, wastedBytes: overflow ? .max : wasted))
        }
        result.sort { a, b in
            a.wastedBytes != b.wastedBytes ? a.wastedBytes > b.wastedBytes
                : a.paths[0].utf8.lexicographicallyPrecedes(b.paths[0].utf8)
        }
        return result
    }
}
