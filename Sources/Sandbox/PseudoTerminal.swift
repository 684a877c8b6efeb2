import Archive
import CSandbox
import Foundation
import Synchronization

/// A pty for `-t`, opened by the container in its own /dev/pts (see `consoleSocketPair`): this process relays its
/// master side to the caller's streams, with the caller's terminal in raw mode meanwhile (as docker's CLI does).
final class PseudoTerminal: Sendable {
    let master: Int32

    /// The master side of a pty the container opened in its own /dev/pts.
    init(master: Int32) {
        self.master = master
    }

    /// The caller's terminal size (of its output), or zeros.
    static func callerSize() -> (rows: UInt16, columns: UInt16) {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 else { return (0, 0) }
        return (size.ws_row, size.ws_col)
    }

    /// The socket pair a container sends its pty master over: (Strata's end, the container's end).
    static func consoleSocketPair() throws -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw SandboxError.system("socketpair", errno)
        }
        return (fds[0], fds[1])
    }

    /// Receives the container's master side; nil when the container ended before sending it.
    static func receiveMaster(_ socket: Int32) -> PseudoTerminal? {
        let fd = csandbox_receive_fd(socket)
        return fd >= 0 ? PseudoTerminal(master: fd) : nil
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
