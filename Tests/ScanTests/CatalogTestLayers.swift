import Archive
import Foundation
import OCI
import Testing
@testable import Scan

/// Layers for the catalog tests: tar bytes or a tar file on disk as `ImageLayerSource`s, and the oracles'
/// plumbing they share.
enum CatalogTestLayers {
    /// A layer over `bytes` (spooled to a temp file so `open` hands out a real descriptor); its diffID is the
    /// bytes' sha256 unless `claimedDiffID` says otherwise.
    static func layer(_ bytes: [UInt8], createdBy: String? = nil, claimedDiffID: Digest? = nil, in directory: URL) throws -> ImageLayerSource {
        let file = directory.appendingPathComponent("layer-\(UUID().uuidString).tar")
        try Data(bytes).write(to: file)
        return ImageLayerSource(diffID: claimedDiffID ?? Digest.sha256(bytes), createdBy: createdBy) {
            let fd = open(file.path, O_RDONLY)
            guard fd >= 0 else { throw CocoaError(.fileReadNoSuchFile) }
            return fd
        }
    }

    static func layer(_ entries: [ScanTestSupport.LayerEntry], createdBy: String? = nil, in directory: URL) throws -> ImageLayerSource {
        try layer(try ScanTestSupport.layerTar(entries), createdBy: createdBy, in: directory)
    }

    /// A layer over an existing tar file, its diffID computed here.
    static func layer(file: String, createdBy: String? = nil) throws -> ImageLayerSource {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: file))
        defer { try? handle.close() }
        var hasher = SHA256Hasher()
        while let chunk = try handle.read(upToCount: 1 << 22), !chunk.isEmpty { hasher.update(data: chunk) }
        return ImageLayerSource(diffID: hasher.finalize(), createdBy: createdBy) {
            let fd = open(file, O_RDONLY)
            guard fd >= 0 else { throw CocoaError(.fileReadNoSuchFile) }
            return fd
        }
    }

    /// Every regular file, directory and symlink under `root`, as layer entries named relative to it.
    static func entries(under root: URL, prefix: String = "") throws -> [ScanTestSupport.LayerEntry] {
        var entries: [ScanTestSupport.LayerEntry] = []
        let manager = FileManager.default
        guard let walker = manager.enumerator(atPath: root.path) else { return [] }
        for case let relative as String in walker {
            let full = root.appendingPathComponent(relative).path
            let attributes = try manager.attributesOfItem(atPath: full)
            let name = prefix + relative
            switch attributes[.type] as? FileAttributeType {
            case .typeDirectory?: entries.append(.directory(name))
            case .typeSymbolicLink?: entries.append(.symlink(name, target: try manager.destinationOfSymbolicLink(atPath: full)))
            case .typeRegular?:
                let mode = (attributes[.posixPermissions] as? NSNumber)?.uint32Value ?? 0o644
                entries.append(.file(name, Array(try Data(contentsOf: URL(fileURLWithPath: full))), mode: mode))
            default: break
            }
        }
        return entries
    }

    /// The Debian 12 rootfs tar ($DEBIAN_ROOTFS); nil when absent (a recorded failure under CI=true).
    static func debianRootfs(sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        let path = ProcessInfo.processInfo.environment["DEBIAN_ROOTFS"] ?? "/tmp/strata-peers/debian-rootfs.tar"
        if FileManager.default.fileExists(atPath: path) { return path }
        if ScanTestSupport.isCI {
            Issue.record("DEBIAN_ROOTFS (\(path)) is required under CI=true", sourceLocation: sourceLocation)
        }
        return nil
    }

    /// Runs a tool and returns its stdout as text; records a failure (and returns nil) on a non-zero exit.
    static func output(_ arguments: [String], directory: URL? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> String? {
        let result = try ScanTestSupport.run(arguments, directory: directory)
        guard result.status == 0 else {
            Issue.record("\(arguments.joined(separator: " ")) exited \(result.status)", sourceLocation: sourceLocation)
            return nil
        }
        return String(decoding: result.output, as: UTF8.self)
    }
}
