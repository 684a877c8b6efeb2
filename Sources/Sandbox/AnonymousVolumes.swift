#if canImport(Glibc)
import Glibc
#endif
import Archive
import Foundation

/// What `docker run` does with an image's `VOLUME`s: each path gets a new anonymous volume, mounted over it,
/// that starts as a copy of what the image has there (content, owner and mode; an empty 0755 root-owned
/// directory when the image has nothing). The volumes live in the container's directory, so `--rm` drops them
/// with it, as `docker run --rm` removes anonymous volumes.
public enum AnonymousVolumes {
    /// Mounts for `paths` (sorted, so the same image mounts the same way), except those a `-v` already covers.
    public static func prepare(_ paths: Set<String>, rootfs: String, in directory: String,
                               skipping taken: Set<String>) throws -> [SandboxMount] {
        var mounts: [SandboxMount] = []
        for (index, path) in paths.sorted().enumerated() {
            let clean = "/" + path.split(separator: "/").joined(separator: "/")
            if taken.contains(clean) { continue }
            let volume = directory + "/volumes/\(index)"
            try FileManager.default.createDirectory(atPath: volume, withIntermediateDirectories: true)
            let source = try ScopedPath.resolve(clean, in: rootfs)
            var info = stat()
            if lstat(source, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
                try copyTree(from: source, to: volume)
                _ = chown(volume, info.st_uid, info.st_gid)
                _ = chmod(volume, info.st_mode & 0o7777)
            } else {
                _ = chmod(volume, 0o755)
            }
            mounts.append(SandboxMount(kind: .bind(source: volume), destination: clean, readOnly: false))
        }
        return mounts
    }

    /// A faithful copy (owners, modes, times, links, xattrs) through the layer code: a tar stream into an applier.
    private static func copyTree(from source: String, to target: String) throws {
        let pipe = try DirectoryTarStream.openPipe(directory: source)
        let applied = Result { try LayerApplier(directory: target).apply(layerFrom: pipe.fileDescriptor) }
        close(pipe.fileDescriptor)
        let written = Result { try pipe.waitForWriter() }
        _ = try applied.get()
        try written.get()
    }
}
