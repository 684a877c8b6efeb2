import Archive
import Foundation
import OCI

/// Measures a layer blob while it is being received: bytes written here go through a pipe to a thread that
/// decodes them (gzip, zstd, … or plain), hashes the tar (the diffID) and validates it, as `LayerIngest` does
/// for a file, but without a second read of the blob. gzip's CRC-32 is skipped: every decoded byte is hashed
/// and checked against the diffID the image promised. Memory: one 1 MiB buffer plus the pipe's.
final class DiffIDPipe {
    struct Measured {
        var diffID: Digest
        /// Decoded bytes.
        var uncompressedSize: Int64
        /// The size docker reports for the layer.
        var contentSize: Int64
    }

    private let readFD: Int32
    private var writeFD: Int32
    private let done = DispatchSemaphore(value: 0)
    private let outcome = OutcomeBox()
    private var waited = false
    private(set) var consumerGone = false

    private final class OutcomeBox: @unchecked Sendable {
        var result: Result<Measured, Error>?
    }

    init() throws {
        signal(SIGPIPE, SIG_IGN)  // a failed measurement closes its end: writes must fail with EPIPE, not kill us
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ArchiveError.systemCall("pipe", errno: errno) }
        readFD = fds[0]
        writeFD = fds[1]
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }  // credential helpers are spawned meanwhile
        _ = fcntl(writeFD, 1031 /* F_SETPIPE_SZ */, 1 << 20)
        let readFD = readFD, box = outcome, done = done
        let thread = Thread {
            box.result = Result { try DiffIDPipe.measure(readFD) }
            close(readFD)
            done.signal()
        }
        thread.name = "strata.diffid"
        thread.start()
    }

    /// Passes bytes on (blocking while the pipe is full). Once the measurement has failed, throws its error.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count, !consumerGone {
            let count = Glibc.write(writeFD, bytes.baseAddress! + offset, bytes.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE { consumerGone = true; break }
                throw ArchiveError.systemCall("write", errno: errno)
            }
            offset += count
        }
        // The reader stopped early: fail now if it failed; bytes after a finished tar are simply dropped.
        if consumerGone, case .failure(let error) = waitForResult() { throw error }
    }

    /// Ends the input and returns the measurement.
    func finish() throws -> Measured {
        try waitForResult().get()
    }

    /// Ends the input after a failure upstream and waits for the thread.
    func cancel() { _ = waitForResult() }

    private func waitForResult() -> Result<Measured, Error> {
        if writeFD >= 0 { close(writeFD); writeFD = -1 }
        if !waited { done.wait(); waited = true }
        return outcome.result!
    }

    private static func measure(_ fd: Int32) throws -> Measured {
        let input = try DecompressingInput(fileDescriptor: fd)
        let validator = TarStreamValidator()
        var hasher = SHA256Hasher()
        var total: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let count: Int
            do {
                count = try input.read(into: buffer)
            } catch {
                // Like docker (and LayerIngest): once the tar's end marker is read, later decoding errors are ignored.
                if validator.isFinished { break }
                if case ArchiveError.unexpectedEOF = error { throw ArchiveError.unexpectedEOF(entry: validator.currentEntryName) }
                throw error
            }
            if count == 0 { break }
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            hasher.update(bufferPointer: bytes)
            try validator.consume(bytes)
            total += Int64(count)
        }
        let summary = try validator.finish()
        return Measured(diffID: hasher.finalize(), uncompressedSize: total, contentSize: summary.contentSize)
    }
}
