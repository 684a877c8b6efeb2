import Foundation
import Testing

/// Peak memory of the streaming commands stays flat in the layer size: with a 300 MB layer (half random,
/// half zeros) `save`, `load` and `image unpack` each stay under 100 MB of peak RSS (issue 3's budget,
/// measured with a 2 GB layer by bench/memory.sh), as `/usr/bin/time` sees it.
@Suite("Memory")
struct MemoryTests {
    static let budgetKB = 100 * 1024

    /// A tar of one ~300 MB layer: 4 MiB blocks alternately random (from an 8 MiB pool) and zeros,
    /// plus a few hundred small files.
    static func bigLayer(in scratch: URL) async throws -> String {
        let out = scratch.appendingPathComponent("big.tar").path
        let script = """
            set -e; cd "$1"; mkdir -p tree/data tree/small; head -c 8M /dev/urandom >pool
            i=0; while [ $i -lt 75 ]; do
              if [ $((i % 2)) = 0 ]; then dd if=pool bs=4M count=1 skip=$((i / 2 % 2)) status=none; else head -c 4M /dev/zero; fi
              i=$((i + 1)); done >tree/data/blob
            for n in $(seq 300); do echo "file $n" >tree/small/f$n; done
            tar --numeric-owner -C tree -cf "$2" .; rm -rf tree pool
            """
        let r = try await ProcessRunner.run("/bin/sh", ["-c", script, "sh", scratch.path, out])
        guard r.status == 0 else { throw FixtureError("building the big layer failed: \(r)") }
        return out
    }

    @Test("save, load and image unpack of a 300 MB layer each stay under 100 MB peak RSS")
    func peakRSSIsFlat() async throws {
        let strata = try StrataRunner()
        let scratch = try Files.tempDirectory("memory")
        defer { _ = ProcessRunner.runBlocking("/bin/rm", ["-rf", scratch.path]) }
        let layer = try await Self.bigLayer(in: scratch)
        try await strata.importImage(layer, "strata-it/memory:1")
        try? FileManager.default.removeItem(atPath: layer)

        let archive = scratch.appendingPathComponent("saved.tar").path
        let save = try await PeakRSS.run(strata.binary, ["--root", strata.root.path, "save", "-o", archive, "strata-it/memory:1"])
        #expect(save.status == 0)
        #expect(save.maxRSSKB < Self.budgetKB, "strata save peak RSS \(save.maxRSSKB) KB")

        let loader = try StrataRunner()
        let load = try await PeakRSS.run(loader.binary, ["--root", loader.root.path, "load", "-i", archive])
        #expect(load.status == 0)
        #expect(load.maxRSSKB < Self.budgetKB, "strata load peak RSS \(load.maxRSSKB) KB")
        try? FileManager.default.removeItem(atPath: archive)

        let target = scratch.appendingPathComponent("rootfs").path
        let unpack = try await PeakRSS.run(strata.binary, ["--root", strata.root.path, "image", "unpack", "strata-it/memory:1", target])
        #expect(unpack.status == 0)
        #expect(unpack.maxRSSKB < Self.budgetKB, "strata image unpack peak RSS \(unpack.maxRSSKB) KB")
        var info = stat()
        #expect(stat(target + "/data/blob", &info) == 0 && info.st_size == 75 * (4 << 20))
    }
}

/// Runs a command under `/usr/bin/time -f %M` and reports its exit status and peak RSS. Measuring from here
/// is not possible: a child spawned (vfork or fork) by this big test process inherits its high-water RSS at
/// exec, so wait4's ru_maxrss would report the test runner, not strata; `time` is tiny.
enum PeakRSS {
    struct Outcome: Sendable {
        var status: Int32
        var maxRSSKB: Int
    }

    static let timeTool = "/usr/bin/time"

    static func run(_ executable: String, _ arguments: [String]) async throws -> Outcome {
        guard FileManager.default.isExecutableFile(atPath: timeTool) else {
            throw FixtureError("\(timeTool) is missing (apt install time; scripts/peers-up installs it)")
        }
        let report = try Files.tempDirectory("rss").appendingPathComponent("rss.txt").path
        defer { try? FileManager.default.removeItem(atPath: (report as NSString).deletingLastPathComponent) }
        let r = try await ProcessRunner.run(timeTool, ["-f", "%M", "-o", report, executable] + arguments, timeout: .seconds(180))
        let text = (try? String(contentsOfFile: report, encoding: .utf8)) ?? ""
        // With a failing command `time` prefixes "Command exited with non-zero status N"; %M is the last line.
        guard let last = text.split(separator: "\n").last, let kilobytes = Int(last.trimmingCharacters(in: .whitespaces)) else {
            throw FixtureError("no peak RSS from \(timeTool): \(r)")
        }
        if r.status != 0 { Issue.record("\(executable) \(arguments.joined(separator: " ")) failed: \(r)") }
        return Outcome(status: r.status, maxRSSKB: kilobytes)
    }
}
