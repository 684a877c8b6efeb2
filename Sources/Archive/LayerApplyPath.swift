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

    /// Every proper ancestor, nearest first ("a/b/c" → "a/b", "a").
    var ancestors: [String] {
        var result: [String] = []
        var prefix = components.dropLast()
        while !prefix.isEmpty {
            result.append(prefix.joined(separator: "/"))
            prefix = prefix.dropLast()
        }
        return result
    }
}

/// Linux's O_PATH (the same value on every architecture); Glibc hides it from Swift behind _GNU_SOURCE.
let O_PATH: Int32 = 0o10000000
