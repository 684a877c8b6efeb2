import Foundation
import Synchronization

/// Relays the signals a terminal or CI runner sends (`docker run`'s --sig-proxy) to the command.
/// `@unchecked Sendable` because `DispatchSourceSignal` is not Sendable: the sources are created in init and only
/// cancelled in `stop`, never replaced; the target PID is behind a Mutex.
final class SignalForwarder: @unchecked Sendable {
    private static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]
    private let pid = Mutex<pid_t>(0)
    private var sources: [DispatchSourceSignal] = []

    init() {
        for sig in Self.signals {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in self?.deliver(sig) }
            source.resume()
            sources.append(source)
        }
    }

    func target(_ pid: pid_t) {
        self.pid.withLock { $0 = pid }
    }

    private func deliver(_ sig: Int32) {
        let pid = self.pid.withLock { $0 }
        if pid > 0 { kill(pid, sig) }
    }

    func stop() {
        sources.forEach { $0.cancel() }
        target(0)
        for sig in Self.signals { signal(sig, SIG_DFL) }
    }
}
