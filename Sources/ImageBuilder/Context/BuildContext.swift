#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Archive
import Crypto
import Dockerfile
import Foundation
import GoText
import OCI
import Sandbox

/// Why a build context could not be opened; descriptions follow the docker CLI.
public enum BuildContextError: Error, Sendable, Equatable, CustomStringConvertible {
    case notADirectory(String)
    case dockerfileNotFound(String)
    case ignoreFile(String, DockerIgnoreError)
    case unreadableStream(String)
    /// More than ``BuildContext/maximumDockerfileSize`` bytes (say, `-f /dev/zero`): refused before it is parsed.
    case dockerfileTooLarge(String)

    public var description: String {
        switch self {
        case .notADirectory(let path): return "unable to prepare context: path \"\(path)\" not found"
        case .dockerfileNotFound(let path): return "unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat \(path): no such file or directory"
        case .ignoreFile(_, let error): return "failed to parse dockerignore: \(error)"
        case .unreadableStream(let reason): return "unable to prepare context: \(reason)"
        case .dockerfileTooLarge(let path):
            return "failed to read dockerfile: \(path) is larger than \(BuildContext.maximumDockerfileSize >> 20) MiB"
        }
    }
}

/// Where a build context came from: BuildKit shows different `[internal]` steps for each.
public enum ContextOrigin: Sendable, Equatable {
    /// A directory, or a tar on stdin.
    case local
    /// A git repository; the URL as shown (any password replaced).
    case git(String)
    /// An http(s) URL: an archive unpacked as the context, or a Dockerfile served as a file.
    case download(archive: Bool)
}

/// The files a build may read: a context directory (or a tar from stdin, a download or a git checkout in a
/// scratch directory), its `.dockerignore`, and the Dockerfile, which may live outside the context.
/// Content digests of COPY sources come from here; a persistent stat cache means unchanged files are
/// not read again on a rebuild. Thread-safe.
public final class BuildContext: Sendable {
    /// The largest Dockerfile read (real ones are kilobytes; this bounds what `-f /dev/zero` costs).
    public static let maximumDockerfileSize = 4 << 20

    /// The context root (absolute).
    public let directory: String
    /// The Dockerfile's path (absolute), or nil when the Dockerfile came as stdin text.
    public let dockerfilePath: String?
    /// The Dockerfile's bytes.
    public let dockerfile: [UInt8]
    /// The parsed `.dockerignore` (empty when absent).
    public let ignore: DockerIgnore
    /// The context as a COPY source: filtered by `.dockerignore`, owners reset to 0:0.
    public let tree: SourceTree
    public let origin: ContextOrigin
    /// A scratch directory this context owns (a tar context's unpacked files), removed on deinit.
    let ownedScratch: String?
    /// The scratch session holding a remote context (removed when the context goes, swept if the process dies).
    let session: ScratchSession?
    let statCache: ContextStatCache

    init(directory: String, dockerfilePath: String?, dockerfile: [UInt8], ignore: DockerIgnore,
         cacheDirectory: String?, ownedScratch: String?, origin: ContextOrigin = .local, session: ScratchSession? = nil) {
        self.directory = directory
        self.dockerfilePath = dockerfilePath
        self.dockerfile = dockerfile
        self.ignore = ignore
        self.ownedScratch = ownedScratch
        self.origin = origin
        self.session = session
        tree = SourceTree(rootDirectory: directory, filter: ContextFilter(ignore: ignore), resetsOwnership: true)
        statCache = ContextStatCache(cacheDirectory: ownedScratch == nil ? cacheDirectory : nil, contextRoot: directory)
    }

    deinit {
        if let ownedScratch { try? FileManager.default.removeItem(atPath: ownedScratch) }
    }

    /// Removes the files this context owns (a download, a checkout, a tar from stdin) now, not at deinit: a
    /// command that exits may still hold references. Nothing may read the context afterwards.
    public func discard() {
        session?.end()
        if let ownedScratch { try? FileManager.default.removeItem(atPath: ownedScratch) }
    }

