import Foundation
import SystemPackage

/// Files that hold secrets or settings a user owns (docker's config.json, signing keys, signature policies): written
/// atomically (a temporary file in the same directory, fsync, rename, the directory synced), created with the mode
/// given (0600 by default) before any byte goes in, so a reader never sees a half-written or world-readable file.
public enum PrivateFile {
    public struct WriteError: Error, Sendable, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "\(path): \(reason)" }
    }

    public static func write(_ data: Data, to target: String, mode: mode_t = 0o600) throws(WriteError) {
        let directory = (target as NSString).deletingLastPathComponent
        let base = (target as NSString).lastPathComponent
        var template = Array("\(directory.isEmpty ? "." : directory)/.\(base).tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw WriteError(path: target, reason: "cannot create a temporary file: \(errnoText())") }
        let temporary = String(cString: template)
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        do {
            defer { close(fd) }
            guard fchmod(fd, mode) == 0 else { throw WriteError(path: temporary, reason: "chmod: \(errnoText())") }
            do { _ = try data.withUnsafeBytes { try FileDescriptor(rawValue: fd).writeAll($0) } } catch {
                throw WriteError(path: temporary, reason: "write: \(error)")
            }
            guard fsync(fd) == 0 else { throw WriteError(path: temporary, reason: "fsync: \(errnoText())") }
        }
        guard rename(temporary, target) == 0 else { throw WriteError(path: target, reason: "rename: \(errnoText())") }
        renamed = true
        let directoryFD = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY)
        if directoryFD >= 0 { _ = fsync(directoryFD); close(directoryFD) }
    }

    /// Creates `path` (and its parents) with mode 0700 when missing; an existing non-directory is an error.
    public static func makeDirectory(_ path: String) throws(WriteError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw WriteError(path: path, reason: "not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw WriteError(path: path, reason: "cannot create: \((error as NSError).localizedDescription)")
        }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
