import Foundation
import Testing

/// Store integrity under abuse: killed imports and concurrent writers. No docker needed.
@Suite("Robustness")
struct RobustnessTests {
    @Test("kill -9 during import leaves a consistent store and no ingest leftovers")
    func killDuringImport() async throws {
        let strata = try StrataRunner()
        let scratch = try Files.tempDirectory("crash")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let input = try await Files.largeRootfs(megabytes: 48, into: scratch)
        try await strata.importImage(try Files.busyboxRootfs(), "strata-it/survivor:1")

        // Calibrate: how long does one uninterrupted import take here?
        let clock = ContinuousClock()
        let full = try await clock.measure { try await strata.importImage(input, "strata-it/full:1") }
        var window = max(full, .milliseconds(50))

        // Kills at random moments of an import until ten have landed midway (at most 40 tries); an import that
        // finished first shrinks the window below the time it was given (the calibration run may have been slowed
        // by other tests, so the window can start far too long).
        var killedMidway = 0
        var round = 0
        while killedMidway < 10 && round < 40 {
            round += 1
            let child = try strata.launch(["import", input, "strata-it/crash:\(round)"])
            let delay = window * Double.random(in: 0.02...0.95)
            try await Task.sleep(for: delay)
            child.kill(SIGKILL)
            let result = await child.wait(timeout: .seconds(60))
            if result.status != 0 { killedMidway += 1 } else { window = max(min(window / 2, delay), .milliseconds(10)) }
        }
        let check = try await strata("system", "check")
        #expect(check.status == 0, "system check after \(killedMidway) kill -9 (\(round) tries): \(check)")
        let images = try await strata("images", "--format", "{{.Repository}}:{{.Tag}}")
        #expect(images.status == 0)
        #expect(images.stdout.contains("strata-it/survivor:1\n"), "earlier image lost:\n\(images.stdout)")
        #expect(images.stdout.contains("strata-it/full:1\n"))
        #expect(strata.ingestLeftovers().isEmpty, "temporary files left in \(strata.root.path)/ingest: \(strata.ingestLeftovers())")
        // Every tag that survived must point at an inspectable image.
        for line in images.stdout.split(separator: "\n") where line.hasPrefix("strata-it/crash:") {
            #expect(try await strata("inspect", String(line)).status == 0, "dangling tag \(line)")
        }
        #expect(killedMidway > 0, "no kill landed during an import; the crash test tested nothing")
    }

    @Test("4 processes importing and tagging at once into one root")
    func concurrentWriters() async throws {
        let strata = try StrataRunner()
        let rootfs = try Files.busyboxRootfs()
        let scratch = try Files.tempDirectory("conc")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let gz = try await Files.gzipped(rootfs, into: scratch)
        let workers = 4, tagsPerWorker = 5

        let failures = try await withThrowingTaskGroup(of: [String].self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var failures: [String] = []
                    let base = "strata-it/conc\(worker):base"
                    let r = try await strata.run(["import", worker.isMultiple(of: 2) ? rootfs : gz, base])
                    if r.status != 0 { return ["worker \(worker) import: \(r)"] }
                    for n in 1...tagsPerWorker {
                        let t = try await strata("tag", base, "strata-it/conc\(worker):t\(n)")
                        if t.status != 0 { failures.append("worker \(worker) tag t\(n): \(t)") }
                        // Cross-tag another worker's image when it exists; a miss is fine, an error other than that is not.
                        let other = "strata-it/conc\((worker + 1) % workers):base"
                        let x = try await strata("tag", other, "strata-it/cross\(worker):t\(n)")
                        if x.status != 0 && !x.stderr.contains("No such image") { failures.append("worker \(worker) cross-tag: \(x)") }
                    }
                    return failures
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")

        let listed = try await strata("images", "--format", "{{.Repository}}:{{.Tag}}")
        let tags = Set(listed.stdout.split(separator: "\n").map(String.init))
        for worker in 0..<workers {
            #expect(tags.contains("strata-it/conc\(worker):base"))
            for n in 1...tagsPerWorker { #expect(tags.contains("strata-it/conc\(worker):t\(n)"), "missing conc\(worker):t\(n)") }
        }
        // All four imports had identical content: one layer, deduplicated.
        let layers = try await strata("inspect", "--format", "{{.RootFS.Layers}}",
                                      "strata-it/conc0:base", "strata-it/conc1:base", "strata-it/conc2:base", "strata-it/conc3:base")
        #expect(Set(layers.stdout.split(separator: "\n")).count == 1, "layers differ: \(layers.stdout)")
        let check = try await strata("system", "check")
        #expect(check.status == 0, "system check after concurrent writers: \(check)")
        #expect(strata.ingestLeftovers().isEmpty)
    }

    @Test("import from stdin and from a file give the same layer; output is just the ID")
    func importBasics() async throws {
        let strata = try StrataRunner()
        let rootfs = try Files.busyboxRootfs()
        let fromFile = try await strata("import", rootfs, "strata-it/basic:file")
        let fromStdin = try await strata("import", "-", "strata-it/basic:stdin", stdinFile: rootfs)
        for r in [fromFile, fromStdin] {
            #expect(r.status == 0, "\(r)")
            #expect(r.stdout.wholeMatch(of: /sha256:[0-9a-f]{64}\n/) != nil, "import must print only the image ID: \(r.stdout.debugDescription)")
            #expect(r.stderr.isEmpty, "\(r.stderr)")
        }
        let layers = try await strata("inspect", "--format", "{{.RootFS.Layers}}", "strata-it/basic:file", "strata-it/basic:stdin")
        let diffID = try await Files.sha256(rootfs)
        #expect(layers.stdout == "[\(diffID)]\n[\(diffID)]\n")
        #expect(try await strata("system", "check").status == 0)
    }
}
