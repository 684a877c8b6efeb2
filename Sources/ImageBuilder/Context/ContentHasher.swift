#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Foundation
import Synchronization

/// SHA-256 of file contents, many files at once on every core.
enum ContentHasher {
    static let bufferSize = 1 << 20

    /// Hashes the file at `path` (never following a final symlink).
    static func sha256(path: String, buffer: UnsafeMutableRawBufferPointer) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError("open", path, code: errno) }
        defer { close(fd) }
        #if os(Linux)
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        #endif
        var hasher = SHA256()
        while true {
            let n = try FileSystemCalls.readSome(fd, into: buffer, display: path)
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[..<n]))
        }
        return Array(hasher.finalize())
    }

    /// Hashes `paths` concurrently; results in the same order. Large files are spread so that
    /// each worker gets a similar byte count.
    static func sha256(paths: [String], sizes: [Int64]) throws -> [[UInt8]] {
        if paths.isEmpty { return [] }
        let workers = min(max(ProcessInfo.processInfo.activeProcessorCount, 1), paths.count)
        let results = UnsafeMutableBufferPointer<[UInt8]>.allocate(capacity: paths.count)
        results.initialize(repeating: [])
        defer { results.deallocate() }
        let failure = Mutex<(any Error)?>(nil)
        let next = Mutex(0)
        // Biggest first so a single large file does not finish last on one core.
        let order = sizes.indices.sorted { sizes[$0] > sizes[$1] }
        nonisolated(unsafe) let slots = results
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 64)
            defer { buffer.deallocate() }
            while failure.withLock({ $0 == nil }) {
                let i = next.withLock { next in
                    defer { next += 1 }
                    return next
                }
                guard i < order.count else { break }
                let index = order[i]
                do { slots[index] = try sha256(path: paths[index], buffer: buffer) } catch {
                    failure.withLock { if $0 == nil { $0 = error } }
                }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        return Array(results)
    }
}
