import Foundation
import ImageBuilder

/// The renderers' model of a build: every vertex seen so far with its pending output, built from `BuildEvent`s
/// the way BuildKit's progress UI builds its trace from solve statuses. Not thread-safe; `BuildProgress` locks it.
///
/// Times are seconds on a monotonic clock chosen by the caller, so tests can drive it with fixed values.
public struct ProgressTrace: Sendable {
    /// Lines kept per vertex for the tty display and the failure summary; older lines are dropped (BuildKit keeps
    /// all of them, which a multi-gigabyte RUN log would turn into a multi-gigabyte process).
    public let retainedLinesPerVertex: Int
    /// Longest line kept; the rest of a longer line (or of an endless partial line) is dropped from all output.
    public let retainedLineBytes: Int

    public internal(set) var vertices: [Int: ProgressVertex] = [:]
    /// Vertex ids in the order they started.
    public internal(set) var order: [Int] = []
    /// Vertices changed since the plain printer last looked.
    var updates = Set<Int>()
    var completionCounter = 0
    /// Width of the terminal the tty display draws on; a vertex's small terminal is 10 columns narrower.
    public var terminalColumns = 80

    public init(retainedLinesPerVertex: Int = 1000, retainedLineBytes: Int = 64 * 1024) {
        self.retainedLinesPerVertex = max(1, retainedLinesPerVertex)
        self.retainedLineBytes = max(64, retainedLineBytes)
    }

    /// Applies one event received at time `now`. Returns true when a vertex holds more unprinted lines than it may
    /// retain, so a plain printer must print now rather than lose output.
    @discardableResult
    public mutating func apply(_ event: BuildEvent, now: Double) -> Bool {
        switch event {
        case .started(let id, let name, let digest):
            if vertices[id] == nil {
                vertices[id] = ProgressVertex(id: id, name: name, digest: digest, started: now)
                vertices[id]!.terminal.resize(width: terminalColumns - TTYProgressDisplay.terminalPad)
                order.append(id)
            } else {
                vertices[id]!.name = name
            }
            touch(id, now: now)
        case .log(let id, let elapsed, _, let text):
            guard vertices[id] != nil else { return false }
            vertices[id]!.appendLog(text, elapsed: elapsed.seconds, limits: self)
            touch(id, now: now)
            return vertices[id]!.logs.count > retainedLinesPerVertex
        case .status(let id, let text):
            guard vertices[id] != nil else { return false }
            vertices[id]!.addStatus(text, now: now)
            touch(id, now: now)
        case .cached(let id):
            complete(id, now: now) { $0.cached = true; $0.completed = now }
        case .done(let id, let duration):
            complete(id, now: now) { $0.duration = duration.seconds; $0.completed = $0.started + duration.seconds }
        case .failed(let id, let duration, let message):
            complete(id, now: now) {
                $0.duration = duration.seconds
                $0.completed = $0.started + duration.seconds
                $0.error = message
            }
        }
        return false
    }

    private mutating func complete(_ id: Int, now: Double, _ change: (inout ProgressVertex) -> Void) {
        guard vertices[id] != nil, vertices[id]!.completed == nil else { return }
        change(&vertices[id]!)
        completionCounter += 1
        vertices[id]!.completionOrder = completionCounter
        for index in vertices[id]!.statuses.indices where vertices[id]!.statuses[index].completed == nil {
            vertices[id]!.statuses[index].completed = vertices[id]!.completed
        }
        touch(id, now: now)
    }

    /// BuildKit's `vertex.update`: counts changes since the vertex last got the printer's attention.
    private mutating func touch(_ id: Int, now: Double) {
        if vertices[id]!.changeCount == 0 { vertices[id]!.lastBlockTime = now }
        vertices[id]!.changeCount += 1
        updates.insert(id)
    }

    /// Cuts every vertex's retained lines to the limit (displays that do not print lines as they come).
    public mutating func trimLogs() {
        for id in order where vertices[id]!.logs.count > retainedLinesPerVertex {
            vertices[id]!.dropOldestLogs(keeping: retainedLinesPerVertex)
        }
    }

    /// The block docker prints after a failed build, for each failed (not cancelled) vertex:
    /// `------`, ` > NAME:`, the retained lines, `------`.
    public func errorSummary() -> String {
        var text = ""
        for id in order {
            let vertex = vertices[id]!
            guard let error = vertex.error, !error.hasSuffix(ProgressVertex.canceledSuffix) else { continue }
            text += "------\n > \(vertex.name):\n"
            for line in vertex.logs { text += line + "\n" }
            text += "------\n"
        }
        return text
    }
}

/// One step of the build as the renderers see it.
public struct ProgressVertex: Sendable {
    /// Go's `context.Canceled` text: BuildKit shows such errors as `CANCELED`, not `ERROR`.
    static let canceledSuffix = "context canceled"

