import Foundation
import Testing

/// Containers `run` keeps without `--rm`, against docker 20.10 doing the same: names (unique, valid, made up when
/// absent), `ps`, `rm`, `rmi`'s refusal while a container uses the image, `system df`, prune, and `-it` with a
/// terminal of the container's own.
@Suite("containers kept by run", .enabled(if: DockerPeer.shouldRun, "needs the docker 20.10 peer (scripts/peers-up)"),
       .serialized)
struct ContainerCommandTests {
    /// docker's messages with container and image IDs masked and "docker" read as "strata".
    static func masked(_ text: String) -> String {
        RunCommandTests.normalized(text).replacing(/\b[0-9a-f]{64}\b/, with: "<ID>")
    }

    /// A fresh image (one name, nothing else uses it) in both stores, built from the same Dockerfile.
    static func freshImage(_ strata: StrataRunner, _ docker: DockerPeer, tag: String) async throws {
        let context = try Files.tempDirectory("ctr-image")
        defer { try? FileManager.default.removeItem(at: context) }
        try Data("FROM local/busybox\nLABEL fresh=\(UUID().uuidString)\n".utf8).write(to: context.appendingPathComponent("Dockerfile"))
        #expect(try await strata.run(["build", "-q", "-t", tag, context.path]).status == 0)
        let built = try await docker.run(["build", "-q", "-t", tag, context.path], environment: ["DOCKER_BUILDKIT": "1"])
        #expect(built.status == 0, "\(built)")
    }

    @Test("names are unique and valid, made up when absent; ps lists what run kept")
    func namesAndListing() async throws {
        let strata = try await RunCommandTests.Fixture.shared.strata()
        let docker = try DockerPeer.require()
        let name = "ctr-\(UUID().uuidString.prefix(8).lowercased())"
        defer { Task { _ = try? await docker.run(["rm", "-f", name]) } }
        for client in [0, 1] {
            func run(_ args: [String]) async throws -> CommandResult {
                client == 0 ? try await strata.run(args) : try await docker.run(args)
            }
            let network = client == 0 ? [] : ["--network", "host"]
            #expect(try await run(["run", "--name", name] + network + [RunCommandTests.image, "sh", "-c", "echo kept > /f; exit 3"]).status == 3)
        }
        for args in [["run", "--name", name, RunCommandTests.image, "true"], ["run", "--name", "x", RunCommandTests.image, "true"],
                     ["run", "--name", "bad!", RunCommandTests.image, "true"]] {
            let ours = try await strata.run(args)
            let theirs = try await docker.run(Array(args.prefix(3)) + ["--network", "host"] + Array(args.dropFirst(3)))
            #expect(ours.status == 125 && theirs.status == 125, "\(ours)\n\(theirs)")
            #expect(Self.masked(ours.stderr) == Self.masked(theirs.stderr), "\(args)")
        }
        // A made-up name: adjective_surname, unique among containers.
        #expect(try await strata.run(["run", RunCommandTests.image, "true"]).status == 0)
        #expect(try await strata.run(["run", RunCommandTests.image, "true"]).status == 0)
        let names = try await strata.run(["ps", "-a", "--format", "{{.Names}}"]).stdout.lines
        #expect(names.contains(name) && Set(names).count == names.count, "\(names)")
        #expect(names.filter { $0 != name }.allSatisfy { $0.wholeMatch(of: /[a-z]+_[a-z]+[0-9]?/) != nil }, "\(names)")

        let format = "{{.Names}}|{{.Image}}|{{.Command}}|{{.State}}|{{.Ports}}|{{.Networks}}"
        let ours = try await strata.run(["ps", "-a", "--filter", "name=\(name)", "--format", format])
        let theirs = try await docker.run(["ps", "-a", "--filter", "name=\(name)", "--format", format])
        #expect(ours.stdout.lines.contains(theirs.stdout.lines.first ?? "-"), "strata: \(ours)\ndocker: \(theirs)")
        let header = try await strata.run(["ps"])
        let dockerHeader = try await docker.run(["ps", "--filter", "name=none-such"])
        #expect(header.stdout == dockerHeader.stdout)
        let status = try await strata.run(["ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Status}} {{.Size}}", "--filter", "name=\(name)"])
        #expect(status.stdout.firstMatch(of: /^[0-9a-f]{64} Exited \(3\) .* ago 5B \(virtual [0-9.]+[kM]B\)\n/) != nil, "\(status)")
        #expect(try await strata.run(["ps", "-q", "-a"]).stdout.lines.allSatisfy { $0.count == 12 })
    }

