import Foundation

/// Runs blocking work (file I/O, decoding, SQLite) on a thread of its own and awaits its result, so the cooperative
/// pool's few threads are never held by a read or a write.
public enum BlockingWork {
    public static func run<T: Sendable>(named name: String, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try work() }) }
            thread.name = name
            thread.start()
        }
    }
}
