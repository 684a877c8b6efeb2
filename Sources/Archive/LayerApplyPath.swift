/// A layer entry's name reduced to components beneath the target: empty and "." components are
/// dropped and ".." never climbs above the root. This is what docker's unpack amounts to, since it
/// runs chrooted into the target and joins every name to "/" (`filepath.Join("/", name)`).
struct LayerApplyPath: Hashable {
    var components: [String]

    init(cleaning name: String) {
        var result: [String] = []
        for part in name.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !result.isEmpty { result.removeLast() }
            default: result.append(String(part))
            }
        }
        components = result
    }

    init(components: [String]) {
        self.components = components
    }

    var isRoot: Bool { components.isEmpty }
    var parent: ArraySlice<String> { components.dropLast() }
    var base: String { components.last ?? "" }
    var joined: String { components.joined(separator: "/") }

    /// Inserts every proper ancestor into `set`, nearest first, stopping at the first one already there (its own
    /// ancestors are then there too). Prefixes are built only as far as needed: computing all of them for every
    /// entry made a deep tree cost cubic time.
    func insertAncestors(into set: inout Set<String>) {
        var prefix = components.dropLast()
        while !prefix.isEmpty {
            guard set.insert(prefix.joined(separator: "/")).inserted else { return }
            prefix = prefix.dropLast()
        }
    }
}

/// Linux's O_PATH (the same value on every architecture); Glibc hides it from Swift behind _GNU_SOURCE.
let O_PATH: Int32 = 0o10000000
