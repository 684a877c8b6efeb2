import Foundation
import Testing

/// A reader that goes away (`| head -1`, `2>&1 | grep -q`) ends a command as it ends docker: quietly, by SIGPIPE or
/// a plain non-zero exit, never by a Swift trap (SIGILL/SIGTRAP), on stdout and on stderr, on success and on error
/// paths. The pipe is made with its read end already closed, so every write fails with EPIPE deterministically.
@Suite("closed output")
struct ClosedOutputTests {
    /// Runs strata with stdout or stderr on a pipe whose reader is gone; returns Python's returncode (negative: a signal).
    static func runClosed(_ strata: StrataRunner, _ args: [String], stream: String) async throws -> Int {
        let script = """
            import os, subprocess, sys
            r, w = os.pipe(); os.close(r)
            stream = sys.argv[1]
            kwargs = {"stdout": w, "stderr": subprocess.DEVNULL} if stream == "stdout" else {"stderr": w, "stdout": subprocess.DEVNULL}
            p = subprocess.run(sys.argv[2:], stdin=subprocess.DEVNULL, **kwargs)
            print(p.returncode)
            """
        let result = try await ProcessRunner.run("/usr/bin/python3", ["-c", script, stream, strata.binary, "--root", strata.root.path] + args)
        guard result.status == 0, let code = Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw FixtureError("python harness failed: \(result)")
        }
        return code
    }

    @Test("error paths with a closed stderr and listings with a closed stdout end without a trap")
    func noTraps() async throws {
        let strata = try StrataRunner()
        try await strata.importImage(try Files.busyboxRootfs(), "closed/app:1")
        let context = try Files.tempDirectory("closed-ctx")
        defer { try? FileManager.default.removeItem(at: context) }
        try Data("FROM closed/app:1\nRUN exit 3\n".utf8).write(to: context.appendingPathComponent("Dockerfile"))
        let failing: [[String]] = [
            ["build", "--progress=plain", context.path], ["rmi", "nosuch:1"], ["tag", "nosuch:1", "x:1"], ["history", "nosuch:1"],
            ["load", "-i", "/nonexistent.tar"], ["save", "-o", "/nonexistent/dir/x.tar", "closed/app:1"], ["export", "nosuch"],
            ["images", "--filter", "bogus=1"], ["images", "--format", "{{"], ["images", "--no-such-flag"], ["inspect", "nosuch"],
            ["pull", "INVALID//ref"], ["trust", "inspect"], ["verify", "x"],
        ]
        for args in failing {
            let code = try await Self.runClosed(strata, args, stream: "stderr")
            #expect(code != 0 && code != -4 && code != -5 && code != 132 && code != 133, "\(args): \(code)")
        }
        let printing: [[String]] = [
            ["images"], ["history", "closed/app:1"], ["inspect", "closed/app:1"], ["images", "--format", "{{json .}}"],
            ["system", "df", "-v"], ["save", "closed/app:1"], ["--help"], ["trust", "--help"],
        ]
        for args in printing {
            let code = try await Self.runClosed(strata, args, stream: "stdout")
            #expect(code != -4 && code != -5 && code != 132 && code != 133, "\(args): \(code)")
        }
        let check = try await strata.run(["system", "check"])
        #expect(check.status == 0, "\(check)")
    }
}
