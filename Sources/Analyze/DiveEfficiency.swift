// dive's efficiency measure, reproduced from its published algorithm (wagoodman/dive, filetree/efficiency.go and
// image/analysis.go), not its code. dive builds one tree per layer from the tar's entries and visits the leaves of
// each layer's tree (files, symlinks, whiteouts, directories with nothing under them in that layer). Per path it adds
// up the sizes of every occurrence across layers and keeps the smallest one:
//
// - a file, link or empty directory counts its tar header size;
// - a whiteout `.wh.NAME` counts, when NAME was a directory in the layers below (stacked as dive stacks them), the
//   header sizes of everything under it, and 0 when NAME was a file;
// - opaque markers (`.wh..wh..opq`) and other `.wh..wh.` names are dropped, so opaque deletions count nothing;
// - a path's parents that the layer does not list become entries of size 0 ("implicit"), which also resets a
//   directory to "not a directory" in dive's stacked tree.
//
// efficiency = Σ smallest occurrence / Σ all occurrences (1 when nothing was counted);
// wasted bytes = Σ all occurrences' sizes of every path that occurs more than once (its first occurrence included).
//
// One deliberate difference: a whiteout of a path absent from the layers below makes dive stop visiting the rest of
// that layer (and count -1 byte); here that whiteout alone is skipped.

/// The part of dive's per-node file info its measures read.
struct DiveNodeInfo {
    var size: Int64
    var isDirectory: Bool

    /// A parent the layer does not list.
    static let implicit = DiveNodeInfo(size: 0, isDirectory: false)
}

/// A path's occurrences across layers.
struct DivePathTally {
    var count = 0
    var cumulativeSize: Int64 = 0
    var smallestSize: Int64 = .max

    mutating func record(_ size: Int64) {
        count += 1
        cumulativeSize = saturatingAdd(cumulativeSize, size)
        smallestSize = min(smallestSize, size)
    }
}

/// dive's efficiency, wasted bytes and inefficient paths of a stack of layers.
struct DiveEfficiency {
    var efficiency: Double
    var wastedBytes: Int64
    /// Every path seen in more than one layer, most bytes first (then by path).
    var inefficientFiles: [InefficientFile]

    static func compute(_ listings: [LayerListing]) -> DiveEfficiency {
        var stacked = PathTrie<DiveNodeInfo>(rootPayload: .implicit)
        var tallies: [String: DivePathTally] = [:]
        for (index, listing) in listings.enumerated() {
            let layer = layerTree(listing)
            // dive looks whiteouts up in the layers below stacked; for the first layer, in that layer's own tree.
            if index == 0 {
                tallyLeaves(of: layer, lower: layer, into: &tallies)
            } else {
                tallyLeaves(of: layer, lower: stacked, into: &tallies)
            }
            if index < listings.count - 1 { stack(layer, onto: &stacked) }
        }
        var smallest: Int64 = 0
        var discovered: Int64 = 0
        var wasted: Int64 = 0
        var inefficient: [InefficientFile] = []
        for (path, tally) in tallies {
            smallest = saturatingAdd(smallest, tally.smallestSize)
            discovered = saturatingAdd(discovered, tally.cumulativeSize)
            if tally.count > 1 {
                wasted = saturatingAdd(wasted, tally.cumulativeSize)
                inefficient.append(InefficientFile(path: path, count: tally.count, wastedBytes: tally.cumulativeSize))
            }
        }
        inefficient.sort { a, b in
            a.wastedBytes != b.wastedBytes ? a.wastedBytes > b.wastedBytes : a.path.utf8.lexicographicallyPrecedes(b.path.utf8)
        }
        let efficiency = discovered == 0 ? 1.0 : Double(smallest) / Double(discovered)
        return DiveEfficiency(efficiency: efficiency, wastedBytes: wasted, inefficientFiles: inefficient)
    }