    /// Opens a context directory. `dockerfilePath` (default `<directory>/Dockerfile`) is taken relative
    /// to the current directory, as `docker build -f` does, and may be outside the context;
    /// `ignoreFile` defaults to `<directory>/.dockerignore`. The stat cache lives in `cacheDirectory`.
    public static func open(directory: String, dockerfilePath: String? = nil, ignoreFile: String? = nil,
                            cacheDirectory: String? = nil) throws -> BuildContext {
        let root = absolutePath(directory)
        guard let status = FileSystemCalls.lstatPath(root).flatMap({ $0.kind == .symlink ? statFollowing(root) : $0 }),
              status.kind == .directory else { throw BuildContextError.notADirectory(directory) }
        var dockerfile = dockerfilePath.map(absolutePath) ?? root + "/Dockerfile"
        // As the docker CLI does: without -f, a lowercase `dockerfile` serves when `Dockerfile` is absent.
        if dockerfilePath == nil, access(dockerfile, F_OK) != 0, access(root + "/dockerfile", F_OK) == 0 { dockerfile = root + "/dockerfile" }
        guard let bytes = FileSystemCalls.readWholeFile(dockerfile, limit: maximumDockerfileSize + 1) else {
            throw BuildContextError.dockerfileNotFound(dockerfile)
        }
        guard bytes.count <= maximumDockerfileSize else { throw BuildContextError.dockerfileTooLarge(dockerfile) }
        // BuildKit reads `<Dockerfile>.dockerignore` beside the Dockerfile in preference to the context's.
        let specific = dockerfile + ".dockerignore"
        let ignore = try readIgnore(ignoreFile.map(absolutePath) ?? (access(specific, F_OK) == 0 ? specific : root + "/.dockerignore"))
        return BuildContext(directory: realPath(root), dockerfilePath: dockerfile, dockerfile: bytes, ignore: ignore,
                            cacheDirectory: cacheDirectory, ownedScratch: nil)
    }

