import Crypto
import Foundation
import OCI

extension SourceTree {
    /// A digest of exactly what `COPY <sources>` would copy from this tree: for each selected source in
    /// order, every entry's relative name, type, permission bits, owner (only where COPY keeps owners),
    /// content digest, symlink target and hard-link grouping. Timestamps never enter it.
    /// `statCache` answers unchanged files; the rest are hashed on all cores.
    func checksum(sources: [String], followSymlinks: Bool, statCache: ContextStatCache?) throws -> OCI.Digest {
        var selections: [(source: String, resolved: ResolvedSource, entries: [SourceEntry])] = []
        for source in sources {
            for resolved in try select(source, followSymlinks: followSymlinks) {
                selections.append((source, resolved, try entries(under: resolved)))
            }
        }
        // Content digests: cached ones first, the misses hashed together.
        var digests: [String: [UInt8]] = [:]
        var missPaths: [String] = []
        var missSizes: [Int64] = []
        var missStatus: [FileStatus] = []
        var missKeys: [String] = []
        for selection in selections {
            for entry in selection.entries where entry.status.kind == .regular && digests[entry.path] == nil {
                if let cached = statCache?.lookup(entry.path, entry.status) {
                    digests[entry.path] = cached
                } else {
                    digests[entry.path] = []
                    missKeys.append(entry.path)
                    missPaths.append(absolute(entry.path))
                    missSizes.append(entry.status.size)
                    missStatus.append(entry.status)
                }
            }
        }
        let hashed = try ContentHasher.sha256(paths: missPaths, sizes: missSizes)
        for (i, key) in missKeys.enumerated() {
            digests[key] = hashed[i]
            statCache?.store(key, missStatus[i], sha256: hashed[i])
        }
        try statCache?.save()

        var hasher = SHA256()
        func add(_ text: String) { hasher.update(data: Array(text.utf8)) }
        var firstPathOfInode: [UInt64: [UInt64: String]] = [:]
        for selection in selections {
            add("source\u{0}\(selection.source)\u{0}\(selection.resolved.path)\u{0}")
            for entry in selection.entries {
                let status = entry.status
                var record = "\(entry.relative)\u{0}\(status.kind.rawValue)\u{0}\(String(status.mode, radix: 8))\u{0}"
                if !resetsOwnership { record += "\(status.uid):\(status.gid)\u{0}" }
                switch status.kind {
                case .regular:
                    if status.linkCount > 1, let first = firstPathOfInode[status.device]?[status.inode] {
                        record += "hardlink\u{0}\(first)\u{0}"
                    } else {
                        if status.linkCount > 1 { firstPathOfInode[status.device, default: [:]][status.inode] = entry.relative }
                        record += "\(status.size)\u{0}"
                        add(record)
                        hasher.update(data: digests[entry.path] ?? [])
                        continue
                    }
                case .symlink: record += "\(entry.linkTarget ?? "")\u{0}"
                case .directory: break
                case .other: record += "\(status.rawMode)\u{0}"
                }
                add(record)
            }
            firstPathOfInode.removeAll(keepingCapacity: true)
        }
        return OCI.Digest.sha256Value(hasher.finalize())
    }
}

extension BuildContext {
    /// The content digest of what `COPY <sources> …` copies from this context (wildcards allowed, a
    /// top-level symlink followed unless `followSymlinks` is false), for cache keys. Files whose size,
    /// mtime, inode and mode are unchanged since they were last hashed are not read.
    public func checksum(sources: [String], followSymlinks: Bool = true) throws -> OCI.Digest {
        try tree.checksum(sources: sources, followSymlinks: followSymlinks, statCache: statCache)
    }
}

extension SourceTree {
    /// The content digest of `COPY --from=… <sources>` reading this tree (no stat cache).
    public func checksum(sources: [String], followSymlinks: Bool = true) throws -> OCI.Digest {
        try checksum(sources: sources, followSymlinks: followSymlinks, statCache: nil)
    }
}

extension OCI.Digest {
    static func sha256Value(_ digest: SHA256.Digest) -> OCI.Digest {
        let hexDigits = Array("0123456789abcdef".utf8)
        var text = Array("sha256:".utf8)
        for byte in digest { text.append(hexDigits[Int(byte >> 4)]); text.append(hexDigits[Int(byte & 15)]) }
        // A well-formed sha256 string always parses.
        return try! OCI.Digest(String(decoding: text, as: UTF8.self))
    }
}
