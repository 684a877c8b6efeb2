import Archive
import Foundation
import Synchronization

/// Feeds bytes produced on the calling thread to `LayerIngest` running on its own thread through a pipe:
/// the outer archive is read once, and each layer inside it is hashed, validated and (re)compressed as it passes.
final class LayerPipe {
    private let readFD: Int32
    private var writeFD: Int32
    /// Signalled when the ingest thread ends. `finish()` and `cancel()` are called from synchronous archive
    /// reading and must block until then; a Foundation Thread cannot be joined, so a semaphore stays here.
    private let done = DispatchSemaphore(value: 0)
    private let outcome = OutcomeBox()
    private var consumerGone = false

    /// The ingest thread's result, handed to `finish()`.
    private final class OutcomeBox: Sendable {
        let result = Mutex<Result<LayerIngest.Result, Error>?>(nil)
    }

    /// Starts `LayerIngest.ingest(from: pipe, to: output)` on a new thread.
    init(output: Int32?, options: LayerIngest.Options = LayerIngest.Options()) throws {
        signal(SIGPIPE, SIG_IGN) // a failed ingest closes its end; the write must fail with EPIPE, not kill us
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ArchiveError.systemCall("pipe", errno: errno) }
        readFD = fds[0]
        writeFD = fds[1]
        _ = fcntl(writeFD, 1031 /* F_SETPIPE_SZ */, 1 << 20)
        let readFD = readFD, box = outcome, done = done
        let thread = Thread {
            let result = Result { try LayerIngest.ingest(from: readFD, to: output, options: options) }
            box.result.withLock { $0 = result }
            close(readFD)
            done.signal()
        }
        thread.name = "strata.load-layer"
        thread.start()
    }

    /// Passes bytes on; once the ingest has failed they are dropped (its error is reported by `finish`).
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count, !consumerGone {
            let count = FileDescriptorIO.retryingInterrupts { Glibc.write(writeFD, bytes.baseAddress! + offset, bytes.count - offset) }
            if count < 0 {
                if errno == EPIPE { consumerGone = true; break }
                throw ArchiveError.systemCall("write", errno: errno)
            }
            offset += count
        }
    }

    /// Ends the input and waits for the ingest's result.
    func finish() throws -> LayerIngest.Result {
        closeWriter()
        done.wait()
        return try outcome.result.withLock { $0 }!.get()
    }

    /// Ends the input after a failure upstream and waits for the thread, discarding its result.
    func cancel() {
        closeWriter()
        done.wait()
    }

    private func closeWriter() {
        if writeFD >= 0 { close(writeFD); writeFD = -1 }
    }
}