    /// Opens `docker build -` input: a tar (plain, gzip, bzip2, xz or zstd) is unpacked into a new
    /// directory under `scratchDirectory` and the Dockerfile is read from it (`dockerfilePath` relative to
    /// the tar's root, default "Dockerfile"); anything else is the Dockerfile itself with an empty context.
    public static func open(tarStream fd: Int32, scratchDirectory: String, dockerfilePath: String? = nil) throws -> BuildContext {
        try FileManager.default.createDirectory(atPath: scratchDirectory, withIntermediateDirectories: true)
        var template = Array((absolutePath(scratchDirectory) + "/context-XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw FileSystemError("mkdtemp", scratchDirectory, code: errno)
        }
        let scratch = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        do {
            let unpacked = scratch + "/context"
            let stdinCopy = scratch + "/stdin"
            // The stream is spooled first: it must be sniffed, and a non-tar is the Dockerfile itself.
            try spool(fd, to: stdinCopy)
            mkdir(unpacked, 0o755)
            if try isTarArchive(stdinCopy) {
                try unpackArchive(stdinCopy, into: unpacked)
                unlink(stdinCopy)
                let name = dockerfilePath ?? "Dockerfile"
                guard let (path, bytes) = try readDockerfile(name, in: unpacked) else {
                    throw BuildContextError.unreadableStream("Cannot locate specified Dockerfile: \(name)")
                }
                let ignore = try readIgnore(unpacked + "/.dockerignore")
                return BuildContext(directory: unpacked, dockerfilePath: path, dockerfile: bytes,
                                    ignore: ignore, cacheDirectory: nil, ownedScratch: scratch)
            }
            let bytes = FileSystemCalls.readWholeFile(stdinCopy, limit: maximumDockerfileSize + 1) ?? []
            guard bytes.count <= maximumDockerfileSize else { throw BuildContextError.dockerfileTooLarge("-") }
            unlink(stdinCopy)
            return BuildContext(directory: unpacked, dockerfilePath: nil, dockerfile: bytes, ignore: .empty,
                                cacheDirectory: nil, ownedScratch: scratch)
        } catch {
            try? FileManager.default.removeItem(atPath: scratch)
            throw error
        }
    }

    /// Files hashed (not answered by the stat cache) since this context was opened.
    public var hashedFileCount: Int { statCache.hashedCount }
    /// The bytes of those files.
    public var hashedByteCount: Int64 { statCache.hashedBytes }

    // MARK: Helpers

    /// Unpacks a tar (plain or compressed) into `directory`, owners not kept: a context, not a layer.
    static func unpackArchive(_ archive: String, into directory: String) throws {
        let input = Glibc.open(archive, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw FileSystemError("open", archive, code: errno) }
        defer { close(input) }
        let applier = try LayerApplier(directory: directory, options: .init(preserveOwnership: false, applyXattrs: false))
        try applier.apply(layerFrom: input)
    }

    /// The Dockerfile `name` inside `root` (symlinks resolved within it): its path and bytes, nil when absent.
    static func readDockerfile(_ name: String, in root: String) throws -> (path: String, bytes: [UInt8])? {
        guard let resolved = try? SourceTree(rootDirectory: root).resolve(name),
              let bytes = FileSystemCalls.readWholeFile(root + "/" + resolved.path, limit: maximumDockerfileSize + 1) else { return nil }
        guard bytes.count <= maximumDockerfileSize else { throw BuildContextError.dockerfileTooLarge(name) }
        return (root + "/" + resolved.path, bytes)
    }

    static func readIgnore(_ path: String) throws -> DockerIgnore {
        guard let bytes = FileSystemCalls.readWholeFile(path, limit: 16 << 20) else { return .empty }
        do { return try DockerIgnore(parsing: String(decoding: bytes, as: UTF8.self)) } catch {
            throw BuildContextError.ignoreFile(path, error)
        }
    }

    static func absolutePath(_ path: String) -> String {
        if path.hasPrefix("/") { return GoPath.clean(path) }
        return GoPath.clean(FileManager.default.currentDirectoryPath + "/" + path)
    }

    static func realPath(_ path: String) -> String {
        guard let resolved = Glibc.realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func statFollowing(_ path: String) -> FileStatus? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileStatus(info)
    }

    static func spool(_ fd: Int32, to path: String) throws {
        let out = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard out >= 0 else { throw FileSystemError("open", path, code: errno) }
        defer { close(out) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try FileSystemCalls.readSome(fd, into: $0, display: "stdin") }
            if n == 0 { break }
            try buffer.withUnsafeBytes { try FileSystemCalls.writeAll(out, UnsafeRawBufferPointer(rebasing: $0[..<n]), display: path) }
        }
    }

    /// Whether the file holds a tar, possibly compressed (docker sniffs the decompressed header block).
    static func isTarArchive(_ path: String) throws -> Bool {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError("open", path, code: errno) }
        defer { close(fd) }
        guard let input = try? DecompressingInput(fileDescriptor: fd) else { return false }
        defer { input.close() }
        var block = [UInt8](repeating: 0, count: 512)
        var filled = 0
        while filled < 512 {
            let n = (try? block.withUnsafeMutableBytes { try input.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }) ?? 0
            if n <= 0 { break }
            filled += n
        }
        return filled == 512 && TarHeaderCheck.isHeader(block)
    }
}

/// Go's `archive/tar` acceptance of a first header block: a valid checksum (docker's IsArchive test).
enum TarHeaderCheck {
    static func isHeader(_ block: [UInt8]) -> Bool {
        guard block.count >= 512 else { return false }
        let field = block[148..<156]
        let digits = field.prefix { $0 != 0 && $0 != 0x20 }.drop { $0 == 0x20 }
        let trimmed = field.drop { $0 == 0x20 || $0 == 0 }.prefix { $0 >= 0x30 && $0 <= 0x37 }
        guard !trimmed.isEmpty || !digits.isEmpty, let recorded = Int(String(decoding: trimmed, as: UTF8.self), radix: 8) else { return false }
        var unsigned = 0
        var signed = 0
        for (i, byte) in block.prefix(512).enumerated() {
            let value = (148..<156).contains(i) ? 0x20 : byte
            unsigned += Int(value)
            signed += Int(Int8(bitPattern: value))
        }
        return recorded == unsigned || recorded == signed
    }
}
