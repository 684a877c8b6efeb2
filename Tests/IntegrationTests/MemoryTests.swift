import Foundation
import Testing

/// Peak memory of the streaming commands stays flat in the layer size: with a 300 MB layer (half random,
/// half zeros) `save`, `load` and `image unpack` each stay under 100 MB of peak RSS (issue 3's budget,
/// measured with a 2 GB layer by bench/memory.sh). The RSS is the child's own, from wait4.
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

/// Runs a command with its output discarded and reports its exit status and peak RSS (wait4's ru_maxrss,
/// this child's alone — getrusage(RUSAGE_CHILDREN) would mix in every other test's children).
enum PeakRSS {
    struct Outcome: Sendable {
        var status: Int32
        var maxRSSKB: Int
    }

    static func run(_ executable: String, _ arguments: [String]) async throws -> Outcome {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw FixtureError("posix_spawn \(executable): \(String(cString: strerror(spawned)))") }
        let child = pid
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var status: Int32 = 0
                var usage = rusage()
                while wait4(child, &status, 0, &usage) < 0 && errno == EINTR {}
                let exited = status & 0x7f == 0
                continuation.resume(returning: Outcome(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f),
                                                       maxRSSKB: usage.ru_maxrss))
            }
        }
    }
}
