import Foundation

/// A canonical description of an image's final root filesystem, for comparing two builds of one
/// Dockerfile. Pure: it is made from `find -printf` records (see `ImageTreeReader`) and compared
/// without touching the disk, so the rules below are unit-tested on their own.
///
/// Compared per path: type, permission bits (incl. setuid/setgid/sticky), uid, gid, size and sha256
/// of regular files, symlink targets, device numbers, and hard-link groups (the other paths sharing
/// the inode). mtimes are compared at one-second resolution, and only where the expected side's
/// mtime is older than `mtimeCutoff`: such a time was preserved (base image, build context, tar
/// archive contents), not made during the build, so the other builder must keep it too. Anything
/// created or touched while building (RUN output, directories made by COPY/WORKDIR, parents
/// modified by a step) carries the build's own clock and is not compared.
struct ImageTree: Sendable, Equatable {
    /// Kinds of entries, as `find -printf %y` spells them.
    enum Kind: String, Sendable {
        case file = "f", directory = "d", symlink = "l", fifo = "p", socket = "s"
        case characterDevice = "c", blockDevice = "b"
    }

    /// One path's metadata. `path` is absolute ("/etc/passwd"); the root itself is "/".
    struct Entry: Sendable, Equatable {
        var path: String
        var kind: Kind
        var mode: Int          // permission bits incl. 0o7000
        var uid: Int
        var gid: Int
        var size: Int          // regular files only (0 otherwise)
        var mtime: Int         // whole seconds since the epoch
        var linkTarget: String // symlinks only
        var device: String     // "major:minor" for devices, else ""
        var inode: UInt64
        var linkCount: Int
        var sha256: String     // regular files only, filled in by the reader
    }

    var entries: [String: Entry]

    init(_ entries: [Entry]) {
        self.entries = Dictionary(entries.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Paths that share an inode with `path` (excluding itself), sorted; empty for unlinked entries
    /// and directories.
    func hardLinkPeers(of path: String) -> [String] {
        guard let entry = entries[path], entry.kind != .directory, entry.linkCount > 1 else { return [] }
        return peersByInode[entry.inode, default: []].filter { $0 != path }
    }

    private var peersByInode: [UInt64: [String]] {
        var groups: [UInt64: [String]] = [:]
        for entry in entries.values where entry.kind != .directory && entry.linkCount > 1 {
            groups[entry.inode, default: []].append(entry.path)
        }
        return groups.mapValues { $0.sorted() }
    }

    /// Parses NUL-separated records of `find . -printf` with `ImageTreeReader.findFormat`, each
    /// record being 10 fields: %P %y %m %U %G %s %T@ %l %i %n. Device numbers (which find cannot
    /// print) and file hashes are filled in by the reader afterwards.
    static func parse(findOutput: String) throws -> [Entry] {
        let fields = findOutput.split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
        let width = 10
        var result: [Entry] = []
        var index = 0
        while index + width <= fields.count {
            let f = Array(fields[index ..< index + width])
            index += width
            guard let kind = Kind(rawValue: f[1]),
                  let mode = Int(f[2], radix: 8), let uid = Int(f[3]), let gid = Int(f[4]),
                  let size = Int(f[5]), let seconds = Int(f[6].split(separator: ".").first ?? ""),
                  let inode = UInt64(f[8]), let links = Int(f[9]) else {
                throw ImageTreeError("unparsable find record: \(f)")
            }
            let path = f[0].isEmpty ? "/" : "/" + f[0]
            result.append(Entry(path: path, kind: kind, mode: mode, uid: uid, gid: gid,
                                size: kind == .file ? size : 0, mtime: seconds,  // whole seconds: a Double would round .999999999 up
                                linkTarget: kind == .symlink ? f[7] : "",
                                device: "",
                                inode: inode, linkCount: links, sha256: ""))
        }
        let rest = fields[index...].filter { !$0.isEmpty }
        guard rest.isEmpty else { throw ImageTreeError("trailing find output: \(rest)") }
        return result
    }

    /// Knobs for `differences`.
    struct Rules: Sendable {
        /// mtimes of expected entries at or after this second were made by the build: not compared.
        var mtimeCutoff: Int
        /// Paths whose bytes may legitimately differ (e.g. a compiler's output); size and hash skipped.
        var ignoreContent: Set<String> = []
        /// Paths not compared at all (and their descendants).
        var ignorePaths: Set<String> = []
    }

    /// Every difference between `expected` (docker) and `actual` (strata), one line each, sorted by
    /// path. Empty when the trees are the same under `rules`.
    static func differences(expected: ImageTree, actual: ImageTree, rules: Rules) -> [String] {
        func ignored(_ path: String) -> Bool {
            rules.ignorePaths.contains { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
        }
        let paths = Set(expected.entries.keys).union(actual.entries.keys).filter { !ignored($0) }.sorted()
        var lines: [String] = []
        for path in paths {
            switch (expected.entries[path], actual.entries[path]) {
            case let (e?, nil):
                lines.append("\(path): missing (docker has \(e.summary))")
            case let (nil, a?):
                lines.append("\(path): unexpected \(a.summary) (docker has nothing)")
            case let (e?, a?):
                var what: [String] = []
                if e.kind != a.kind { what.append("type \(a.kind) != \(e.kind)") }
                if e.mode != a.mode { what.append("mode \(octal(a.mode)) != \(octal(e.mode))") }
                if e.uid != a.uid || e.gid != a.gid { what.append("owner \(a.uid):\(a.gid) != \(e.uid):\(e.gid)") }
                if e.kind == .file, a.kind == .file, !rules.ignoreContent.contains(path) {
                    if e.size != a.size { what.append("size \(a.size) != \(e.size)") }
                    else if e.sha256 != a.sha256 { what.append("content sha256 \(a.sha256.prefix(12)) != \(e.sha256.prefix(12))") }
                }
                if e.linkTarget != a.linkTarget { what.append("symlink target \"\(a.linkTarget)\" != \"\(e.linkTarget)\"") }
                if e.device != a.device { what.append("device \(a.device) != \(e.device)") }
                if e.mtime < rules.mtimeCutoff, e.mtime != a.mtime, e.kind == a.kind {
                    what.append("mtime \(stamp(a.mtime)) != \(stamp(e.mtime)) (preserved time)")
                }
                let ePeers = expected.hardLinkPeers(of: path), aPeers = actual.hardLinkPeers(of: path)
                if ePeers != aPeers { what.append("hard links \(aPeers) != \(ePeers)") }
                if !what.isEmpty { lines.append("\(path): " + what.joined(separator: ", ") + " (strata != docker)") }
            case (nil, nil):
                break
            }
        }
        return lines
    }

    static func octal(_ mode: Int) -> String { "0" + String(mode, radix: 8) }

    static func stamp(_ seconds: Int) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}

extension ImageTree.Entry {
    /// "file 0644 0:0 12B", "symlink -> busybox", "dir 0755 0:0".
    var summary: String {
        let owner = "\(uid):\(gid)"
        switch kind {
        case .file: return "file \(ImageTree.octal(mode)) \(owner) \(size)B"
        case .directory: return "dir \(ImageTree.octal(mode)) \(owner)"
        case .symlink: return "symlink -> \(linkTarget) \(owner)"
        default: return "\(kind) \(ImageTree.octal(mode)) \(owner)\(device.isEmpty ? "" : " " + device)"
        }
    }
}

/// A malformed tree listing.
struct ImageTreeError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
