import Archive
import CSandbox
import Foundation
import Synchronization

/// A pty for `-t`: the command gets the slave side; this process relays the master side to the
/// caller's streams, with the caller's terminal in raw mode meanwhile (as docker's CLI does).
final class PseudoTerminal: Sendable {
    let master: Int32
    /// The slave side until `closeSlave()`, then -1.
    private let slaveFD: Mutex<Int32>

    private init(master: Int32, slave: Int32) {
        self.master = master
        slaveFD = Mutex(slave)
    }

    var slave: Int32 { slaveFD.withLock { $0 } }

    static func open() throws -> PseudoTerminal {
        var master: Int32 = -1
        var slave: Int32 = -1
        let result = csandbox_openpty(&master, &slave)
        guard result == 0 else { throw SandboxError.system("open pty", -result) }
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 { _ = ioctl(master, UInt(TIOCSWINSZ), &size) }
        return PseudoTerminal(master: master, slave: slave)
    }

    func closeSlave() {
        slaveFD.withLock { slave in
            if slave >= 0 { close(slave) }
            slave = -1
        }
    }

    /// Copies master→output until the command's side closes, and input→master in the background.
    func startRelay(input: Int32, output: Int32) -> Relay {
        let relay = Relay(terminal: self, input: input)
        let master = self.master
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 32 * 1024)
            // Once the output is gone (`| head`) the terminal is still drained, so the command never blocks on it.
            var outputOpen = true
            while true {
                // The terminal side closing shows as EIO: that ends the relay like end of input.
                guard let n = buffer.withUnsafeMutableBytes({ try? FileDescriptorIO.readSome(master, into: $0) }), n > 0 else { break }
                if outputOpen {
                    outputOpen = (try? buffer.withUnsafeBytes { try FileDescriptorIO.writeAll(output, UnsafeRawBufferPointer(rebasing: $0[..<n])) }) != nil
                }
            }
            relay.outputDone.signal()
        }
        if input >= 0 {
            Thread.detachNewThread {
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    guard let n = buffer.withUnsafeMutableBytes({ try? FileDescriptorIO.readSome(input, into: $0) }), n > 0 else { break }
                    try? buffer.withUnsafeBytes { try FileDescriptorIO.writeAll(master, UnsafeRawBufferPointer(rebasing: $0[..<n])) }
                }
            }
        }
        return relay
    }

    /// Restores the caller's terminal and waits for the last output.
    final class Relay: Sendable {
        /// Signalled by the output thread at the end of the command's output. A semaphore because `finish()`
        /// waits for it with a time limit, which Mutex cannot do; that thread is a detached Thread, not a task.
        let outputDone = DispatchSemaphore(value: 0)
        private let terminal: PseudoTerminal
        private let input: Int32
        /// The caller's terminal settings before raw mode, restored by `finish()`.
        private let saved: termios?

        init(terminal: PseudoTerminal, input: Int32) {
            self.terminal = terminal
            self.input = input
            var attributes = termios()
            if input >= 0, isatty(input) == 1, tcgetattr(input, &attributes) == 0 {
                saved = attributes
                var raw = attributes
                cfmakeraw(&raw)
                tcsetattr(input, TCSANOW, &raw)
            } else {
                saved = nil
            }
        }

        func finish() {
            _ = outputDone.wait(timeout: .now() + 5)
            if var saved { tcsetattr(input, TCSANOW, &saved) }
            close(terminal.master)
        }
    }
}
