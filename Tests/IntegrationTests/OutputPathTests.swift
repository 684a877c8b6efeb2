import Foundation
import Testing

/// `save -o` and `export -o` onto what is not a regular file: a device is refused with docker's words and left as it
/// is, a FIFO is written in place, a missing directory is reported as docker does, and temporaries left next to the
/// target by a killed run are swept by the next one.
@Suite("output paths")
struct OutputPathTests {
    @Test("devices are refused, FIFOs written in place, abandoned temporaries swept")
    func outputPaths() async throws {
        let strata = try StrataRunner()
        try await strata.importImage(try Files.busyboxRootfs(), "outpath/app:1")
        let directory = try Files.tempDirectory("outpath")
        defer { try? FileManager.default.removeItem(at: directory) }

        if getuid() == 0 {
            let device = directory.appendingPathComponent("null").path
            #expect(mknod(device, S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0)   // makedev(1, 3), /dev/null
            for command in ["save", "export"] {
                let result = try await strata.run([command, "-o", device, "outpath/app:1"])
                let action = command == "save" ? "failed to save image" : "failed to export image"
                #expect(result.status == 1 && result.stderr
                    == "\(action): invalid output path: \"\(device)\" must be a directory or a regular file: got a device\n", "\(result)")
                var info = stat()
                #expect(stat(device, &info) == 0 && info.st_mode & S_IFMT == S_IFCHR, "the device node is still a device")
            }
        }
        let missing = try await strata.run(["save", "-o", "/nonexistent-strata/x.tar", "outpath/app:1"])
        #expect(missing.status == 1 && missing.stderr == "failed to save image: invalid output path: directory \"/nonexistent-strata\" does not exist\n",
                "\(missing)")

        // A FIFO: the archive streams through it to a reader; it stays a FIFO.
        let fifo = directory.appendingPathComponent("pipe").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let copy = directory.appendingPathComponent("copy.tar").path
        let reader = try ProcessRunner.launch("/bin/sh", ["-c", "cat \"$1\" > \"$2\"", "sh", fifo, copy])
        let saved = try await strata.run(["save", "-o", fifo, "outpath/app:1"])
        #expect(saved.status == 0, "\(saved)")
        _ = await reader.wait(timeout: .seconds(30))
        let listed = try await ProcessRunner.run("/bin/tar", ["-tf", copy])
        #expect(listed.status == 0 && listed.stdout.contains("manifest.json"), "\(listed)")
        var info = stat()
        #expect(stat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)

        // A temporary whose writer is gone (no lock held) is swept by the next save into that directory.
        let abandoned = directory.appendingPathComponent(".strata_temp_Xk9dQ2").path
        #expect(FileManager.default.createFile(atPath: abandoned, contents: Data("partial".utf8)))
        let target = directory.appendingPathComponent("app.tar").path
        #expect(try await strata.run(["save", "-o", target, "outpath/app:1"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: abandoned))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix(".strata_temp_") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }
}