    public let id: Int
    public internal(set) var name: String
    public let digest: String
    public let started: Double
    public internal(set) var completed: Double?
    /// The duration the executor measured, printed by `DONE`.
    public internal(set) var duration: Double?
    public internal(set) var cached = false
    public internal(set) var error: String?
    /// Output lines as BuildKit formats them (`#5 0.139 out`); for plain output these are the unprinted ones.
    public internal(set) var logs: [String] = []
    /// The last line has had no newline yet.
    public internal(set) var logsPartial = false
    /// How much of the first line the plain printer already wrote (a partial line printed before it was finished).
    var logsOffset = 0
    /// Status lines not yet printed in plain mode.
    var pendingStatuses: [String] = []
    /// Status rows for the tty display, by key (the text before `: `), in first-seen order.
    public internal(set) var statuses: [ProgressStatus] = []
    /// The last rows of output, as the tty display's small terminal under a running step shows them.
    public internal(set) var terminal = ProgressTerminal()
    var changeCount = 0
    var lastBlockTime: Double = 0
    var completionOrder = 0
    var terminalShownCount = 0

    public var isCanceled: Bool { error?.hasSuffix(Self.canceledSuffix) ?? false }

    mutating func appendLog(_ text: String, elapsed: Double, limits: ProgressTrace) {
        terminal.write(text)
        // BuildKit splits each chunk at newlines; a chunk's first piece continues an unfinished line.
        var pieces = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard !text.isEmpty else { return }
        let complete = text.hasSuffix("\n")
        if complete { pieces.removeLast() }
        for (index, piece) in pieces.enumerated() {
            if index == 0 && logsPartial && !logs.isEmpty {
                if logs[logs.count - 1].utf8.count < limits.retainedLineBytes { logs[logs.count - 1] += piece }
            } else {
                logs.append("#\(id) \(Self.timestamp(elapsed)) \(piece)")
            }
        }
        logsPartial = !complete
    }

    /// BuildKit's log timestamp: three decimals under 10 s, two under 100 s, then one.
    static func timestamp(_ seconds: Double) -> String {
        let precision = seconds < 10 ? 3 : seconds < 100 ? 2 : 1
        return String(format: "%.\(precision)f", seconds)
    }

    mutating func dropOldestLogs(keeping count: Int) {
        let drop = logs.count - count
        guard drop > 0 else { return }
        logs.removeFirst(drop)
        logsOffset = 0
    }

    mutating func addStatus(_ text: String, now: Double) {
        pendingStatuses.append(text)
        let parsed = ProgressStatus(text: text, now: now)
        if let index = statuses.firstIndex(where: { $0.key == parsed.key }) {
            let started = statuses[index].started
            statuses[index] = parsed
            statuses[index].started = started
        } else {
            statuses.append(parsed)
        }
    }
}

/// A status line of an internal step, split for the tty display: `transferring context: 122B 0.1s done` shows
/// as `=> transferring context: 122B` with its own timer.
public struct ProgressStatus: Sendable, Equatable {
    /// Rows with the same key replace each other (the text before the first `: `, or all of it).
    public let key: String
    /// The text without the trailing duration and `done` that plain output carries.
    public let label: String
    public internal(set) var started: Double
    public internal(set) var completed: Double?

    init(text: String, now: Double) {
        var words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        var done = false
        if words.count > 1, words.last == "done" {
            words.removeLast()
            done = true
        }
        var seconds = 0.0
        if words.count > 1, let last = words.last, last.hasSuffix("s"), let value = Double(last.dropLast()) {
            words.removeLast()
            seconds = value
        }
        label = words.joined(separator: " ")
        if let colon = label.range(of: ": ") {
            key = String(label[..<colon.lowerBound])
        } else {
            key = label
        }
        started = now - seconds
        completed = done ? now : nil
    }
}

/// The last `height` rows of a step's output, wrapped at `width`, like the small vt100 terminal BuildKit's tty
/// display keeps per vertex (hand-written: only newline, carriage return and wrapping matter here).
public struct ProgressTerminal: Sendable {
    public static let height = 6
    public private(set) var rows: [String] = [""]
    public private(set) var byteCount = 0
    var width = 70

    mutating func write(_ text: String) {
        byteCount += text.utf8.count
        for character in text {
            switch character {
            case "\n", "\r\n": newRow()
            case "\r": rows[rows.count - 1] = ""
            default:
                guard !(character.asciiValue.map { $0 < 0x20 } ?? false) else { continue }
                if rows[rows.count - 1].count >= width { newRow() }
                rows[rows.count - 1].append(character)
            }
        }
    }

    private mutating func newRow() {
        rows.append("")
        if rows.count > Self.height { rows.removeFirst(rows.count - Self.height) }
    }

    /// Rows to show at `width`, the empty ones left out.
    func visibleRows(width: Int) -> [String] {
        rows.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map { row in
            let cut = String(row.prefix(max(0, width)))
            return cut + String(repeating: " ", count: max(0, width - cut.count))
        }
    }

    mutating func resize(width: Int) { self.width = max(1, width) }
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
