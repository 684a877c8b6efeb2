/// What the catalog keeps of one file of the image's merged filesystem, as the layers are applied
/// bottom-up. Only candidate files and symlinks are tracked, and of a proving file only what its
/// cataloger read from it, never the raw bytes (except the small OS identity files).
struct TrackedFile {
    enum Content {
        /// A small text file kept whole (os-release, alpine-release, debian_version).
        case text([UInt8])
        /// The packages a proving file declares (purls and locations are filled in at the end).
        case packages([CatalogedPackage])
        /// Licences read from a Debian copyright file.
        case licenses([String])
        /// A file whose presence is all that matters (a dpkg `.list` file).
        case marker
        case symlink(String)
    }

    /// The index of the layer that last wrote the file.
    var layer: Int
    var content: Content
    /// For proving files: package key → the lowest layer from which the package has been in every
    /// state of this file.
    var origins: [String: Int] = [:]
    /// Problems met reading this state of the file; reported only if it is the final state.
    var warnings: [String] = []
}

/// The tracked part of the merged filesystem: puts, overwrites, whiteouts and opaque directories
/// applied as a container runtime would, keeping each package's origin layer.
struct CatalogFileState {
    private(set) var files: [String: TrackedFile] = [:]

    /// The key a package keeps across rewrites of its proving file: same type, name and version.
    static func originKey(_ package: CatalogedPackage) -> String {
        package.type.rawValue + "\u{0}" + (package.namespace ?? "") + "\u{0}" + package.name + "\u{0}" + package.version
            + "\u{0}" + (package.architecture ?? "")
    }

    subscript(path: String) -> TrackedFile? { files[path] }

    /// Records the state of `path` written by `layer`. A package already present in the file's previous
    /// state keeps its origin; a new one starts at `layer`.
    mutating func put(_ path: String, layer: Int, content: TrackedFile.Content, warnings: [String] = []) {
        var file = TrackedFile(layer: layer, content: content, warnings: warnings)
        if case .packages(let packages) = content {
            let previous = files[path]?.origins ?? [:]
            for package in packages {
                let key = Self.originKey(package)
                file.origins[key] = previous[key] ?? layer
            }
        }
        files[path] = file
    }

    /// A non-candidate entry of `layer` replaced whatever was tracked at `path` by a lower layer.
    mutating func overwrite(_ path: String, layer: Int) {
        if let existing = files[path], existing.layer < layer { files[path] = nil }
    }

    /// Applies a layer's whiteouts (`.wh.NAME`: NAME and everything under it) and opaque directories
    /// (everything under them) to what lower layers left; what `layer` itself wrote stays. One pass over
    /// the tracked files, each checked against its ancestors.
    mutating func applyRemovals(removed: Set<String>, opaque: Set<String>, layer: Int) {
        guard !removed.isEmpty || !opaque.isEmpty else { return }
        files = files.filter { path, file in
            guard file.layer < layer else { return true }
            if removed.contains(path) { return false }
            var cursor = Substring(path)
            while let slash = cursor.lastIndex(of: "/") {
                cursor = cursor[..<slash]
                let ancestor = String(cursor)
                if removed.contains(ancestor) || opaque.contains(ancestor) { return false }
            }
            return !opaque.contains("")
        }
    }

    /// Follows symlinks (in every component, relative or absolute targets, never out of the image) to the
    /// tracked path `path` stands for; nil after too many hops.
    func resolve(_ path: String) -> String? {
        var pending = path.split(separator: "/").map(String.init)
        var resolved: [String] = []
        var hops = 0
        while !pending.isEmpty {
            let component = pending.removeFirst()
            if component == "." || component.isEmpty { continue }
            if component == ".." { _ = resolved.popLast(); continue }
            let candidate = (resolved + [component]).joined(separator: "/")
            if case .symlink(let target)? = files[candidate]?.content {
                hops += 1
                if hops > 40 { return nil }
                if target.hasPrefix("/") { resolved = [] }
                pending = target.split(separator: "/").map(String.init) + pending
            } else {
                resolved.append(component)
            }
        }
        return resolved.joined(separator: "/")
    }
}
