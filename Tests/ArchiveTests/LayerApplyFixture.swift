import Foundation
import Testing

@testable import Archive

/// A sandbox with `target/` (where layers are applied) next to `sentinel/` (which no layer may touch),
/// plus helpers to build layers with TarWriter and to snapshot everything outside the target.
final class LayerApplyFixture {
    let sandbox: URL
    let target: URL
    let sentinel: URL

    init() throws {
        sandbox = try TestSupport.temporaryDirectory()
        target = sandbox.appendingPathComponent("target")
        sentinel = sandbox.appendingPathComponent("sentinel")
        let fm = FileManager.default
        try fm.createDirectory(at: target, withIntermediateDirectories: true)
        try fm.createDirectory(at: sentinel.appendingPathComponent("dir"), withIntermediateDirectories: true)
        try TestSupport.writeFile(Array("secret".utf8), to: sentinel.appendingPathComponent("secret"))
        try TestSupport.writeFile(Array("inner".utf8), to: sentinel.appendingPathComponent("dir/inner"))
    }

    deinit { try? LayerTreeRemoval.removeTree(atPath: sandbox.path) }

    var targetPath: String { target.path }

    static func layer(_ build: (TarWriter) throws -> Void) throws -> [UInt8] {
        var bytes: [UInt8] = []
        let writer = TarWriter(bufferSize: 4096) { bytes.append(contentsOf: $0) }
        try build(writer)
        try writer.finish()
        return bytes
    }

    @discardableResult
    func apply(_ layer: [UInt8], options: LayerApplier.Options = .init()) throws -> LayerApplier.Summary {
        let applier = try LayerApplier(directory: targetPath, options: options)
        return try layer.withUnsafeBytes { try applier.apply(layerBytes: $0) }
    }

    func apply(_ build: (TarWriter) throws -> Void) throws {
        try apply(try Self.layer(build))
    }

    /// Everything in the sandbox except the target: type, mode, owner, size, link count, link target, bytes.
    func outsideSnapshot() -> [String] {
        var lines: [String] = []
        let fm = FileManager.default
        func visit(_ url: URL, _ relative: String) {
            var info = Glibc.stat()
            guard lstat(url.path, &info) == 0 else { return }
            var line = "\(relative) \(String(info.st_mode, radix: 8)) \(info.st_uid):\(info.st_gid) \(info.st_size) n\(info.st_nlink)"
            if info.st_mode & S_IFMT == S_IFLNK { line += " -> " + ((try? fm.destinationOfSymbolicLink(atPath: url.path)) ?? "?") }
            if info.st_mode & S_IFMT == S_IFREG, let data = fm.contents(atPath: url.path) { line += " " + TestSupport.sha256(Array(data)) }
            lines.append(line)
            if info.st_mode & S_IFMT == S_IFDIR, relative != "target" {  // the target is the test's business
                for name in ((try? fm.contentsOfDirectory(atPath: url.path)) ?? []).sorted() {
                    visit(url.appendingPathComponent(name), relative.isEmpty ? name : relative + "/" + name)
                }
            }
        }
        visit(sandbox, "")
        // The target's own line changes with its contents (link count, size); everything else must not.
        return lines.filter { !$0.hasPrefix("target ") }
    }

    func stat(_ relative: String) -> Glibc.stat? {
        var info = Glibc.stat()
        return lstat(target.appendingPathComponent(relative).path, &info) == 0 ? info : nil
    }

    func exists(_ relative: String) -> Bool { stat(relative) != nil }

    func contents(_ relative: String) -> String? {
        FileManager.default.contents(atPath: target.appendingPathComponent(relative).path).map { String(decoding: $0, as: UTF8.self) }
    }

    func linkTarget(_ relative: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: target.appendingPathComponent(relative).path)
    }

    /// Paths under the target, sorted ("a", "a/b").
    func listing() -> [String] {
        var result: [String] = []
        let fm = FileManager.default
        func visit(_ url: URL, _ relative: String) {
            for name in ((try? fm.contentsOfDirectory(atPath: url.path)) ?? []).sorted() {
                let path = relative.isEmpty ? name : relative + "/" + name
                result.append(path)
                var info = Glibc.stat()
                if lstat(url.appendingPathComponent(name).path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
                    visit(url.appendingPathComponent(name), path)
                }
            }
        }
        visit(target, "")
        return result
    }
}

extension TarWriter {
    func file(_ name: String, _ text: String = "", mode: UInt32 = 0o644, uid: Int = 0, gid: Int = 0, mtime: Int64 = 1_600_000_000) throws {
        try writeEntry(TarEntryHeader(name: name, kind: .regular, mode: mode, uid: uid, gid: gid, modificationTime: mtime),
                       data: Array(text.utf8))
    }

    func directory(_ name: String, mode: UInt32 = 0o755, uid: Int = 0, gid: Int = 0, mtime: Int64 = 1_600_000_000) throws {
        try writeEntry(TarEntryHeader(name: name, kind: .directory, mode: mode, uid: uid, gid: gid, modificationTime: mtime))
    }

    func symlink(_ name: String, to target: String, uid: Int = 0, gid: Int = 0) throws {
        try writeEntry(TarEntryHeader(name: name, kind: .symbolicLink, mode: 0o777, uid: uid, gid: gid,
                                      modificationTime: 1_600_000_000, linkName: target))
    }

    func hardLink(_ name: String, to target: String, mode: UInt32 = 0o644, uid: Int = 0, gid: Int = 0,
                  mtime: Int64 = 1_600_000_000) throws {
        try writeEntry(TarEntryHeader(name: name, kind: .hardLink, mode: mode, uid: uid, gid: gid, modificationTime: mtime,
                                      linkName: target))
    }
}
