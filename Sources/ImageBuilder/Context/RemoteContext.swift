#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Archive
import Foundation
import OCI
import Registry
import Sandbox

/// A build context that is not on this machine. The docker CLI hands any argument that is not a local path to
/// BuildKit's dockerfile frontend, which reads it so: a git repository when it starts with `git://`, `git@` or
/// `github.com/`, or is an http(s) URL ending in `.git` (a `#fragment` may follow); any other http(s) URL is a
/// file to download.
public enum RemoteContextLocation: Sendable, Equatable {
    case git(GitContextSource)
    case download(url: String)

    /// The location `argument` names, or nil when it names none (a path, say).
    public init?(_ argument: String) {
        if let git = GitContextSource(argument) {
            self = .git(git)
        } else if argument.hasPrefix("http://") || argument.hasPrefix("https://") {
            self = .download(url: argument)
        } else {
            return nil
        }
    }
}

/// Why a remote context could not be had. Descriptions are BuildKit's final line (`failed to solve with frontend
/// dockerfile.v0: …`), with git's own message where BuildKit printed only an exit status; never a password.
public enum RemoteContextError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The download failed: the HTTP client's words (`Get "URL": … connection refused`, `invalid response status 404`).
    case download(String, kind: ErrorKind)
    /// `git fetch` failed for another reason than a missing ref: its exit status and message.
    case fetch(remote: String, status: Int32, message: String)
    /// The repository has no such branch, tag or commit.
    case unknownRef(String, message: String)
    /// A later git step (`init`, `checkout`, `submodule update`) failed.
    case git(step: String, remote: String, status: Int32, message: String)
    /// No git executable on the search path.
    case gitMissing
    /// The fragment's directory is not a directory inside the checkout.
    case subdirectory(String, reason: String)
    /// The Dockerfile (`-f`, else `Dockerfile`) is not in the context.
    case dockerfileNotFound(String)

    static let prefix = "failed to solve with frontend dockerfile.v0: "

    public var description: String {
        switch self {
        case .download(let reason, _):
            return Self.prefix + "failed to read downloaded context: failed to load cache key: " + reason
        case .fetch(let remote, let status, let message):
            return Self.prefix + "failed to read dockerfile: failed to load cache key: failed to fetch remote \(remote): "
                + "exit status \(status)" + (message.isEmpty ? "" : ": " + message)
        case .unknownRef(let ref, let message):
            return Self.prefix + "failed to read dockerfile: failed to load cache key: repository does not contain ref \(ref)"
                + (message.isEmpty ? "" : ": " + message)
        case .git(let step, let remote, let status, let message):
            return Self.prefix + "failed to read dockerfile: failed to \(step) \(remote): exit status \(status)"
                + (message.isEmpty ? "" : ": " + message)
        case .gitMissing:
            return "unable to prepare context: unable to find 'git': exec: \"git\": executable file not found in $PATH"
        case .subdirectory(let path, let reason):
            return Self.prefix + "failed to read dockerfile: failed to open subdir \(path): \(reason)"
        case .dockerfileNotFound(let name):
            return Self.prefix + "failed to read dockerfile: open \(name): no such file or directory"
        }
    }
}

extension RemoteContextError: KindedError {
    public var kind: ErrorKind {
        switch self {
        case .download(_, let kind): kind
        case .fetch: .unavailable
        case .unknownRef, .dockerfileNotFound, .subdirectory: .notFound
        case .git, .gitMissing: .internal
        }
    }
}

/// Opens remote build contexts into the store's build scratch directory: each in a ``ScratchSession`` of its own,
/// removed with the ``BuildContext`` (or by the next build's sweep when this process is killed). As BuildKit
/// does, a remote context's `.dockerignore` is not applied.
public enum RemoteContext {
    /// Downloads or checks out `location` into a new directory under `scratchDirectory`. `dockerfilePath` names the
    /// Dockerfile inside the context (default `Dockerfile`); `dockerfileText` (`-f -`) replaces it. `fetcher` carries
    /// the proxies and TLS settings for a download; a git checkout takes its proxy variables.
    public static func open(_ location: RemoteContextLocation, scratchDirectory: String, dockerfilePath: String? = nil,
                            dockerfileText: [UInt8]? = nil, fetcher: HTTPFetcher = HTTPFetcher()) async throws -> BuildContext {
        let session = try await BlockingWork.run(named: "strata.remote-context") {
            try ScratchSession.begin(root: scratchDirectory, name: "context-" + UUID().uuidString.lowercased())
        }
        do {
            switch location {
            case .download(let url):
                return try await openDownload(url, session: session, dockerfilePath: dockerfilePath, dockerfileText: dockerfileText,
                                              fetcher: fetcher)
            case .git(let source):
                let checkout = GitCheckout(source: source, session: session, proxyEnvironment: fetcher.options.proxyEnvironment)
                return try await BlockingWork.run(named: "strata.git-context") {
                    let directory = try checkout.run()
                    let (path, bytes) = try dockerfile(dockerfilePath, text: dockerfileText, in: directory)
                    return BuildContext(directory: directory, dockerfilePath: path, dockerfile: bytes, ignore: .empty, cacheDirectory: nil,
                                        ownedScratch: nil, origin: .git(source.display), session: session)
                }
            }
        } catch {
            // The caller usually reports the error and exits: the files go now, not with the last reference.
            _ = try? await BlockingWork.run(named: "strata.remote-context") { session.end() }
            throw error
        }
    }

