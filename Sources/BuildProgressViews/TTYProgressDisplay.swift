// Hand-written port of the layout rules of BuildKit 0.8's tty progress display (docker 20.10's --progress=tty),
// so the live screen looks like the one docker users know.
import Foundation

/// `--progress=tty`: redraws the whole status block in place (`[+] Building 1.2s (11/11) FINISHED`, one
/// ` => …  0.3s` row per step and status, the last output rows of busy steps) with ANSI cursor movement.
public struct TTYProgressDisplay: Sendable {
    /// Columns a step's small terminal is narrower than the screen, and its height plus borders.
    public static let terminalPad = 10
    static let terminalLimit = ProgressTerminal.height + 3

    public var phase = "Building"
    private var lineCount = 0
    private var repeated = false

    public init() {}

    enum Color: String {
        case blue = "\u{1B}[34m", red = "\u{1B}[31m", yellow = "\u{1B}[33m", faint = "\u{1B}[2m"
        static let reset = "\u{1B}[0m"
    }

    struct Job {
        var started: Double
        var completed: Double?
        var name: String
        var status = ""
        var hasError = false
        var isCanceled = false
        var vertexID: Int?
        var showTerminal = false
    }

    /// One frame at `now`: cursor back to the top of the previous frame, then every row. `final` draws every row
    /// (no cut to the screen height) and may say FINISHED.
    public mutating func frame(_ trace: inout ProgressTrace, now: Double, width: Int, height: Int, final: Bool) -> String {
        var jobs = Self.jobs(trace)
        jobs = setupTerminals(&jobs, trace: trace, height: height, all: final)

        var out = String(repeating: "\u{1B}[1A", count: lineCount + 1)
        if !repeated { out += "\u{1B}[1B" }
        repeated = true
        out += "\u{1B}[0G\u{1B}[?25l"

        let total = trace.vertices.count
        let completed = trace.vertices.values.filter { $0.completed != nil }.count
        let startTime = trace.order.first.map { trace.vertices[$0]!.started } ?? now
        let finished = completed > 0 && completed == total && final ? "FINISHED" : ""
        out += Self.align("[+] \(phase) \(String(format: "%.1f", now - startTime))s (\(completed)/\(total)) \(finished)",
                          "", width: width) + "\n"
        var lines = 0
        for job in jobs {
            var elapsed = (job.completed ?? now) - job.started
            if elapsed < 0.05 { elapsed = 0 }
            let prefix = " => "
            let timer = String(format: " %3.1fs\n", elapsed)
            var showStatus = false
            var left = width - prefix.utf8.count - timer.utf8.count - 1
            if !job.status.isEmpty, left + job.status.utf8.count > 20 {
                showStatus = true
                left -= job.status.utf8.count + 1
            }
            if left < 12 { continue }  // too narrow to show this row
            var row = prefix + Self.prefix(job.name, bytes: left)
            if showStatus { row += " " + job.status }
            row = Self.align(row, timer, width: width)
            if job.completed != nil {
                let color: Color = job.isCanceled ? .yellow : job.hasError ? .red : .blue
                row = color.rawValue + row + Color.reset
            }
            out += row
            lines += 1
            if job.showTerminal, let id = job.vertexID {
                trace.vertices[id]!.terminal.resize(width: width - Self.terminalPad)
                for line in trace.vertices[id]!.terminal.visibleRows(width: width - Self.terminalPad) {
                    out += Color.faint.rawValue + " => => # \(line)\n" + Color.reset
                    lines += 1
                }
                trace.vertices[id]!.terminalShownCount += 1
            }
        }
        // Blank out what is left of a longer previous frame.
        let surplus = lineCount - lines
        if surplus > 0 {
            out += String(repeating: String(repeating: " ", count: width) + "\n", count: surplus)
            out += "\u{1B}[\(surplus)A\u{1B}[0G"
        }
        lineCount = lines
        out += "\u{1B}[?25h"
        return out
    }

    static func jobs(_ trace: ProgressTrace) -> [Job] {
        var jobs: [Job] = []
        for id in trace.order {
            let vertex = trace.vertices[id]!
            var job = Job(started: vertex.started, completed: vertex.completed,
                          name: vertex.name.replacingOccurrences(of: "\t", with: " "), vertexID: id)
            if vertex.error != nil {
                if vertex.isCanceled {
                    job.isCanceled = true
                    job.name = "CANCELED " + job.name
                } else {
                    job.hasError = true
                    job.name = "ERROR " + job.name
                }
            }
            if vertex.cached { job.name = "CACHED " + job.name }
            jobs.append(job)
            for status in vertex.statuses {
                jobs.append(Job(started: status.started, completed: status.completed, name: "=> " + status.label))
            }
        }
        return jobs
    }

    /// Picks the busy steps whose last output rows fit on the screen, and (unless `all`) keeps the rows that fit,
    /// moving running steps that scrolled off back into view.
    private func setupTerminals(_ jobs: inout [Job], trace: ProgressTrace, height: Int, all: Bool) -> [Job] {
        var candidates: [Int] = []
        var inUse = 0
        for (index, job) in jobs.enumerated() {
            if let id = job.vertexID, trace.vertices[id]!.terminal.byteCount > 0, job.completed == nil {
                candidates.append(index)
            }
            if job.completed == nil { inUse += 1 }
        }
        func weight(_ index: Int) -> Int {
            let vertex = trace.vertices[jobs[index].vertexID!]!
            return vertex.terminal.byteCount + vertex.terminalShownCount * 50
        }
        candidates.sort { weight($0) > weight($1) }
        var free = height - 2 - inUse
        var hidden = 0
        var next = 0
        while free > Self.terminalLimit && next < candidates.count {
            let index = candidates[next]
            jobs[index].showTerminal = true
            hidden += trace.vertices[jobs[index].vertexID!]!.terminal.visibleRows(width: 1).count
            free -= Self.terminalLimit
            next += 1
        }
        return all ? jobs : Self.wrapHeight(jobs, limit: height - 2 - hidden)
    }

    static func wrapHeight(_ jobs: [Job], limit: Int) -> [Job] {
        guard limit >= 0 else { return [] }
        guard jobs.count > limit else { return jobs }
        var wrapped = Array(jobs[(jobs.count - limit)...])
        let invisible = jobs[..<(jobs.count - limit)].filter { $0.completed == nil }
        guard !invisible.isEmpty else { return wrapped }
        var remaining = invisible.count
        var kept: [Job] = []
        for job in wrapped {
            if job.completed == nil || remaining <= 0 { kept.append(job) }
            remaining -= 1
        }
        let freeSpace = wrapped.count - kept.count
        wrapped = Array(invisible.suffix(freeSpace)) + kept
        return wrapped
    }

    /// Go's `fmt.Sprintf("%-*s %s", w-len(r)-1, l, r)`: widths count bytes.
    static func align(_ left: String, _ right: String, width: Int) -> String {
        let pad = max(0, width - right.utf8.count - 1 - left.utf8.count)
        return left + String(repeating: " ", count: pad) + " " + right
    }

    /// At most `bytes` UTF-8 bytes of `text`, cut at a character boundary.
    static func prefix(_ text: String, bytes: Int) -> String {
        guard text.utf8.count > bytes else { return text }
        var result = ""
        var used = 0
        for character in text {
            let size = character.utf8.count
            if used + size > bytes { break }
            result.append(character)
            used += size
        }
        return result
    }
}
