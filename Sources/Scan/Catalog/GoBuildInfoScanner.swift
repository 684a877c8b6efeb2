// Hand-written reader of the Go build information (Go ≥ 1.18's inline form) as Go's debug/buildinfo
// documents it: a 32-byte header starting with "\xff Go buildinf:" at a 16-byte aligned offset of the
// `.go.buildinfo` section (pointer size, flags; flag 2 = inline strings), then two uvarint-prefixed
// strings: the toolchain version and the module info (framed by 16 sentinel bytes at each end), whose
// lines are `path`, `mod`, `dep`, `=>` (replaces the line before) and `build`.

/// What a Go binary says about how it was built.
struct GoBuildInfo: Equatable {
    struct Module: Equatable {
        var path: String
        var version: String
        /// A `=>` replacement: a module (with a version) or a local directory (without).
        var replacement: (path: String, version: String)?

        static func == (lhs: Module, rhs: Module) -> Bool {
            lhs.path == rhs.path && lhs.version == rhs.version && lhs.replacement?.path == rhs.replacement?.path
                && lhs.replacement?.version == rhs.replacement?.version
        }
    }

    var goVersion: String
    /// The `path` line: the main package's import path.
    var mainPackagePath: String?
    var main: Module?
    var dependencies: [Module] = []

    /// The packages to report: the main module, each dependency (a replacement by another module stands in
    /// for what it replaces; one by a local directory, `./dep (devel)`, does not) and the standard library
    /// at the toolchain's version.
    var packages: [CatalogedPackage] {
        var found: [CatalogedPackage] = []
        func add(_ module: Module) {
            var path = module.path, version = module.version
            if let replacement = module.replacement, !replacement.version.isEmpty, !replacement.path.hasPrefix("."),
               !replacement.path.hasPrefix("/") {
                path = replacement.path
                version = replacement.version
            }
            guard !path.isEmpty, !version.isEmpty else { return }
            found.append(CatalogedPackage(name: path, version: version, type: .goModule, purl: ""))
        }
        if let main { add(main) }
        dependencies.forEach(add)
        if goVersion.hasPrefix("go") {
            found.append(CatalogedPackage(name: "stdlib", version: goVersion, type: .goModule, purl: ""))
        }
        return found
    }
}

/// Streams an executable looking for Go build info, holding one bounded window of it at a time.
enum GoBuildInfoScanner {
    enum Outcome: Equatable {
        case notGo
        case found(GoBuildInfo)
        /// Go before 1.18 kept pointers instead of inline strings; not read.
        case legacyFormat
    }

    static let magic: [UInt8] = [0xff] + Array(" Go buildinf:".utf8)
    static let windowSize = 1 << 19

    /// Reads the file through `read` (0 at its end). Non-ELF files stop after the first window.
    static func scan(_ read: (UnsafeMutableRawBufferPointer) throws -> Int) throws -> Outcome {
        let window = UnsafeMutableRawBufferPointer.allocate(byteCount: windowSize, alignment: 16)
        defer { window.deallocate() }
        var filled = 0
        var atEnd = false
        var first = true
        func fill() throws {
            while filled < window.count && !atEnd {
                let count = try read(UnsafeMutableRawBufferPointer(rebasing: window[filled...]))
                if count == 0 { atEnd = true } else { filled += count }
            }
        }
        var position = 0
        while true {
            try fill()
            if first {
                first = false
                guard filled >= 64, window[0] == 0x7f, window[1] == 0x45, window[2] == 0x4c, window[3] == 0x46 else {
                    return .notGo
                }
            }
            while position + 32 <= filled {
                if window[position] == 0xff && matchesMagic(window, at: position) {
                    switch header(window, at: position, filled: filled) {
                    case .invalid: break
                    case .legacy: return .legacyFormat
                    case .found(let info): return .found(info)
                    case .needMore:
                        if position == 0 && filled == window.count { return .notGo }  // info larger than the window
                        if atEnd { break }
                        // Keep from the magic on (an aligned offset, so alignment is preserved) and read more.
                        shift(window, from: position, filled: &filled)
                        position = 0
                        try fill()
                        continue
                    }
                }
                position += 16
            }
            if atEnd { return .notGo }
            shift(window, from: position, filled: &filled)
            position = 0
        }
    }

    private static func shift(_ window: UnsafeMutableRawBufferPointer, from start: Int, filled: inout Int) {
        let kept = filled - start
        if kept > 0 && start > 0 {
            window.baseAddress!.copyMemory(from: window.baseAddress! + start, byteCount: kept)
        }
        filled = max(kept, 0)
    }

    private static func matchesMagic(_ window: UnsafeMutableRawBufferPointer, at position: Int) -> Bool {
        for index in 0..<magic.count where window[position + index] != magic[index] { return false }
        return true
    }

    private enum HeaderResult { case invalid, legacy, needMore, found(GoBuildInfo) }

    private static func header(_ window: UnsafeMutableRawBufferPointer, at start: Int, filled: Int) -> HeaderResult {
        let pointerSize = window[start + 14], flags = window[start + 15]
        guard pointerSize == 4 || pointerSize == 8, flags & ~3 == 0 else { return .invalid }
        guard flags & 2 != 0 else { return .legacy }
        var cursor = start + 32
        func string() -> (value: [UInt8]?, needMore: Bool) {
            var length = 0, shiftBits = 0
            while true {
                guard cursor < filled else { return (nil, true) }
                let byte = window[cursor]
                cursor += 1
                length |= Int(byte & 0x7f) << shiftBits
                if byte & 0x80 == 0 { break }
                shiftBits += 7
                if shiftBits > 28 { return (nil, false) }
            }
            guard length <= 4 << 20 else { return (nil, false) }
            guard cursor + length <= filled else { return (nil, true) }
            defer { cursor += length }
            return (Array(window[cursor..<(cursor + length)]), false)
        }
        let version = string()
        guard let versionBytes = version.value else { return version.needMore ? .needMore : .invalid }
        let modinfo = string()
        guard let modinfoBytes = modinfo.value else { return modinfo.needMore ? .needMore : .invalid }
        guard versionBytes.count < 256, !versionBytes.isEmpty else { return .invalid }
        return .found(parse(version: String(decoding: versionBytes, as: UTF8.self), modinfo: modinfoBytes))
    }

    /// Parses the module info lines (after dropping the 16-byte sentinels around them).
    static func parse(version: String, modinfo: [UInt8]) -> GoBuildInfo {
        var info = GoBuildInfo(goVersion: version)
        guard modinfo.count >= 33, modinfo[modinfo.count - 17] == UInt8(ascii: "\n") else { return info }
        let text = String(decoding: modinfo[16..<(modinfo.count - 16)], as: UTF8.self)
        var lastWasMain = false
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard let kind = fields.first else { continue }
            let path = fields.count > 1 ? fields[1] : "", moduleVersion = fields.count > 2 ? fields[2] : ""
            switch kind {
            case "path": info.mainPackagePath = path
            case "mod":
                info.main = GoBuildInfo.Module(path: path, version: moduleVersion)
                lastWasMain = true
            case "dep":
                info.dependencies.append(GoBuildInfo.Module(path: path, version: moduleVersion))
                lastWasMain = false
            case "=>":
                if lastWasMain { info.main?.replacement = (path, moduleVersion) } else if !info.dependencies.isEmpty {
                    info.dependencies[info.dependencies.count - 1].replacement = (path, moduleVersion)
                }
            default: break
            }
        }
        return info
    }
}
