import Foundation

/// TEMPORARY: a minimal `--progress=plain` printer until the Progress renderers (branch buildui) land.
public final class TemporaryPlainRenderer: @unchecked Sendable {
    private let lock = NSLock()
    private let output: Int32
    private var names: [Int: String] = [:]
    /// When false nothing is printed but everything is kept, for `-q` failures (printed then).
    public var live: Bool
    private var buffered = ""

    public init(output: Int32 = 2, live: Bool = true) {
        self.output = output
        self.live = live
    }

    public func handle(_ event: BuildEvent) {
        lock.lock(); defer { lock.unlock() }
        var text = ""
        switch event {
        case .started(let id, let name, let digest):
            names[id] = name
            text = "#\(id) \(name)\n#\(id) \(digest)\n"
        case .log(let id, let elapsed, _, let line):
            text = "#\(id) \(Self.seconds(elapsed, digits: 3)) \(line)\n"
        case .status(let id, let line):
            text = "#\(id) \(line)\n"
        case .cached(let id):
            text = "#\(id) CACHED\n\n"
        case .done(let id, let duration):
            text = "#\(id) DONE \(Self.seconds(duration, digits: 1))s\n\n"
        case .failed(let id, _, let message):
            text = "#\(id) ERROR: \(message)\n"
        }
        buffered += text
        if live { write(text) }
    }

    /// Everything printed so far (for `-q`, which shows the log only when the build fails).
    public func flushBuffered() { lock.lock(); write(buffered); lock.unlock() }

    private func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in _ = Glibc.write(output, bytes.baseAddress, bytes.count) }
    }

    static func seconds(_ duration: Duration, digits: Int) -> String {
        let (seconds, attoseconds) = duration.components
        let value = Double(seconds) + Double(attoseconds) / 1e18
        return String(format: "%.\(digits)f", value)
    }
}
