import Archive
import Foundation
import ImageBuilder
import Synchronization

/// `--progress`: how a build shows its steps.
public enum ProgressMode: String, Sendable, CaseIterable {
    /// tty on a terminal, plain otherwise.
    case auto
    case plain
    case tty
    /// Nothing while building; on failure the plain log goes to stderr (docker's `-q`).
    case quiet

    /// `auto` made concrete for an output that is (or is not) a terminal.
    public func resolved(isTerminal: Bool) -> ProgressMode {
        self == .auto ? (isTerminal ? .tty : .plain) : self
    }
}

/// Where progress text goes: a file descriptor (stderr for `strata build`), or a closure in tests.
public struct ProgressOutput: Sendable {
    public let write: @Sendable (String) -> Void
    /// Columns and rows of the terminal, asked again for every tty frame; nil when not a terminal.
    public let size: @Sendable () -> (columns: Int, rows: Int)?

    public init(write: @escaping @Sendable (String) -> Void,
                size: @escaping @Sendable () -> (columns: Int, rows: Int)? = { nil }) {
        self.write = write
        self.size = size
    }

    /// Writes to `fileDescriptor` with write(2), retrying short writes; a terminal's size comes from TIOCGWINSZ.
    public static func fileDescriptor(_ fd: Int32) -> ProgressOutput {
        ProgressOutput(write: { text in
            var text = text
            // A closed terminal or pipe ends the progress, not the build.
            text.withUTF8 { bytes in try? FileDescriptorIO.writeAll(fd, UnsafeRawBufferPointer(bytes)) }
        }, size: {
            guard isatty(fd) == 1 else { return nil }
            var size = winsize()
            guard ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 else { return nil }
            return (Int(size.ws_col), Int(size.ws_row))
        })
    }

    public static let standardError = fileDescriptor(STDERR_FILENO)
}

/// Renders a build's `BuildEvent`s as docker 20.10 with BuildKit does, in one of the `--progress` modes.
/// `sink` may be called from any task; `finish` must be called once when the build ends.
///
///     let progress = BuildProgress(mode: .auto)
///     let image = try await executor.build(..., events: progress.sink)
///     await progress.finish(failed: false)
public final class BuildProgress: Sendable {
    /// BuildKit redraws at most every 100 ms, and at least every 150 ms while something runs.
    static let displayInterval = 0.1
    static let tickInterval = 0.15

    public let mode: ProgressMode
    private let output: ProgressOutput
    private let clock: @Sendable () -> Double
    private let display: Mutex<Display>
    /// The redraw timer while the build runs.
    private let ticker = Mutex<Task<Void, Never>?>(nil)
    private let spool: QuietSpool?
    /// docker `-q` replays a failed build through the tty display when stderr is a terminal.
    private let quietOnTerminal: Bool

    /// What the renderers keep from one event to the next.
    private struct Display {
        var trace: ProgressTrace
        var plain = PlainProgressPrinter()
        var tty = TTYProgressDisplay()
        var lastDraw = -Double.infinity
        var finished = false
    }

