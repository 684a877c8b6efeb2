/// Docker's "size" of an imported layer. With overlay2, dockerd reports the apparent size of the
/// unpacked layer directory: regular files plus symlink target lengths, each inode once (so hard
/// links add nothing), directories and devices nothing. A path written twice counts once, with its
/// last content. Verified against dockerd 20.10 for the busybox and debian rootfs tars.
///
/// Keeps one small record per non-empty path (keyed by a 64-bit hash of the cleaned path bytes),
/// so memory grows with the entry count, never with the layer's byte size.
struct ContentSizeLedger {
    private var sizeByPath: [Int: Int64] = [:]
    private(set) var total: Int64 = 0

    mutating func record(_ entry: TarEntryHeader, logicalSize: Int64) {
        let cleaned = Self.cleanedPath(entry.name)
        let contribution: Int64
        switch entry.kind {
        case .regular, .other: contribution = logicalSize
        case .symbolicLink: contribution = Int64(entry.linkName.utf8.count)
        case .hardLink, .directory, .characterDevice, .blockDevice, .fifo: contribution = 0
        }
        // AUFS whiteouts become 0/0 character devices or xattrs when unpacked.
        let baseName = cleaned.split(separator: UInt8(ascii: "/")).last ?? []
        let isWhiteout = baseName.starts(with: ".wh.".utf8)
        var hasher = Hasher()
        cleaned.withUnsafeBytes { hasher.combine(bytes: $0) }
        let key = hasher.finalize()
        if let previous = sizeByPath.removeValue(forKey: key) { total -= previous }
        if contribution > 0 && !isWhiteout {
            sizeByPath[key] = contribution
            total += contribution
        }
    }

    /// path.Clean("/" + name) as a byte string, so "./a//b/../c" and "/a/c" are one path.
    static func cleanedPath(_ name: String) -> [UInt8] {
        var parts: [ArraySlice<UInt8>] = []
        let bytes = Array(name.utf8)
        for part in bytes.split(separator: UInt8(ascii: "/")) {
            if part.elementsEqual(".".utf8) { continue }
            if part.elementsEqual("..".utf8) {
                _ = parts.popLast()
                continue
            }
            parts.append(part)
        }
        var cleaned: [UInt8] = [UInt8(ascii: "/")]
        for (index, part) in parts.enumerated() {
            if index > 0 { cleaned.append(UInt8(ascii: "/")) }
            cleaned.append(contentsOf: part)
        }
        return cleaned
    }
}