/// The metadata WAL is folded into metadata.db when a writing command ends: a backup of metadata.db alone, and a
/// root on read-only media, both see every image.
@Suite("metadata checkpoint")
struct MetadataCheckpointTests {
    @Test("metadata.db alone holds the images after a write; a read-only bind mount of the root lists them")
    func checkpointed() async throws {
        let strata = try StrataRunner()
        let id = try await strata.importImage(try Files.busyboxRootfs(), "wal/app:1")
        let database = strata.root.appendingPathComponent("metadata.db").path
        let copy = try Files.tempDirectory("walcopy")
        defer { try? FileManager.default.removeItem(at: copy) }
        try FileManager.default.copyItem(atPath: database, toPath: copy.appendingPathComponent("metadata.db").path)
        let counted = try await ProcessRunner.run("/usr/bin/python3", ["-c", """
            import sqlite3, sys
            print(sqlite3.connect(sys.argv[1]).execute("select id from images").fetchall()[0][0])
            """, copy.appendingPathComponent("metadata.db").path])
        #expect(counted.status == 0 && counted.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == id, "\(counted)")

        // Blobs whose metadata is gone (a restore that lost the database) are damage, not a prunable leftover.
        let lost = try StrataRunner()
        try FileManager.default.removeItem(at: lost.root)
        try FileManager.default.createDirectory(at: lost.root, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: strata.root.appendingPathComponent("blobs"), to: lost.root.appendingPathComponent("blobs"))
        let check = try await lost.run(["system", "check"])
        #expect(check.status == 1 && check.stderr.contains("metadata may be lost"), "\(check)")

        guard getuid() == 0 else { return }
        let mountPoint = try Files.tempDirectory("walro")
        defer { _ = try? ProcessRunner.runBlocking("/bin/umount", [mountPoint.path]); try? FileManager.default.removeItem(at: mountPoint) }
        let bound = try await ProcessRunner.run("/bin/sh", ["-c", "mount --bind \"$1\" \"$2\" && mount -o remount,bind,ro \"$2\"", "sh",
                                                          strata.root.path, mountPoint.path])
        try #require(bound.status == 0, "\(bound)")
        let listed = try await ProcessRunner.run(strata.binary, ["--root", mountPoint.path, "images", "--format", "{{.Repository}}:{{.Tag}}"])
        #expect(listed.status == 0 && listed.stdout == "wal/app:1\n", "\(listed)")
    }
}

/// Pathological inputs cost bounded time and memory and give one readable error.
@Suite("bounded input")
struct BoundedInputTests {
    @Test("build -f /dev/zero and a 4 MB line fail fast with a short error")
    func boundedDockerfiles() async throws {
        let strata = try StrataRunner()
        let context = try Files.tempDirectory("bounded")
        defer { try? FileManager.default.removeItem(at: context) }
        let zero = try await strata.run(["build", "-f", "/dev/zero", context.path], timeout: .seconds(20))
        #expect(zero.status == 1 && zero.stderr.contains("larger than") && zero.stderr.utf8.count < 4096, "\(zero.stderr.prefix(300))")
        let line = "FROM " + String(repeating: "A", count: 3_000_000) + "\n"
        try Data(line.utf8).write(to: context.appendingPathComponent("Dockerfile"))
        let long = try await strata.run(["build", context.path], timeout: .seconds(60))
        #expect(long.status == 1 && long.stderr.utf8.count < 16384, "\(long.stderr.utf8.count) bytes of stderr")
    }
}

/// `system prune` and `builder prune -a` leave no cache behind: dangling images and build cache go, then with -a
/// every unused image, every cache entry and every snapshot tree (the flattened bases under snapshots/ included).
@Suite("system prune")
struct SystemPruneTests {
    @Test("system prune removes dangling images and cache; -a leaves an empty store, no snapshot trees, check green")
    func systemPrune() async throws {
        let strata = try StrataRunner()
        try await strata.importImage(try Files.busyboxRootfs(), "prune/base:1")
        let context = try Files.tempDirectory("prune-ctx")
        defer { try? FileManager.default.removeItem(at: context) }
        let dockerfile = context.appendingPathComponent("Dockerfile")
        try Data("FROM prune/base:1\nRUN echo a > /a\n".utf8).write(to: dockerfile)
        #expect(try await strata.run(["build", "-q", "-t", "prune/app:1", context.path]).status == 0)
        try Data("FROM prune/base:1\nRUN echo b > /b\n".utf8).write(to: dockerfile)
        #expect(try await strata.run(["build", "-q", "-t", "prune/app:1", context.path]).status == 0)
        #expect(try await strata.run(["run", "--rm", "prune/app:1", "true"]).status == 0)
        #expect(try await strata.run(["images", "-q", "--filter", "dangling=true"]).stdout.lines.count == 1)

        let dangling = try await strata.run(["system", "prune", "-f"])
        #expect(dangling.status == 0 && dangling.stdout.contains("Deleted Images:") && dangling.stdout.contains("Total reclaimed space:"),
                "\(dangling)")
        #expect(try await strata.run(["images", "-q", "--filter", "dangling=true"]).stdout.isEmpty)
        #expect(try await strata.run(["images", "-q"]).stdout.lines.count == 2)

