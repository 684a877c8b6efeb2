#if canImport(Glibc)
import Glibc
#endif
import CSandbox
import Foundation
import Synchronization

/// A host helper program (ssh-agent, ssh-add) that dies with Strata, even when Strata is killed with -9: it is
/// started by a thread of its own, which waits for it, with a parent-death signal tied to that thread.
public final class TetheredProcess: Sendable {
    public let pid: pid_t
    private let exit: AsyncStream<Int32>
    /// Set once the program has exited, before it is reaped: a signal never reaches a reused PID.
    private let mark: ExitMark

    private init(pid: pid_t, exit: AsyncStream<Int32>, mark: ExitMark) {
        self.pid = pid
        self.exit = exit
        self.mark = mark
    }

    /// Starts `executable` (an absolute path) with `arguments` (argv[1...]) and exactly `environment`. Descriptors
    /// of -1 are /dev/null; with `newSession` the program has no controlling terminal (so it cannot prompt on one).
    public static func start(_ executable: String, arguments: [String], environment: [String] = [],
                             stdin: Int32 = -1, stdout: Int32 = -1, stderr: Int32 = -1,
                             newSession: Bool = true) async throws(SandboxError) -> TetheredProcess {
        let (exit, exited) = AsyncStream.makeStream(of: Int32.self)
        let (started, reportStart) = AsyncStream.makeStream(of: Result<pid_t, SandboxError>.self)
        let argv = [executable] + arguments
        let gone = ExitMark()
        Thread.detachNewThread {
            let null = open("/dev/null", O_RDWR | O_CLOEXEC)
            let strings = CStringArena()
            var pid: pid_t = 0
            let result = csandbox_spawn_tethered(executable, strings.array(argv), strings.array(environment),
                                                 stdin >= 0 ? stdin : null, stdout >= 0 ? stdout : null,
                                                 stderr >= 0 ? stderr : null, newSession ? 1 : 0, &pid)
            strings.release()
            if null >= 0 { close(null) }
            guard result == 0 else {
                reportStart.yield(.failure(.system("start \(executable)", -result)))
                reportStart.finish()
                exited.finish()
                return
            }
            reportStart.yield(.success(pid))
            reportStart.finish()
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
            gone.set()
            let raw = csandbox_wait(pid)
            exited.yield(raw < 0 ? 127 : (raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)))
            exited.finish()
        }
        var outcome: Result<pid_t, SandboxError> = .failure(.system("start \(executable)", EIO))
        for await value in started { outcome = value }
        return TetheredProcess(pid: try outcome.get(), exit: exit, mark: gone)
    }

    /// The exit status (128+n when signal n ended it); call it once.
    public func wait() async -> Int32 {
        var status: Int32 = 127
        for await value in exit { status = value }
        return status
    }

    public func terminate() {
        mark.unlessSet { kill(pid, SIGTERM) }
    }
}

/// Whether a tethered program has exited (it is reaped only after this is set).
final class ExitMark: Sendable {
    private let value = Mutex(false)

    func set() { value.withLock { $0 = true } }

    func unlessSet(_ body: () -> Void) {
        value.withLock { if !$0 { body() } }
    }
}
