import Foundation
import Testing
@testable import BuildProgressViews
import ImageBuilder

/// The tty display drawn onto a tiny emulated screen: the tests compare what a user would see, not escapes.
@Suite struct ProgressTTYTests {
    /// Plays cursor-up/down/column escapes and text onto rows; colours and cursor hiding are dropped.
    struct Screen {
        // Row 0 is the shell line above the display: the first frame moves up onto it and back down.
        var rows: [String] = ["$ strata build .", ""]
        var row = 1
        var column = 0

        mutating func play(_ text: String) {
            var characters = Array(text)
            var index = 0
            while index < characters.count {
                let character = characters[index]
                if character == "\u{1B}", index + 1 < characters.count, characters[index + 1] == "[" {
                    var end = index + 2
                    while end < characters.count, !characters[end].isLetter { end += 1 }
                    let parameter = String(characters[(index + 2)..<end])
                    let count = Int(parameter) ?? 1
                    switch characters[end] {
                    case "A": row = max(0, row - count)
                    case "B": row += count
                    case "G": column = max(0, count - 1)
                    default: break
                    }
                    index = end + 1
                    continue
                }
                while rows.count <= row { rows.append("") }
                if character == "\n" {
                    row += 1
                    column = 0
                } else {
                    var line = Array(rows[row])
                    while line.count < column { line.append(" ") }
                    if column < line.count { line[column] = character } else { line.append(character) }
                    rows[row] = String(line)
                    column += 1
                }
                index += 1
            }
            characters.removeAll()
        }

        var lines: [String] {
            var result = rows.dropFirst().map { String($0.reversed().drop { $0 == " " }.reversed()) }
            while result.last == "" { result.removeLast() }
            return result
        }
    }