    /// BuildKit's http context: the body is sniffed; a tar (plain or compressed) is unpacked as the context, anything
    /// else is the Dockerfile, and the context is that one file, named `context` (mode 0600, dated by Last-Modified).
    static func openDownload(_ url: String, session: ScratchSession, dockerfilePath: String?, dockerfileText: [UInt8]?,
                             fetcher: HTTPFetcher) async throws -> BuildContext {
        let spooled = session.path + "/download"
        let lastModified: String?
        do {
            lastModified = try await fetcher.get(url) { file in
                try await DownloadSpool.write(file.body, to: spooled)
                return file.lastModified
            }
        } catch let error as FileSystemError {
            throw error   // the spool's own write failed: not the server's fault
        } catch let error as CancellationError {
            throw error
        } catch {
            throw RemoteContextError.download(downloadReason(error), kind: ErrorKind.of(error) == .internal ? .unavailable : ErrorKind.of(error))
        }
        return try await BlockingWork.run(named: "strata.remote-context") {
            let directory = session.path + "/context"
            guard mkdir(directory, 0o755) == 0 else { throw FileSystemError("mkdir", directory, code: errno) }
            if try BuildContext.isTarArchive(spooled) {
                try BuildContext.unpackArchive(spooled, into: directory)
                unlink(spooled)
                let (path, bytes) = try dockerfile(dockerfilePath, text: dockerfileText, in: directory)
                return BuildContext(directory: directory, dockerfilePath: path, dockerfile: bytes, ignore: .empty, cacheDirectory: nil,
                                    ownedScratch: nil, origin: .download(archive: true), session: session)
            }
            let file = directory + "/context"
            guard rename(spooled, file) == 0 else { throw FileSystemError("rename", file, code: errno) }
            _ = chmod(file, 0o600)
            let modified = time_t(lastModified.flatMap(URLSourceFetcher.httpDate) ?? 0)
            var times = [timespec(tv_sec: modified, tv_nsec: 0), timespec(tv_sec: modified, tv_nsec: 0)]
            _ = utimensat(AT_FDCWD, file, &times, 0)
            guard let bytes = FileSystemCalls.readWholeFile(file, limit: BuildContext.maximumDockerfileSize + 1) else {
                throw FileSystemError("open", file, code: errno)
            }
            guard bytes.count <= BuildContext.maximumDockerfileSize else { throw BuildContextError.dockerfileTooLarge(url) }
            return BuildContext(directory: directory, dockerfilePath: dockerfileText == nil ? file : nil, dockerfile: dockerfileText ?? bytes,
                                ignore: .empty, cacheDirectory: nil, ownedScratch: nil, origin: .download(archive: false), session: session)
        }
    }

    /// The Dockerfile of a remote context: `text` when given (`-f -`), else `name` (default `Dockerfile`) inside `directory`.
    static func dockerfile(_ name: String?, text: [UInt8]?, in directory: String) throws -> (path: String?, bytes: [UInt8]) {
        if let text { return (nil, text) }
        let name = name ?? "Dockerfile"
        guard let (path, bytes) = try BuildContext.readDockerfile(name, in: directory) else {
            throw RemoteContextError.dockerfileNotFound(name)
        }
        return (path, bytes)
    }

    /// The HTTP client's failure in BuildKit's words.
    static func downloadReason(_ error: any Error) -> String {
        if case RegistryError.unexpectedStatus(let status, _) = error { return "invalid response status \(status)" }
        return String(describing: error)
    }
}

/// Writes a response body into a file as it arrives, in batches of about 1 MiB, each written on a thread of its
/// own (off the cooperative pool): memory holds one batch, never the body.
enum DownloadSpool {
    static let batchSize = 1 << 20

    static func write(_ body: RemoteFile.Body, to path: String) async throws {
        let fd = try await BlockingWork.run(named: "strata.context-download") { () throws -> Int32 in
            let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw FileSystemError("open", path, code: errno) }
            return fd
        }
        defer { close(fd) }
        var batch: [UInt8] = []
        batch.reserveCapacity(batchSize)
        for try await chunk in body {
            batch += chunk
            if batch.count >= batchSize {
                try await flush(batch, to: fd, path: path)
                batch = []
                batch.reserveCapacity(batchSize)
            }
        }
        if !batch.isEmpty { try await flush(batch, to: fd, path: path) }
    }

    private static func flush(_ batch: [UInt8], to fd: Int32, path: String) async throws {
        try await BlockingWork.run(named: "strata.context-download") {
            try batch.withUnsafeBytes { try FileSystemCalls.writeAll(fd, $0, display: path) }
        }
    }
}