        let everything = try await strata.run(["system", "prune", "-a", "-f"])
        #expect(everything.status == 0, "\(everything)")
        #expect(try await strata.run(["images", "-a", "-q"]).stdout.isEmpty)
        let snapshots = (try? FileManager.default.contentsOfDirectory(atPath: strata.root.appendingPathComponent("snapshots").path)) ?? []
        #expect(snapshots.filter { $0 != "layers" }.isEmpty, "\(snapshots)")
        let blobs = (try? FileManager.default.contentsOfDirectory(atPath: strata.root.appendingPathComponent("blobs/sha256").path)) ?? []
        #expect(blobs.isEmpty, "\(blobs)")
        let check = try await strata.run(["system", "check"])
        #expect(check.status == 0, "\(check)")
        // Not forced and not interactive: nothing is removed.
        try await strata.importImage(try Files.busyboxRootfs(), "prune/base:1")
        let declined = try await strata.run(["system", "prune", "-a"], stdinFile: "/dev/null")
        #expect(declined.stdout.contains("WARNING! This will remove:") && declined.stdout.hasSuffix("Total reclaimed space: 0B\n"), "\(declined)")
        #expect(try await strata.run(["images", "-q"]).stdout.lines.count == 1)
    }
}

/// Ctrl-C or SIGTERM during a RUN step: the step shows CANCELED, the build exits 1, and neither a process of the
/// step nor its overlay mount survives.
@Suite("interrupted build")
struct InterruptedBuildTests {
    @Test("SIGTERM and SIGINT during RUN cancel the build cleanly", arguments: [SIGTERM, SIGINT])
    func interrupted(signal: Int32) async throws {
        let strata = try StrataRunner()
        try await strata.importImage(try Files.busyboxRootfs(), "interrupt/base:1")
        let context = try Files.tempDirectory("interrupt")
        defer { try? FileManager.default.removeItem(at: context) }
        let marker = "strata-interrupt-\(UUID().uuidString.prefix(8))"
        // Durations of this case's own (the cases run side by side): pgrep must see only this build's processes.
        let first = 3000 + Int(signal) * 2, second = first + 1
        let pattern = "sleep (\(first)|\(second))$"
        try Data("FROM interrupt/base:1\nRUN sleep \(first) & sleep \(second); echo \(marker)\n".utf8)
            .write(to: context.appendingPathComponent("Dockerfile"))
        let build = try strata.launch(["build", "--progress=plain", "--no-cache", context.path])
        let rootPrefix = strata.root.path + "/"
        var started = false
        for _ in 0..<100 {
            try await Task.sleep(for: .milliseconds(100))
            let sleeping = try await ProcessRunner.run("/usr/bin/pgrep", ["-f", pattern])
            if !Files.mountPoints(under: rootPrefix).isEmpty && sleeping.status == 0 { started = true; break }
        }
        try #require(started, "the RUN step never started")
        build.kill(signal)
        let result = await build.wait(timeout: .seconds(30))
        #expect(!result.timedOut && result.status == 1, "\(result)")
        #expect(result.stderr.contains("CANCELED"), "\(result.stderr)")
        try await Task.sleep(for: .milliseconds(300))
        #expect(Files.mountPoints(under: rootPrefix).isEmpty, "\(Files.mountPoints(under: rootPrefix))")
        // A loaded machine may take a moment to tear the namespace down; a real survivor outlives any wait.
        var survivors = try await ProcessRunner.run("/usr/bin/pgrep", ["-f", pattern])
        for _ in 0..<50 where survivors.status == 0 {
            try await Task.sleep(for: .milliseconds(100))
            survivors = try await ProcessRunner.run("/usr/bin/pgrep", ["-f", pattern])
        }
        #expect(survivors.status != 0, "step processes survived: \(survivors.stdout)")
    }
}

