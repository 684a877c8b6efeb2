#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Archive
import OCI

/// Streams one layer's tar (decoded on a thread of its own, hashed as it goes) into the catalog's file
/// state: candidate files are read and handed to their cataloger, symlinks and hard links recorded,
/// whiteouts and opaque directories applied to what lower layers left. Nothing else is kept.
struct LayerCatalogReader {
    var options: CatalogOptions

    /// Reads layer `index`. A layer whose complete stream does not hash to its diffID throws; a truncated
    /// or corrupt stream leaves a warning and what was read before the damage.
    func read(_ layer: ImageLayerSource, index: Int, into state: inout CatalogFileState, warnings: inout [String]) throws {
        let fd: Int32
        do {
            fd = try layer.open()
        } catch {
            throw CatalogError.unreadableLayer(index: index, diffID: layer.diffID, reason: "\(error)")
        }
        defer { close(fd) }
        var removed = Set<String>()
        var opaque = Set<String>()
        do {
            let input = try DecompressingInput(fileDescriptor: fd, decodeAhead: true, measuring: !layer.isProven)
            defer { input.close() }
            let reader = TarEntryReader(input: input, measuring: !layer.isProven)
            while let header = try reader.next() {
                try readEntry(header, reader: reader, layer: index, state: &state, removed: &removed, opaque: &opaque)
            }
            let digest = try reader.finishMeasuring()
            if let digest, digest != layer.diffID {
                throw CatalogError.diffIDMismatch(index: index, expected: layer.diffID, actual: digest)
            }
        } catch let error as CatalogError {
            throw error
        } catch {
            let reason = String(describing: error).split(separator: "\n").first.map(String.init) ?? "read error"
            warnings.append("layer \(index) (\(layer.diffID)): unreadable past some point (\(reason)); cataloged what came before")
        }
        state.applyRemovals(removed: removed, opaque: opaque, layer: index)
    }

    private func readEntry(
        _ header: TarEntryHeader, reader: TarEntryReader, layer: Int, state: inout CatalogFileState,
        removed: inout Set<String>, opaque: inout Set<String>
    ) throws {
        let path = Self.clean(header.name)
        guard !path.isEmpty else { return }
        let slash = path.lastIndex(of: "/")
        let base = slash.map { path[path.index(after: $0)...] } ?? Substring(path)
        if base.hasPrefix(".wh.") {
            let parent = slash.map { String(path[..<$0]) } ?? ""
            if base == ".wh..wh..opq" {
                opaque.insert(parent)
            } else if !base.hasPrefix(".wh..wh.") {  // AUFS metadata (.wh..wh.plnk…) means nothing here
                let name = base.dropFirst(4)
                if !name.isEmpty && name != "." && name != ".." { removed.insert(parent.isEmpty ? String(name) : parent + "/" + name) }
            }
            return
        }
        switch header.kind {
        case .regular:
            guard let candidate = CatalogCandidate.classify(path: path, mode: header.mode),
                  candidate.packageType.map(options.packageTypes.contains) ?? true
            else {
                state.overwrite(path, layer: layer)
                return
            }
            try readCandidate(candidate, path: path, size: header.size, reader: reader, layer: layer, state: &state)
        case .symbolicLink:
            state.put(path, layer: layer, content: .symlink(header.linkName))
        case .hardLink:
            let target = Self.clean(header.linkName)
            if let file = state[target] {
                state.put(path, layer: layer, content: file.content, warnings: file.warnings)
            } else {
                state.overwrite(path, layer: layer)
            }
        default:  // a directory, device or fifo replaces whatever file or symlink was there
            state.overwrite(path, layer: layer)
        }
    }

    private func readCandidate(
        _ candidate: CatalogCandidate, path: String, size: Int64, reader: TarEntryReader, layer: Int,
        state: inout CatalogFileState
    ) throws {
        var warnings: [String] = []
        switch candidate {
        case .executable:
            switch try GoBuildInfoScanner.scan({ try reader.readData(into: $0) }) {
            case .notGo: state.overwrite(path, layer: layer)
            case .legacyFormat:
                state.put(path, layer: layer, content: .packages([]),
                          warnings: ["/\(path): Go build info from before Go 1.18 is not read"])
            case .found(let info): state.put(path, layer: layer, content: .packages(info.packages))
            }
            return
        case .dpkgFileList:
            state.put(path, layer: layer, content: .marker)
            return
        case .rpmLegacyDatabase:
            state.put(path, layer: layer, content: .packages([]),
                      warnings: ["/\(path): unsupported rpmdb format (BerkeleyDB or NDB; only SQLite rpmdbs are read)"])
            return
        case .javaArchive:
            let packages = try JavaArchiveCataloger.packages(
                entrySize: size, reader: reader, path: path, options: options, warnings: &warnings)
            state.put(path, layer: layer, content: .packages(packages), warnings: warnings)
            return
        default: break
        }
        guard let bytes = try reader.readAll(limit: options.maxFileSize) else {
            state.put(path, layer: layer, content: .packages([]),
                      warnings: ["/\(path): \(size) bytes, over the \(options.maxFileSize)-byte limit for a cataloged file; skipped"])
            return
        }
        let content: TrackedFile.Content
        switch candidate {
        case .osRelease, .alpineRelease, .debianVersion: content = .text(Array(bytes.prefix(64 << 10)))
        case .dpkgCopyright: content = .licenses(DpkgCataloger.licenses(copyright: bytes))
        case .dpkgStatus, .dpkgStatusEntry:
            content = .packages(DpkgCataloger.packages(status: bytes, path: path, warnings: &warnings))
        case .apkInstalled: content = .packages(ApkCataloger.packages(installed: bytes, path: path, warnings: &warnings))
        case .rpmSQLite: content = .packages(RpmCataloger.packages(sqlite: bytes, path: path, warnings: &warnings))
        case .pythonMetadata: content = .packages(PythonCataloger.packages(metadata: bytes, path: path, warnings: &warnings))
        case .npmPackageJSON:
            content = .packages(NpmCataloger.packages(packageJSON: bytes, path: path, warnings: &warnings))
        case .npmLockfile: content = .packages(NpmCataloger.packages(lockfile: bytes, path: path, warnings: &warnings))
        case .executable, .dpkgFileList, .rpmLegacyDatabase, .javaArchive: return
        }
        state.put(path, layer: layer, content: content, warnings: warnings)
    }

    /// A tar name as a path relative to the image root: no leading `/` or `./`, no `.` or empty
    /// components, `..` resolved without climbing out.
    static func clean(_ name: String) -> String {
        let needsWork = name.hasPrefix("/") || name.hasPrefix("./") || name.hasSuffix("/") || name.contains("//")
            || name.contains("/./") || name.contains("..") || name == "."
        guard needsWork else { return name }
        var parts: [Substring] = []
        for part in name.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        return parts.joined(separator: "/")
    }
}