    @Test func aFinishedBuildShowsEveryStepWithTimersAndFinished() {
        var trace = ProgressTrace()
        var display = TTYProgressDisplay()
        var screen = Screen()
        trace.apply(.started(id: 1, name: "[internal] load build definition from Dockerfile", digest: "a"), now: 0)
        trace.apply(.status(id: 1, text: "transferring dockerfile: 31B done"), now: 0)
        trace.apply(.done(id: 1, duration: .milliseconds(10)), now: 0)
        screen.play(display.frame(&trace, now: 0.05, width: 80, height: 20, final: false))
        trace.apply(.started(id: 4, name: "[1/3] FROM docker.io/local/busybox:latest", digest: "b"), now: 0.1)
        trace.apply(.cached(id: 4), now: 0.1)
        trace.apply(.started(id: 5, name: "[2/3] WORKDIR /app", digest: "c"), now: 0.1)
        trace.apply(.done(id: 5, duration: .milliseconds(300)), now: 0.4)
        trace.apply(.started(id: 6, name: "[3/3] RUN " + String(repeating: "x", count: 90), digest: "d"), now: 0.4)
        trace.apply(.done(id: 6, duration: .milliseconds(800)), now: 1.2)
        let frame = display.frame(&trace, now: 1.25, width: 80, height: 20, final: true)
        #expect(frame.hasPrefix("\u{1B}[1A\u{1B}[1A\u{1B}[1A\u{1B}[0G\u{1B}[?25l"), "back over the 2 rows and header")
        #expect(frame.contains("\u{1B}[34m => CACHED [1/3]"), "finished rows are blue")
        screen.play(frame)
        #expect(screen.lines == [
            "[+] Building 1.2s (4/4) FINISHED",
            " => [internal] load build definition from Dockerfile                       0.0s",
            " => => transferring dockerfile: 31B                                        0.0s",
            " => CACHED [1/3] FROM docker.io/local/busybox:latest                       0.0s",
            " => [2/3] WORKDIR /app                                                     0.3s",
            " => [3/3] RUN xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx  0.8s",
        ])
    }

    @Test func aRunningStepShowsItsLastOutputRowsAndTheScreenShrinksCleanly() {
        var trace = ProgressTrace()
        trace.terminalColumns = 60
        var display = TTYProgressDisplay()
        var screen = Screen()
        trace.apply(.started(id: 5, name: "[2/2] RUN make", digest: "c"), now: 0)
        for index in 1...8 {
            trace.apply(.log(id: 5, elapsed: .seconds(index), stream: 1, text: "line \(index)\n"), now: Double(index) / 10)
        }
        screen.play(display.frame(&trace, now: 1.0, width: 60, height: 30, final: false))
        #expect(screen.lines == [
            "[+] Building 1.0s (0/1)",
            " => [2/2] RUN make                                     1.0s",
            " => => # line 4",
            " => => # line 5",
            " => => # line 6",
            " => => # line 7",
            " => => # line 8",
        ])
        trace.apply(.failed(id: 5, duration: .milliseconds(1500), message: "exit code: 2"), now: 1.5)
        let frame = display.frame(&trace, now: 1.5, width: 60, height: 30, final: true)
        #expect(frame.contains("\u{1B}[31m => ERROR [2/2] RUN make"))
        screen.play(frame)
        #expect(screen.lines == [
            "[+] Building 1.5s (1/1) FINISHED",
            " => ERROR [2/2] RUN make                               1.5s",
        ])
        #expect(trace.errorSummary() == """
            ------
             > [2/2] RUN make:
            \((1...8).map { "#5 \(String(format: "%.3f", Double($0))) line \($0)" }.joined(separator: "\n"))
            ------

            """)
    }

    @Test func aRowMatchesDockersGeometryOnA100ColumnTerminal() {
        // The row docker 20.10 drew for this step (captured with `script`, colours removed).
        var trace = ProgressTrace()
        var display = TTYProgressDisplay()
        var screen = Screen()
        let name = "[2/2] RUN echo out; echo err >&2; for i in $(seq 1 15); do echo line$i; done; printf partial; exit 3"
        trace.apply(.started(id: 5, name: name, digest: "d"), now: 0)
        trace.apply(.failed(id: 5, duration: .milliseconds(100), message: "exit code: 3"), now: 0.1)
        screen.play(display.frame(&trace, now: 0.2, width: 100, height: 30, final: true))
        #expect(screen.lines[1] == " => ERROR [2/2] RUN echo out; echo err >&2; for i in $(seq 1 15); do echo line$i; done; print  0.1s")
        #expect(screen.lines[0] == "[+] Building 0.2s (1/1) FINISHED")
    }

    @Test func rowsThatDoNotFitAreCutToTheScreenKeepingRunningStepsVisible() {
        var trace = ProgressTrace()
        var display = TTYProgressDisplay()
        var screen = Screen()
        trace.apply(.started(id: 1, name: "running first", digest: "r"), now: 0)
        for id in 2...9 {
            trace.apply(.started(id: id, name: "step \(id)", digest: "s\(id)"), now: 0)
            trace.apply(.done(id: id, duration: .zero), now: 0)
        }
        screen.play(display.frame(&trace, now: 0.5, width: 50, height: 6, final: false))
        #expect(screen.lines.count == 5)
        #expect(screen.lines[1].hasPrefix(" => running first"))
        #expect(screen.lines.last!.hasPrefix(" => step 9"))
    }

    @Test func theLiveDisplayRedrawsAtMostTenTimesASecond() async {
        final class Collected: @unchecked Sendable {
            let lock = NSLock()
            var frames = 0
            var now = 0.0
        }
        let collected = Collected()
        let output = ProgressOutput(write: { text in
            collected.lock.withLock { collected.frames += text.components(separatedBy: "[+] Building").count - 1 }
        }, size: { (100, 30) })
        let progress = BuildProgress(mode: .auto, output: output,
                                     clock: { collected.lock.withLock { collected.now } }, ticking: false)
        #expect(progress.mode == .tty)
        progress.receive(.started(id: 1, name: "RUN loop", digest: "x"))
        for index in 0..<100 {
            collected.lock.withLock { collected.now = Double(index) * 0.01 }
            progress.receive(.log(id: 1, elapsed: .zero, stream: 1, text: "tick\n"))
        }
        await progress.finish(failed: false)
        #expect(collected.frames <= 12)
    }
}