    @Test("rmi refuses an image a container uses, in docker's words, unless forced; prune keeps it")
    func imageInUse() async throws {
        // A store of its own: this test prunes images, which the shared fixture's other users need.
        let strata = try StrataRunner()
        try await strata.importImage(try Files.busyboxRootfs(), RunCommandTests.image)
        let docker = try DockerPeer.require()
        let tag = DockerPeer.uniqueRepository("inuse") + ":1"
        try await Self.freshImage(strata, docker, tag: tag)
        let name = "inuse-\(UUID().uuidString.prefix(8).lowercased())"
        #expect(try await strata.run(["run", "--name", name, tag, "true"]).status == 0)
        #expect(try await docker.run(["run", "--network", "host", "--name", name, tag, "true"]).status == 0)
        let ourID = try await strata.run(["inspect", "-f", "{{.Id}}", tag]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let theirID = try await docker.run(["inspect", "-f", "{{.Id}}", tag]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        for (ours, theirs) in [(tag, tag), (String(ourID.dropFirst(7).prefix(12)), String(theirID.dropFirst(7).prefix(12)))] {
            let mine = try await strata.run(["rmi", ours])
            let dockers = try await docker.run(["rmi", theirs])
            #expect(mine.status == 1 && dockers.status == 1, "\(mine)\n\(dockers)")
            #expect(Self.masked(mine.stderr) == Self.masked(dockers.stderr))
        }
        // image prune -a leaves it; the container still lists it.
        #expect(try await strata.run(["image", "prune", "-a", "-f"]).status == 0)
        #expect(try await strata.run(["image", "inspect", tag]).status == 0)
        let df = try await strata.run(["system", "df", "--format", "{{.Type}} {{.TotalCount}} {{.Active}}"])
        #expect(df.stdout.lines.contains { $0.hasPrefix("Containers ") && !$0.hasPrefix("Containers 0") }, "\(df)")
        #expect(df.stdout.lines.contains { $0.hasPrefix("Images ") && !$0.hasSuffix(" 0") }, "\(df)")
        // Forced: untagged and deleted, as docker does; the container stays and names the image by its ID.
        let forced = try await strata.run(["rmi", "-f", tag])
        let dockerForced = try await docker.run(["rmi", "-f", tag])
        #expect(forced.status == 0 && Self.masked(forced.stdout).lines.prefix(2) == Self.masked(dockerForced.stdout).lines.prefix(2),
                "\(forced)\n\(dockerForced)")
        let image = try await strata.run(["ps", "-a", "--filter", "name=\(name)", "--format", "{{.Image}}"])
        #expect(image.stdout == String(ourID.dropFirst(7).prefix(12)) + "\n", "\(image)")
        for client in [0, 1] {
            let removed = client == 0 ? try await strata.run(["rm", name]) : try await docker.run(["rm", name])
            #expect(removed.status == 0 && removed.stdout == name + "\n", "\(removed)")
        }
        let missing = try await strata.run(["rm", name])
        let dockerMissing = try await docker.run(["rm", name])
        #expect(missing.status == 1 && missing.stderr == dockerMissing.stderr, "\(missing)\n\(dockerMissing)")
        #expect(try await strata.run(["system", "check"]).status == 0)
    }

    @Test("a running container: listed as Up, rm refuses it, rm -f kills it; a killed run is Exited (137)")
    func runningContainer() async throws {
        let strata = try await RunCommandTests.Fixture.shared.strata()
        let name = "live-\(UUID().uuidString.prefix(8).lowercased())"
        let child = try strata.launch(["run", "--name", name, RunCommandTests.image, "sleep", "60"])
        let deadline = ContinuousClock.now + .seconds(30)
        var listed = ""
        while ContinuousClock.now < deadline {
            listed = try await strata.run(["ps", "--format", "{{.Names}} {{.Status}}"]).stdout
            if listed.contains(name) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(listed.lines.contains { $0.hasPrefix(name + " Up ") }, "\(listed)")
        let refused = try await strata.run(["rm", name])
        #expect(refused.status == 1 && refused.stderr.contains("You cannot remove a running container ")
                && refused.stderr.contains("Stop the container before attempting removal or force remove"), "\(refused)")
        let image = try await strata.run(["rmi", "-f", RunCommandTests.image])
        #expect(image.status == 1 && image.stderr.contains("(cannot be forced) - image is being used by running container"), "\(image)")
        let forced = try await strata.run(["rm", "-f", name])
        #expect(forced.status == 0, "\(forced)")
        _ = await child.wait(timeout: .seconds(30))
        #expect(!(try await strata.run(["ps", "-a", "--format", "{{.Names}}"]).stdout.contains(name)))

        // Strata killed with -9: the container dies with it and is listed as exited 137.
        let killed = "killed-\(UUID().uuidString.prefix(8).lowercased())"
        let second = try strata.launch(["run", "--name", killed, RunCommandTests.image, "sleep", "60"])
        while ContinuousClock.now < deadline, !(try await strata.run(["ps", "-q", "--filter", "name=\(killed)"]).stdout.contains(where: \.isHexDigit)) {
            try await Task.sleep(for: .milliseconds(50))
        }
        second.kill(SIGKILL)
        _ = await second.wait(timeout: .seconds(30))
        let status = try await strata.run(["ps", "-a", "--filter", "name=\(killed)", "--format", "{{.Status}}"])
        #expect(status.stdout.hasPrefix("Exited (137) "), "\(status)")
        let pruned = try await strata.run(["container", "prune", "-f"])
        #expect(pruned.status == 0 && pruned.stdout.hasPrefix("Deleted Containers:\n"), "\(pruned)")
        #expect(try await strata.run(["ps", "-aq"]).stdout.isEmpty)
        #expect(try await strata.run(["system", "check"]).status == 0)
    }

    @Test("-it gives the container a terminal of its own /dev/pts, as docker's")
    func terminal() async throws {
        let strata = try await RunCommandTests.Fixture.shared.strata()
        let docker = try DockerPeer.require()
        let probe = "tty; test -t 0 && echo stdin-is-a-tty; test -t 1 && echo stdout-is-a-tty; readlink /proc/self/fd/2"
        func underTerminal(_ command: [String]) async throws -> CommandResult {
            let line = command.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
            return try await ProcessRunner.run("/usr/bin/script", ["-qec", line, "/dev/null"], environment: TestEnvironment.processEnvironment
                                               .merging(["DOCKER_HOST": docker.host]) { _, new in new })
        }
        let ours = try await underTerminal([strata.binary, "--root", strata.root.path, "run", "--rm", "-it", RunCommandTests.image,
                                            "sh", "-c", probe])
        let theirs = try await underTerminal([DockerPeer.client, "run", "--rm", "-it", "--network", "host", RunCommandTests.image,
                                              "sh", "-c", probe])
        func lines(_ text: String) -> [String] {
            // script(1) echoes the end of its empty input as "^@" wherever it lands.
            text.replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "^@", with: "").split(separator: "\n").map(String.init)
        }
        #expect(lines(ours.stdout) == ["/dev/pts/0", "stdin-is-a-tty", "stdout-is-a-tty", "/dev/pts/0"], "\(ours)")
        #expect(lines(ours.stdout) == lines(theirs.stdout), "strata: \(ours)\ndocker: \(theirs)")
    }
}