    /// Adds the sizes of a layer's leaves to their paths' tallies.
    static func tallyLeaves(of layer: PathTrie<DiveNodeInfo>, lower: PathTrie<DiveNodeInfo>,
                            into tallies: inout [String: DivePathTally]) {
        for index in 1..<Int32(layer.nodes.count) where !layer.hasChildren(index) {
            let name = layer.name(index)
            var size = layer[index].size
            var path: String
            if name.hasPrefix(ListedEntry.whiteoutPrefix) {
                let parent = layer.path(layer.parent(index))
                let target = name.dropFirst(ListedEntry.whiteoutPrefix.count)
                path = parent.isEmpty ? String(target) : parent + "/" + target
                guard let previous = lower.lookup(path) else { continue }
                size = 0
                if lower[previous].isDirectory {
                    lower.visitSubtree(previous) { size = saturatingAdd(size, lower[$0].size) }
                }
            } else {
                path = layer.path(index)
            }
            tallies["/" + path, default: DivePathTally()].record(size)
        }
    }

    /// One layer's tree as dive builds it: every entry by its cleaned name (whiteouts under their `.wh.` name), parents
    /// added as implicit nodes, names beginning `.wh..wh..` (and anything below them) dropped, the last entry for a
    /// path winning.
    static func layerTree(_ listing: LayerListing) -> PathTrie<DiveNodeInfo> {
        var tree = PathTrie<DiveNodeInfo>(rootPayload: .implicit)
        for entry in listing.entries {
            var node = PathTrie<DiveNodeInfo>.root
            var dropped = false
            for component in entry.path.split(separator: "/") {
                if let existing = tree.child(node, named: component) {
                    node = existing
                } else if component.hasPrefix(ListedEntry.metadataPrefix + ".") {
                    dropped = true
                    break
                } else {
                    node = tree.child(node, named: component, creating: .implicit)
                }
            }
            if !dropped { tree[node] = DiveNodeInfo(size: entry.size, isDirectory: entry.kind == .directory) }
        }
        return tree
    }

    /// Stacks a layer onto the tree of the layers below as dive does: a whiteout removes its target (and everything
    /// under it), any other node is added or takes the layer's info (an implicit parent included). dive works through
    /// a layer children first, siblings by name, so a whiteout `.wh.NAME` removes the layer's own NAME too when NAME
    /// sorts first (`.cache` before `.wh..cache`), and only the lower NAME otherwise.
    static func stack(_ layer: PathTrie<DiveNodeInfo>, onto stacked: inout PathTrie<DiveNodeInfo>) {
        var work: [(layer: Int32, stacked: Int32)] = [(PathTrie<DiveNodeInfo>.root, PathTrie<DiveNodeInfo>.root)]
        while let (layerNode, stackedNode) = work.popLast() {
            var removedOwn: Set<String> = []
            for child in layer.children(layerNode) {
                let name = layer.name(child)
                guard name.hasPrefix(ListedEntry.whiteoutPrefix) else { continue }
                let target = String(name.dropFirst(ListedEntry.whiteoutPrefix.count))
                if let existing = stacked.child(stackedNode, named: target) { stacked.detach(existing) }
                if layer.child(layerNode, named: target) != nil, target.utf8.lexicographicallyPrecedes(name.utf8) {
                    removedOwn.insert(target)
                }
            }
            for child in layer.children(layerNode) {
                let name = layer.name(child)
                if name.hasPrefix(ListedEntry.whiteoutPrefix) || removedOwn.contains(name) { continue }
                let target = stacked.child(stackedNode, named: name, creating: .implicit)
                stacked[target] = layer[child]
                work.append((child, target))
            }
        }
    }
}

/// Adds without trapping: sizes come from tar headers, which a hostile layer can set near Int64.max.
@inline(__always)
func saturatingAdd(_ a: Int64, _ b: Int64) -> Int64 {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? (b > 0 ? .max : .min) : sum
}
