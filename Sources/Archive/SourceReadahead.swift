#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Asks the kernel to read the files a walk is about to archive (`contentSources`) ahead of it, a bounded
/// window at a time, on a thread of its own. Archiving reads one small file after another; from a cold page
/// cache each read waits for the disk, and a 20,000-file context took twice as long that way as with the
/// reads queued in parallel (4.2 s vs 2.1 s for 500 MB here). Only hints: a wrong order costs nothing but time.
///
/// `@unchecked Sendable`: the counters are guarded by `condition`. The readahead thread must sleep until the walk
/// consumes more, which needs a condition variable; Synchronization's Mutex has no wait, so NSCondition stays.
final class SourceReadahead: @unchecked Sendable {
    static let window: Int64 = 64 << 20

    private let condition = NSCondition()
    private var issued: Int64 = 0
    private var consumed: Int64 = 0
    private var stopped = false

    /// `paths` in the order the walk will read them.
    init(paths: [String]) {
        let thread = Thread { [self] in run(paths) }
        thread.name = "strata.readahead"
        thread.start()
    }

    /// The walk has read `bytes` more.
    func consume(_ bytes: Int64) {
        condition.lock()
        consumed += bytes
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func run(_ paths: [String]) {
        for path in paths {
            condition.lock()
            while !stopped && issued - consumed > Self.window { condition.wait() }
            let done = stopped
            condition.unlock()
            if done { return }
            let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { continue }
            var info = stat()
            if fstat(fd, &info) == 0 {
                #if os(Linux)
                _ = posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED)
                #endif
                condition.lock()
                issued += Int64(info.st_size)
                condition.unlock()
            }
            close(fd)
        }
    }

    /// Entry names (no leading "/") sorted the way `DirectoryWalker` visits them: by components, bytewise.
    static func walkOrder(_ names: some Sequence<String>) -> [String] {
        names.map { $0.split(separator: "/", omittingEmptySubsequences: false).map { Array($0.utf8) } }
            .sorted { $0.lexicographicallyPrecedes($1) { $0.lexicographicallyPrecedes($1) } }
            .map { $0.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/") }
    }
}