    /// - Parameters:
    ///   - mode: `auto` is resolved against `output` (tty when it has a terminal size).
    ///   - retainedLinesPerVertex: output lines kept per step for the tty display and the failure summary.
    ///   - clock: seconds on a monotonic clock (tests pass a fake one).
    ///   - ticking: redraw on a timer while the build runs (off in tests, which call `tick()`).
    public init(mode: ProgressMode, output: ProgressOutput = .standardError, retainedLinesPerVertex: Int = 1000,
                clock: @escaping @Sendable () -> Double = BuildProgress.monotonicSeconds, ticking: Bool = true) {
        self.mode = mode.resolved(isTerminal: output.size() != nil)
        self.output = output
        self.clock = clock
        var trace = ProgressTrace(retainedLinesPerVertex: retainedLinesPerVertex)
        if let size = output.size() { trace.terminalColumns = size.columns }
        display = Mutex(Display(trace: trace))
        quietOnTerminal = self.mode == .quiet && output.size() != nil
        spool = self.mode == .quiet && !quietOnTerminal ? QuietSpool() : nil
        if ticking && self.mode != .quiet {
            let task = Task.detached { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: UInt64(Self.tickInterval * 1e9))
                    guard let self, !Task.isCancelled else { return }
                    self.tick()
                }
            }
            ticker.withLock { $0 = task }
        }
    }

    deinit { ticker.withLock { $0?.cancel() } }

    public static let monotonicSeconds: @Sendable () -> Double = {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// The executor's event sink.
    public var sink: BuildEventSink { { [self] event in self.receive(event) } }

    public func receive(_ event: BuildEvent) {
        let text: String = display.withLock { display in
            guard !display.finished else { return "" }
            let now = clock()
            let overflowing = display.trace.apply(event, now: now)
            if quietOnTerminal {
                if overflowing { display.trace.trimLogs() }
                return ""
            }
            switch mode {
            case .plain, .quiet, .auto:
                var text = overflowing ? display.plain.printOverflowing(&display.trace) : ""
                if now - display.lastDraw >= Self.displayInterval {
                    display.lastDraw = now
                    text += display.plain.print(&display.trace, now: now)
                }
                return text
            case .tty:
                if overflowing { display.trace.trimLogs() }
                guard now - display.lastDraw >= Self.displayInterval else { return "" }
                display.lastDraw = now
                return drawFrame(&display, now: now, final: false)
            }
        }
        emit(text)
    }

    /// A timer pass: prints what waited for the rate limit, and refreshes the tty timers.
    public func tick() {
        let text: String = display.withLock { display in
            guard !display.finished else { return "" }
            let now = clock()
            display.lastDraw = now
            return mode == .tty ? drawFrame(&display, now: now, final: false) : display.plain.print(&display.trace, now: now)
        }
        emit(text)
    }

    /// Ends the display: the last pass, then for a failed build the `------` summary of the failed steps (docker
    /// prints the error line itself after it). In quiet mode a failed build's whole plain log is written now.
    public func finish(failed: Bool) async {
        ticker.withLock { ticker in
            ticker?.cancel()
            ticker = nil
        }
        let text: String = display.withLock { display in
            guard !display.finished else { return "" }
            display.finished = true
            let now = clock()
            var text: String
            if quietOnTerminal {
                return failed ? drawFrame(&display, now: now, final: true) + display.trace.errorSummary() : ""
            }
            if mode == .tty {
                text = drawFrame(&display, now: now, final: true)
            } else {
                text = display.plain.print(&display.trace, now: now)
            }
            text += display.trace.errorSummary()
            return text
        }
        emit(text)
        if let spool {
            if failed { spool.replay(to: output) }
            spool.close()
        }
    }

    private func drawFrame(_ display: inout Display, now: Double, final: Bool) -> String {
        let size = output.size() ?? (columns: 80, rows: 10)
        display.trace.terminalColumns = size.columns
        return display.tty.frame(&display.trace, now: now, width: size.columns, height: size.rows, final: final)
    }

    private func emit(_ text: String) {
        guard !text.isEmpty else { return }
        if let spool { spool.append(text) } else { output.write(text) }
    }
}

/// The plain log of a `-q` build, kept in an unlinked temporary file rather than in memory, for the failure case.
final class QuietSpool: Sendable {
    /// The unlinked file, -1 once closed (or when it could not be made).
    private let file: Mutex<Int32>

    init() {
        var template = Array((NSTemporaryDirectory() + "/strata-build-log-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd >= 0 {
            let path = String(cString: template)
            unlink(path)
        }
        file = Mutex(fd)
    }

    func append(_ text: String) {
        file.withLock { fd in
            guard fd >= 0 else { return }
            ProgressOutput.fileDescriptor(fd).write(text)
        }
    }

    func replay(to output: ProgressOutput) {
        file.withLock { fd in
            guard fd >= 0, lseek(fd, 0, SEEK_SET) == 0 else { return }
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            var pending: [UInt8] = []
            while true {
                let count = read(fd, &buffer, buffer.count)
                if count <= 0 { break }
                pending += buffer[0..<count]
                let cut = Self.completeUTF8Prefix(pending)
                output.write(String(decoding: pending[0..<cut], as: UTF8.self))
                pending.removeFirst(cut)
            }
            if !pending.isEmpty { output.write(String(decoding: pending, as: UTF8.self)) }
        }
    }

    /// Length of the longest prefix of `bytes` that does not end inside a UTF-8 sequence.
    static func completeUTF8Prefix(_ bytes: [UInt8]) -> Int {
        var index = bytes.count - 1
        while index >= 0 && index >= bytes.count - 4 {
            let byte = bytes[index]
            if byte < 0x80 { return bytes.count }
            if byte >= 0xC0 {
                let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
                return index + length > bytes.count ? index : bytes.count
            }
            index -= 1
        }
        return bytes.count
    }

    func close() {
        file.withLock { fd in
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
    }
}
