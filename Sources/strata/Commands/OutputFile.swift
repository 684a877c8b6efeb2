import Foundation

/// `-o FILE` for `save` and `export`, as docker's CLI treats it: the path is checked first (its directory must exist;
/// an existing device or irregular file is refused with docker's words), then the archive goes to a temporary file
/// beside it that is renamed into place once complete. A FIFO is written in place. The temporary file is locked
/// while it is written, so temporaries left by a killed run (kill -9) are recognised by their free lock and swept.
enum OutputFile {
    static let temporaryPrefix = ".strata_temp_"

    /// docker's `ValidateOutputPath`, wrapped as `<action>: …` ("failed to save image").
    static func validate(_ path: String, action: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty && directory != "." {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
                throw CLIError(message: "\(action): invalid output path: directory \"\(directory)\" does not exist")
            }
        }
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        switch info.st_mode & S_IFMT {
        case S_IFREG, S_IFDIR, S_IFIFO: return
        case S_IFCHR, S_IFBLK:
            throw CLIError(message: "\(action): invalid output path: \"\(path)\" must be a directory or a regular file: got a device")
        default:
            throw CLIError(message: "\(action): invalid output path: \"\(path)\" must be a directory or a regular file: got an irregular file")
        }
    }

    /// Runs `body` with a descriptor to write the archive to, and puts the result at `path` only when it succeeded.
    static func write(to path: String, action: String, _ body: (Int32) async throws -> Void) async throws {
        try validate(path, action: action)
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFIFO {
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw CLIError(message: "\(action): open \(path): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            try await body(fd)
            return
        }
        let directory = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        sweepAbandoned(in: directory)
        var template = Array((directory + "/" + temporaryPrefix + "XXXXXX").utf8CString)
        var fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw CLIError(message: "\(action): open \(path): \(String(cString: strerror(errno)))") }
        let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        _ = flock(fd, LOCK_EX)
        do {
            try await body(fd)
            guard fchmod(fd, 0o644) == 0, fsync(fd) == 0 else {
                throw CLIError(message: "\(action): \(String(cString: strerror(errno)))")
            }
            guard rename(temporary, path) == 0 else {
                throw CLIError(message: "\(action): rename \(path): \(String(cString: strerror(errno)))")
            }
            close(fd)
            fd = -1
        } catch {
            if fd >= 0 { close(fd) }
            unlink(temporary)
            throw error
        }
    }

    /// Removes temporaries in `directory` whose writer is gone (their lock is free).
    static func sweepAbandoned(in directory: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(temporaryPrefix) {
            let candidate = directory + "/" + name
            let fd = open(candidate, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else { continue }
            var info = stat()
            if fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, flock(fd, LOCK_EX | LOCK_NB) == 0 {
                unlink(candidate)
            }
            close(fd)
        }
    }
}
