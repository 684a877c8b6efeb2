#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Foundation
import GoText
import OCI
import Registry

/// ADD of an http(s) URL, as BuildKit does it: the body becomes one file (never extracted), named after
/// the URL path's last segment when the destination ends in "/", mode 0600, owned by `--chown` (else
/// 0:0), its mtime taken from Last-Modified (the epoch without one); `--checksum=sha256:…` must match the body.
/// The download goes through `fetcher`, so it takes the registry client's proxies and TLS settings.
enum URLSourceFetcher {
    static func fetch(_ url: String, request: CopyRequest, into rootDirectory: String, fetcher: HTTPFetcher) async throws {
        let (destination, isDirectory) = request.resolvedDestination
        let root = try DestinationRoot(path: rootDirectory)
        var target = destination
        if isDirectory || root.statFollowing(destination)?.kind == .directory {
            target = (destination == "/" ? "" : destination) + "/" + fileName(for: url)
        }
        let owner = try request.chown.map { spec throws(CopyOwner.UnknownName) in try CopyOwner.resolve(spec, in: root) }
            ?? CopyOwner(uid: 0, gid: 0)
        let mode = try request.chmod.map(CopyMode.parse)?.apply(to: 0o600, isDirectory: false) ?? 0o600
        var expected: [UInt8]?
        if let checksum = request.checksum {
            guard checksum.hasPrefix("sha256:"), let bytes = hexBytes(checksum.dropFirst(7)), bytes.count == 32 else {
                throw CopyError.unsupportedChecksum(checksum)
            }
            expected = bytes
        }

        do {
            try await fetcher.get(url) { file in
                try await write(file, to: target, in: root, owner: owner, mode: mode, expected: expected, checksum: request.checksum)
            }
        } catch RegistryError.unexpectedStatus(let status, _) {
            throw CopyError.fetchFailed("invalid response status \(status)")
        }
    }

    /// Streams `file` into a temporary file beside `target`, checks it, gives it its owner, mode and mtime,
    /// then renames it into place (a directory there is not replaced).
    private static func write(_ file: RemoteFile, to target: String, in root: DestinationRoot, owner: CopyOwner, mode: UInt32,
                              expected: [UInt8]?, checksum: String?) async throws {
        let (parentPath, name) = DestinationRoot.split(target)
        let parent = try root.openDirectory(parentPath, create: .init(uid: owner.uid, gid: owner.gid))
        defer { close(parent.fd) }
        let hostPath = root.hostPath(parent.components + [name])
        let temporary = ".strata-add-\(getpid())-\(name)"
        let output = openat(parent.fd, temporary, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw FileSystemError("open", hostPath, code: errno) }
        var hasher = SHA256()
        do {
            defer { close(output) }
            for try await chunk in file.body {
                try chunk.withUnsafeBytes { bytes in
                    hasher.update(bufferPointer: bytes)
                    try FileSystemCalls.writeAll(output, bytes, display: hostPath)
                }
            }
            let actual = Array(hasher.finalize())
            if let expected, expected != actual {
                throw CopyError.checksumMismatch(expected: checksum ?? "", actual: "sha256:" + hex(actual))
            }
            _ = fchown(output, owner.uid, owner.gid)
            _ = fchmod(output, mode_t(mode))
            // docker: without Last-Modified the file gets the epoch as its mtime.
            let modified = file.lastModified.flatMap(httpDate) ?? 0
            var times = [timespec(tv_sec: time_t(modified), tv_nsec: 0), timespec(tv_sec: time_t(modified), tv_nsec: 0)]
            _ = futimens(output, &times)
        } catch {
            unlinkat(parent.fd, temporary, 0)
            throw error
        }
        if let existing = FileSystemCalls.lstatAt(parent.fd, name), existing.kind == .directory {
            unlinkat(parent.fd, temporary, 0)
            throw CopyError.cannotReplaceDirectory(hostPath)
        }
        guard renameat(parent.fd, temporary, parent.fd, name) == 0 else { throw FileSystemError("rename", hostPath, code: errno) }
    }

    /// BuildKit names the file after the URL path's base; a path without one gives "__unnamed__".
    static func fileName(for url: String) -> String {
        let path = URLComponents(string: url)?.path ?? ""
        let base = GoPath.clean(path.isEmpty ? "/" : path).split(separator: "/").last.map(String.init) ?? ""
        return base.isEmpty || base == "." ? "__unnamed__" : base
    }

    static func httpDate(_ text: String) -> Int64? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970) }
        }
        return nil
    }

    static func hexBytes(_ text: Substring) -> [UInt8]? {
        let chars = Array(text.lowercased().utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < chars.count {
            guard let high = Int(String(UnicodeScalar(chars[i])), radix: 16), let low = Int(String(UnicodeScalar(chars[i + 1])), radix: 16) else { return nil }
            out.append(UInt8(high << 4 | low))
            i += 2
        }
        return out
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined() }
}