/// `build -o type=local|tar` and `-o -` export to the client, as BuildKit does: no image is named or kept, and with
/// `-q -o -` stdout is the tar alone.
@Suite("build outputs")
struct BuildOutputTests {
    @Test("local and tar outputs create no image; -q -o - writes only the tar")
    func clientOutputs() async throws {
        let strata = try StrataRunner()
        try await strata.importImage(try Files.busyboxRootfs(), "outputs/base:1")
        let context = try Files.tempDirectory("outputs")
        defer { try? FileManager.default.removeItem(at: context) }
        try Data("FROM outputs/base:1\nRUN echo x > /x\n".utf8).write(to: context.appendingPathComponent("Dockerfile"))
        func imageCount() async throws -> Int { try await strata.run(["images", "-a", "-q"]).stdout.lines.count }
        let local = context.appendingPathComponent("local").path
        let toLocal = try await strata.run(["build", "-q", "-t", "outputs/named:1", "-o", "type=local,dest=\(local)", context.path])
        #expect(toLocal.status == 0 && FileManager.default.fileExists(atPath: local + "/x"), "\(toLocal)")
        let tarPath = context.appendingPathComponent("out.tar").path
        #expect(try await strata.run(["build", "-q", "-o", "type=tar,dest=\(tarPath)", context.path]).status == 0)
        #expect(try await imageCount() == 1, "only the base image is stored")
        #expect(try await strata.run(["images", "-q", "outputs/named"]).stdout.isEmpty)
        let stdoutTar = context.appendingPathComponent("stdout.tar").path
        let piped = try await ProcessRunner.run("/bin/sh", ["-c", "\"$1\" --root \"$2\" build -q -o - \"$3\" > \"$4\"", "sh",
                                                          strata.binary, strata.root.path, context.path, stdoutTar])
        #expect(piped.status == 0, "\(piped)")
        let listed = try await ProcessRunner.run("/bin/tar", ["-tf", stdoutTar])
        #expect(listed.status == 0 && listed.stdout.lines.contains("x") && listed.stderr.isEmpty, "\(listed)")
        let tail = try Data(contentsOf: URL(fileURLWithPath: stdoutTar)).suffix(128)
        #expect(!String(decoding: tail, as: UTF8.self).contains("sha256:"), "no image ID after the tar")
        #expect(try await imageCount() == 1)
        // The cache still serves a build that does keep the image.
        let kept = try await strata.run(["build", "--progress=plain", "-t", "outputs/named:1", context.path])
        #expect(kept.status == 0 && kept.stderr.contains("CACHED"), "\(kept.stderr.suffix(400))")
        #expect(try await imageCount() == 2)
    }
}

/// A full disk during `load` is the store's failure, not the archive's: the message says "no space left on device",
/// and the store stays consistent.
@Suite("full disk")
struct FullDiskTests {
    @Test("load onto a full filesystem blames the disk and leaves the store consistent")
    func fullDisk() async throws {
        guard getuid() == 0 else {
            if TestEnvironment.isCI { Issue.record("mounting a small tmpfs needs root, which CI has") }
            return
        }
        let source = try StrataRunner()
        try await source.importImage(try Files.busyboxRootfs(), "full/app:1")
        let scratch = try Files.tempDirectory("fulldisk")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let archive = scratch.appendingPathComponent("app.tar").path
        #expect(try await source.run(["save", "-o", archive, "full/app:1"]).status == 0)
        let mountPoint = scratch.appendingPathComponent("small").path
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = try await ProcessRunner.run("/bin/mount", ["-t", "tmpfs", "-o", "size=600k", "tmpfs", mountPoint])
        try #require(mounted.status == 0, "\(mounted)")
        defer { _ = ProcessRunner.runBlocking("/bin/umount", [mountPoint]) }
        let root = mountPoint + "/root"
        let loaded = try await ProcessRunner.run(source.binary, ["--root", root, "load", "-i", archive])
        #expect(loaded.status == 1, "\(loaded)")
        #expect(loaded.stderr.lowercased().contains("no space left on device") && !loaded.stderr.contains("invalid archive"), "\(loaded)")
        let check = try await ProcessRunner.run(source.binary, ["--root", root, "system", "check"])
        #expect(check.status == 0, "\(check)")
    }
}
