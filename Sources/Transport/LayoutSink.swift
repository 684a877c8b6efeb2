import Archive
import Foundation
import OCI

/// Where an archive-shaped destination puts its files: a tar stream or a directory.
public protocol LayoutSink: AnyObject {
    func hasFile(_ path: String) -> Bool
    func writeFile(_ path: String, data: Data) throws
    /// Streams `size` bytes from `reader`; `reader.finish()` is called before the file counts as written.
    func writeFile(_ path: String, size: Int64, from reader: VerifyingBlobReader) async throws
    func makeSymlink(_ path: String, target: String) throws
    func finish() throws
    func abort()
}

/// Writes entries into one tar stream (docker's save output: root-owned, mode 0644/0755, mtime of the epoch,
/// so the same images always give the same bytes).
public final class TarSink: LayoutSink {
    private let writer: TarWriter
    private var written = Set<String>()

    public init(fileDescriptor: Int32) {
        writer = TarWriter(fileDescriptor: fileDescriptor)
    }

    public func hasFile(_ path: String) -> Bool { written.contains(path) }

    private func addParents(of path: String) throws {
        var parts = path.split(separator: "/").dropLast()
        var prefixes: [String] = []
        while !parts.isEmpty {
            prefixes.append(parts.joined(separator: "/") + "/")
            parts = parts.dropLast()
        }
        for directory in prefixes.reversed() where !written.contains(directory) {
            written.insert(directory)
            try writer.writeHeader(TarEntryHeader(name: directory, kind: .directory, mode: 0o755))
        }
    }

    public func writeFile(_ path: String, data: Data) throws {
        try addParents(of: path)
        written.insert(path)
        try writer.writeEntry(TarEntryHeader(name: path, kind: .regular, mode: 0o644), data: [UInt8](data))
    }

    public func writeFile(_ path: String, size: Int64, from reader: VerifyingBlobReader) async throws {
        try addParents(of: path)
        try writer.writeHeader(TarEntryHeader(name: path, kind: .regular, size: size, mode: 0o644))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let count = try await reader.read(into: buffer)
            if count == 0 { break }
            try writer.writeData(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        try reader.finish()
        written.insert(path)
    }

    public func makeSymlink(_ path: String, target: String) throws {
        try addParents(of: path)
        written.insert(path)
        try writer.writeHeader(TarEntryHeader(name: path, kind: .symbolicLink, mode: 0o777, linkName: target))
    }

    public func finish() throws { try writer.finish() }
    public func abort() {}
}

/// Writes files under a directory (an OCI layout dir). Each file appears atomically (temp name, then rename),
/// so an interrupted save never leaves a blob whose content does not match its name.
public final class DirectorySink: LayoutSink {
    public let root: String

    public init(root: String) throws {
        self.root = root
        try Self.makeDirectory(root)
    }

    private static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw TransportError.unsupported("mkdir \(path): \(error.localizedDescription)")
        }
    }

    private func fullPath(_ path: String) -> String { root + "/" + path }

    public func hasFile(_ path: String) -> Bool { access(fullPath(path), F_OK) == 0 }

    public func writeFile(_ path: String, data: Data) throws {
        let (fd, temporary) = try openTemporary(for: path)
        do {
            try data.withUnsafeBytes { try FileDescriptorIO.writeAll(fd, $0) }
            try place(fd, temporary, path)
        } catch {
            close(fd); unlink(temporary)
            throw error
        }
    }

    public func writeFile(_ path: String, size: Int64, from reader: VerifyingBlobReader) async throws {
        let (fd, temporary) = try openTemporary(for: path)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        do {
            while true {
                let count = try await reader.read(into: buffer)
                if count == 0 { break }
                try FileDescriptorIO.writeAll(fd, UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            }
            try reader.finish()
            try place(fd, temporary, path)
        } catch {
            close(fd); unlink(temporary)
            throw error
        }
    }

    public func makeSymlink(_ path: String, target: String) throws {
        unlink(fullPath(path))
        guard symlink(target, fullPath(path)) == 0 else { throw ArchiveError.systemCall("symlink \(path)", errno: errno) }
    }

    public func finish() throws {}
    public func abort() {}

    private func openTemporary(for path: String) throws -> (Int32, String) {
        let destination = fullPath(path)
        try Self.makeDirectory((destination as NSString).deletingLastPathComponent)
        let temporary = destination + ".tmp-\(getpid())"
        let fd = open(temporary, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ArchiveError.systemCall("open \(temporary)", errno: errno) }
        return (fd, temporary)
    }

    private func place(_ fd: Int32, _ temporary: String, _ path: String) throws {
        guard close(fd) == 0 else { throw ArchiveError.systemCall("close \(temporary)", errno: errno) }
        guard rename(temporary, fullPath(path)) == 0 else { throw ArchiveError.systemCall("rename \(temporary)", errno: errno) }
    }
}
