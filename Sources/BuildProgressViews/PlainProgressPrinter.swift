// Hand-written port of the behaviour of BuildKit 0.8's plain progress printer (docker 20.10's --progress=plain),
// since its exact interleaving rules are what users' CI logs look like.
import Foundation

/// `--progress=plain`: turns the trace into `#N …` lines. Each `print` pass writes what changed since the last
/// one; when several steps run at once, the one being followed keeps the output until it finishes or goes quiet
/// (BuildKit's anti-flicker rule), and a switch is marked with `#N ...` before the other step's header.
public struct PlainProgressPrinter: Sendable {
    static let antiFlicker = 5.0
    static let maxDelay = 10.0

    private var current: Int?
    private var notFirst = false

    public init() {}

    /// One printing pass at time `now` (the same clock as the trace's events).
    public mutating func print(_ trace: inout ProgressTrace, now: Double) -> String {
        var out = ""
        var completed: [Int] = []
        var rest: [Int] = []
        for id in trace.order where trace.updates.contains(id) {
            if trace.vertices[id]!.completed != nil { completed.append(id) } else { rest.append(id) }
        }
        let current = self.current

        // Finished steps first, the followed one before the others, then in the order they finished.
        if let current, completed.contains(current) { printVertex(current, &trace, &out) }
        for id in completed.sorted(by: { trace.vertices[$0]!.completionOrder < trace.vertices[$1]!.completionOrder })
        where id != current {
            printVertex(id, &trace, &out)
        }

        if rest.isEmpty {
            if let current, let vertex = trace.vertices[current], vertex.completed == nil { return out }
            // Make an open step the followed one.
            if let open = trace.order.first(where: { trace.vertices[$0]!.completed == nil }) {
                printVertex(open, &trace, &out)
            }
            return out
        }

        if let current, rest.contains(current) { printVertex(current, &trace, &out) }

        struct Stat { var blockTime: Double; var speed: Double; var share = 0.0; var overLimit: Bool }
        var stats: [Int: Stat] = [:]
        var candidates = rest
        if let current, !candidates.contains(current) { candidates.append(current) }
        var sum = 0.0
        var fastest: Int?
        for id in candidates {
            guard let vertex = trace.vertices[id] else { continue }
            let blockTime = now - vertex.lastBlockTime
            let speed = Double(vertex.changeCount) / blockTime
            let overLimit = blockTime > Self.maxDelay && id != current
            stats[id] = Stat(blockTime: blockTime, speed: speed, overLimit: overLimit)
            sum += speed
            if overLimit || fastest == nil || stats[fastest!]!.speed < speed { fastest = id }
        }
        for id in stats.keys { stats[id]!.share = stats[id]!.speed / sum }

        if current == nil || completed.contains(current!) {
            if let fastest { printVertex(fastest, &trace, &out) }
            return out
        }
        // A step kept waiting too long is shown.
        if let hidden = rest.first(where: { stats[$0]?.overLimit ?? false }) {
            printVertex(hidden, &trace, &out)
            return out
        }
        // Fair split between the running steps.
        if let followed = stats[current!], 1.0 / (1.0 - followed.share) * Self.antiFlicker < followed.blockTime,
           let fastest {
            printVertex(fastest, &trace, &out)
        }
        return out
    }

    /// Prints the steps holding more unprinted lines than the trace may keep, so no output is lost (BuildKit holds
    /// them all in memory instead; this only changes the interleaving of a step writing thousands of lines a tick).
    public mutating func printOverflowing(_ trace: inout ProgressTrace) -> String {
        var out = ""
        for id in trace.order where trace.vertices[id]!.logs.count > trace.retainedLinesPerVertex {
            printVertex(id, &trace, &out)
        }
        return out
    }

    private mutating func printVertex(_ id: Int, _ trace: inout ProgressTrace, _ out: inout String) {
        guard trace.vertices[id] != nil else { return }
        if id != current {
            if let current, trace.vertices[current] != nil {
                if trace.vertices[current]!.logsPartial { out += "\n" }
                trace.vertices[current]!.logsOffset = 0
                trace.vertices[current]!.changeCount = 0
                out += "#\(current) ...\n"
            }
            if notFirst { out += "\n" } else { notFirst = true }
            let vertex = trace.vertices[id]!
            out += "#\(id) \(vertex.name)\n"
            out += "#\(id) \(vertex.digest.contains(":") ? vertex.digest : "sha256:" + vertex.digest)\n"
        }
        var vertex = trace.vertices[id]!
        for status in vertex.pendingStatuses { out += "#\(id) \(status)\n" }
        vertex.pendingStatuses.removeAll()

        for (index, line) in vertex.logs.enumerated() {
            if index == 0 {
                let bytes = Array(line.utf8)
                out += String(decoding: bytes[min(vertex.logsOffset, bytes.count)...], as: UTF8.self)
            } else {
                out += line
            }
            if index != vertex.logs.count - 1 || !vertex.logsPartial { out += "\n" }
        }
        if !vertex.logs.isEmpty {
            if vertex.logsPartial {
                vertex.logs = [vertex.logs[vertex.logs.count - 1]]
                vertex.logsOffset = vertex.logs[0].utf8.count
            } else {
                vertex.logs.removeAll()
                vertex.logsOffset = 0
            }
        }

        current = id
        if vertex.completed != nil {
            current = nil
            vertex.changeCount = 0
            if let error = vertex.error {
                if vertex.logsPartial { out += "\n" }
                out += vertex.isCanceled ? "#\(id) CANCELED\n" : "#\(id) ERROR: \(error)\n"
            } else if vertex.cached {
                out += "#\(id) CACHED\n"
            } else {
                out += "#\(id) DONE \(String(format: "%.1f", vertex.duration ?? 0))s\n"
            }
        }
        trace.vertices[id] = vertex
        trace.updates.remove(id)
    }
}
