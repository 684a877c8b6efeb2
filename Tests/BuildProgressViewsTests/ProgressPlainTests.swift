import Foundation
import Testing
@testable import BuildProgressViews
import ImageBuilder

/// Feeds event sequences through the trace and the plain printer with a fake clock, comparing exact text.
@Suite struct ProgressPlainTests {
    /// Applies `(time, event)` pairs, printing at every `nil` event (a tick) and once at the end.
    func render(_ script: [(Double, BuildEvent?)], failed: Bool = false) -> String {
        var trace = ProgressTrace()
        var printer = PlainProgressPrinter()
        var out = ""
        var last = 0.0
        for (time, event) in script {
            last = time
            if let event { trace.apply(event, now: time) } else { out += printer.print(&trace, now: time) }
        }
        out += printer.print(&trace, now: last)
        if failed { out += trace.errorSummary() }
        return out
    }

    @Test func aCachedBuildPrintsHeadersDigestsAndCachedLines() {
        let out = render([
            (0, .started(id: 1, name: "[internal] load build definition from Dockerfile", digest: "sha256:aa")),
            (0, .status(id: 1, text: "transferring dockerfile: 98B done")),
            (0, .done(id: 1, duration: .milliseconds(20))),
            (0.01, nil),
            (0.2, .started(id: 4, name: "[1/2] FROM docker.io/local/busybox:latest", digest: "bb")),
            (0.2, .cached(id: 4)),
            (0.3, nil),
        ])
        #expect(out == """
            #1 [internal] load build definition from Dockerfile
            #1 sha256:aa
            #1 transferring dockerfile: 98B done
            #1 DONE 0.0s

            #4 [1/2] FROM docker.io/local/busybox:latest
            #4 sha256:bb
            #4 CACHED

            """)
    }

    @Test func aFailedRunPrintsItsLogThenTheErrorAndTheSummaryBlock() {
        let out = render([
            (0, .started(id: 5, name: "[2/2] RUN echo out; echo err >&2; exit 3", digest: "sha256:18")),
            (0.139, .log(id: 5, elapsed: .milliseconds(139), stream: 1, text: "out\n")),
            (0.139, .log(id: 5, elapsed: .milliseconds(139), stream: 2, text: "err\n")),
            (0.3, .failed(id: 5, duration: .milliseconds(300),
                          message: "executor failed running [/bin/sh -c echo out; echo err >&2; exit 3]: exit code: 3")),
        ], failed: true)
        #expect(out == """
            #5 [2/2] RUN echo out; echo err >&2; exit 3
            #5 sha256:18
            #5 0.139 out
            #5 0.139 err
            #5 ERROR: executor failed running [/bin/sh -c echo out; echo err >&2; exit 3]: exit code: 3
            ------
             > [2/2] RUN echo out; echo err >&2; exit 3:
            ------

            """)
    }

    @Test func anUnfinishedLastLineIsCompletedBeforeTheErrorAndKeptForTheSummary() {
        // What BuildKit printed for `printf partial; exit 3` (see the oracle notes).
        let out = render([
            (0, .started(id: 5, name: "[2/2] RUN x", digest: "sha256:15")),
            (0.093, .log(id: 5, elapsed: .milliseconds(93), stream: 1, text: "line15\npartial")),
            (0.2, nil),
            (0.3, .failed(id: 5, duration: .milliseconds(300), message: "exit code: 3")),
        ], failed: true)
        #expect(out == """
            #5 [2/2] RUN x
            #5 sha256:15
            #5 0.093 line15
            #5 0.093 partial
            #5 ERROR: exit code: 3
            ------
             > [2/2] RUN x:
            #5 0.093 partial
            ------

            """)
    }

    @Test func timestampsUseBuildKitPrecisionAndDurationsOneDecimal() {
        #expect(ProgressVertex.timestamp(0.1394) == "0.139")
        #expect(ProgressVertex.timestamp(12.3456) == "12.35")
        #expect(ProgressVertex.timestamp(123.45) == "123.5")
        let out = render([
            (0, .started(id: 2, name: "s", digest: "d")),
            (0, .done(id: 2, duration: .milliseconds(2750))),
        ])
        #expect(out.hasSuffix("#2 DONE 2.8s\n"))
    }

    @Test func aSwitchToAnotherStepMarksTheOldOneAndReprintsItsHeaderWhenItResumes() {
        // Step 5 is followed; step 7 starts and then 5 finishes, so 7 gets the output; 5 never resumes, but
        // when 7 finishes while 5 is silent the header of 5 is shown again for its completion.
        let out = render([
            (0, .started(id: 5, name: "[a 2/2] RUN a", digest: "sha256:a5")),
            (0.1, .log(id: 5, elapsed: .milliseconds(100), stream: 1, text: "a1\n")),
            (0.2, nil),
            (0.25, .started(id: 7, name: "[b 2/2] RUN b", digest: "sha256:b7")),
            (0.3, .log(id: 7, elapsed: .milliseconds(50), stream: 1, text: "b1\n")),
            (0.35, nil),
            (0.4, .done(id: 7, duration: .milliseconds(150))),
            (0.5, nil),
            (0.6, .log(id: 5, elapsed: .milliseconds(600), stream: 1, text: "a2\n")),
            (0.7, .done(id: 5, duration: .milliseconds(700))),
        ])
        #expect(out == """
            #5 [a 2/2] RUN a
            #5 sha256:a5
            #5 0.100 a1
            #5 ...

            #7 [b 2/2] RUN b
            #7 sha256:b7
            #7 0.050 b1
            #7 DONE 0.1s

            #5 [a 2/2] RUN a
            #5 sha256:a5
            #5 0.600 a2
            #5 DONE 0.7s

            """)
    }

    @Test func canceledStepsPrintCanceledAndStayOutOfTheSummary() {
        let out = render([
            (0, .started(id: 7, name: "[b 2/2] RUN b", digest: "sha256:b7")),
            (1, .failed(id: 7, duration: .seconds(1), message: "context canceled")),
        ], failed: true)
        #expect(out == "#7 [b 2/2] RUN b\n#7 sha256:b7\n#7 CANCELED\n")
    }

    @Test func retainedLinesAreCappedButPlainOutputLosesNothing() {
        var trace = ProgressTrace(retainedLinesPerVertex: 3)
        var printer = PlainProgressPrinter()
        var out = ""
        trace.apply(.started(id: 1, name: "RUN many", digest: "d"), now: 0)
        for index in 0..<10 {
            if trace.apply(.log(id: 1, elapsed: .zero, stream: 1, text: "l\(index)\n"), now: 0) {
                out += printer.printOverflowing(&trace)
            }
            #expect(trace.vertices[1]!.logs.count <= 4)
        }
        out += printer.print(&trace, now: 1)
        #expect((0..<10).allSatisfy { out.contains("#1 0.000 l\($0)\n") })
    }

    @Test func quietModeWritesNothingOnSuccessAndThePlainLogOnFailure() async {
        final class Collected: @unchecked Sendable {
            let lock = NSLock()
            var text = ""
        }
        for failed in [false, true] {
            let collected = Collected()
            let output = ProgressOutput(write: { text in collected.lock.withLock { collected.text += text } })
            let progress = BuildProgress(mode: .quiet, output: output, clock: { 0 }, ticking: false)
            progress.receive(.started(id: 1, name: "[1/1] RUN false", digest: "sha256:1"))
            progress.receive(.failed(id: 1, duration: .zero, message: "exit code: 1"))
            #expect(collected.text.isEmpty)
            await progress.finish(failed: failed)
            #expect(collected.text == (failed ? "#1 [1/1] RUN false\n#1 sha256:1\n#1 ERROR: exit code: 1\n------\n > [1/1] RUN false:\n------\n" : ""))
        }
    }

    @Test func autoIsTTYOnlyOnATerminal() {
        #expect(ProgressMode.auto.resolved(isTerminal: true) == .tty)
        #expect(ProgressMode.auto.resolved(isTerminal: false) == .plain)
        #expect(ProgressMode.quiet.resolved(isTerminal: true) == .quiet)
        let plain = BuildProgress(mode: .auto, output: ProgressOutput(write: { _ in }), ticking: false)
        #expect(plain.mode == .plain)
    }

    @Test func theSpoolCutsOnlyAtCharacterBoundaries() {
        #expect(QuietSpool.completeUTF8Prefix(Array("ab".utf8)) == 2)
        #expect(QuietSpool.completeUTF8Prefix(Array("aé".utf8).dropLast()) == 1)
        #expect(QuietSpool.completeUTF8Prefix(Array("a€".utf8)) == 4)
    }
}
