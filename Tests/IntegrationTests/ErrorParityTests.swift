import Foundation
import Testing

/// Failure paths: strata must print docker's messages on the same streams with the same exit codes.
@Suite("Error parity", .enabled(if: DockerPeer.shouldRun, "needs the docker 20.10 peer (scripts/peers-up)"))
struct ErrorParityTests {
    @Test("unknown image", arguments: [
        ["inspect", "nope-strata-it"], ["image", "inspect", "nope-strata-it"], ["inspect", "nope-strata-it", "nope2-strata-it"],
        ["rmi", "nope-strata-it"], ["image", "rm", "nope-strata-it"], ["rmi", "-f", "nope-strata-it"],
        ["history", "nope-strata-it"], ["tag", "nope-strata-it", "strata-it/x:y"],
        ["inspect", "--format", "{{.Id}}", "nope-strata-it"],
    ])
    func unknownImage(args: [String]) async throws {
        let docker = try DockerPeer.require()
        let strata = try StrataRunner()
        expectIdentical(try await strata.run(args), try await docker.run(args), args.joined(separator: " "))
    }

    @Test("bad references (uppercase, bad tag, digest target)")
    func badReferences() async throws {
        let docker = try DockerPeer.require()
        let strata = try StrataRunner()
        let rootfs = try Files.busyboxRootfs()
        let ref = DockerPeer.uniqueRepository("badref") + ":1"
        try await strata.importImage(rootfs, ref)
        try await docker.importImage(rootfs, ref)
        let cases: [[String]] = [
            ["import", rootfs, "Strata-IT/Upper:1"], ["import", rootfs, "strata-it/x:bad tag"],
            ["tag", ref, "Strata-IT/Upper:1"], ["tag", "Strata-IT/Upper", ref], ["tag", ref, "strata-it/x:bad tag"],
            ["tag", ref, "strata-it/x@sha256:" + String(repeating: "a", count: 64)],
            ["rmi", "Strata-IT/Upper"], ["history", "Strata-IT/Upper"],
            ["image", "inspect", "Strata-IT/Upper"], ["inspect", "Strata-IT/Upper"],
        ]
        for args in cases {
            expectIdentical(try await strata.run(args), try await docker.run(args), args.joined(separator: " "))
        }
        #expect(try await strata("images", "-q").stdout.split(separator: "\n").count == 1, "bad references created nothing")
        await docker.remove([ref])
    }

    @Test("inspect --type of other objects, run's unknown flags, unknown commands: docker's words and statuses")
    func unsupportedSurface() async throws {
        let docker = try DockerPeer.require()
        let strata = try StrataRunner()
        let cases: [[String]] = [
            ["inspect", "--type", "container", "nope-strata-it", "nope2-strata-it"], ["inspect", "--type", "volume", "nope-strata-it"],
            ["inspect", "--type", "bogus", "nope-strata-it"],
            ["run", "-Z", "busybox"], ["run", "--bogus-strata-it", "busybox"], ["run", "--bogus-strata-it=1", "busybox"],
            ["foo-strata-it"], ["foo-strata-it", "x"],
            ["images", "--filter", "reference=[["], ["images", "--filter", "until=1h"], ["image", "ls", "-q", "--filter", "reference=*[a-"],
        ]
        // The pattern is checked against names, so both sides need one (the peer always has its busybox).
        try await strata.importImage(try Files.busyboxRootfs(), DockerPeer.uniqueRepository("pattern") + ":1")
        func normalized(_ result: CommandResult) -> CommandResult {
            var copy = result
            copy.stdout = copy.stdout.replacingOccurrences(of: "docker", with: "strata")
            copy.stderr = copy.stderr.replacingOccurrences(of: "docker", with: "strata")
            return copy
        }
        for args in cases {
            expectIdentical(try await strata.run(args), normalized(try await docker.run(args)), args.joined(separator: " "))
        }
        // Not docker's behaviour to compare: an empty --root is refused instead of meaning the system store, and
        // events after the year 2262 are an error instead of a trap.
        let emptyRoot = try await ProcessRunner.run(strata.binary, ["--root", "", "images"])
        #expect(emptyRoot.status == 125 && emptyRoot.stderr.contains("must not be empty"), "\(emptyRoot)")
        for args in [["events", "--since", "10000000000", "--until", "10000000001"], ["events", "--since", "2300-01-01", "--until", "2300-01-02"]] {
            let events = try await strata.run(args)
            #expect(events.status == 1 && events.stderr.contains("out of range"), "\(args): \(events)")
        }
    }

    @Test("wrong argument counts and bad options")
    func usageErrors() async throws {
        let docker = try DockerPeer.require()
        let strata = try StrataRunner()
        for args in [["import", "/nonexistent/strata-it.tar", "strata-it/x:1"], ["import", "-c", "RUN echo", "-", "strata-it/x:1"],
                     ["import", "-c", "BOGUS x", "-", "strata-it/x:1"], ["images", "--filter", "bogus=1"],
                     ["image", "prune", "-f", "--filter", "bogus=1"], ["events", "--since", "nonsense", "--until", "0s"]] {
            let s = try await strata.run(args, stdinFile: "/dev/null")
            let d = try await docker.run(args, stdinFile: "/dev/null")
            expectIdentical(s, d, args.joined(separator: " "))
        }
        // Cobra's usage errors: same text, same exit code (docker says "docker", strata says "strata").
        for args in [["import"], ["history"], ["tag", "x"], ["rmi"]] {
            let s = try await strata.run(args)
            let d = try await docker.run(args)
            #expect(s.status == d.status, "\(args): exit status")
            #expect(s.stderr == d.stderr.replacingOccurrences(of: "docker", with: "strata"), "\(args): stderr\n\(s.stderr)")
        }
    }

    @Test("bad --format templates")
    func badFormat() async throws {
        let docker = try DockerPeer.require()
        let strata = try StrataRunner()
        let rootfs = try Files.busyboxRootfs()
        let ref = DockerPeer.uniqueRepository("fmt") + ":1"
        try await strata.importImage(rootfs, ref)
        try await docker.importImage(rootfs, ref)
        for args in [["images", "--format", "{{.Nope}}"], ["images", "--format", "{{.ID"], ["history", "--format", "{{.Nope}}", ref],
                     ["inspect", "--format", "{{.Nope}}", ref], ["inspect", "--format", "{{.Id", ref],
                     ["system", "df", "--format", "{{.Nope}}"]] {
            let s = try await strata.run(args)
            let d = try await docker.run(args)
            // `images` output depends on the whole store; only errors are compared here.
            #expect(s.stderr == d.stderr, "\(args): stderr\n  strata: \(s.stderr.debugDescription)\n  docker: \(d.stderr.debugDescription)")
            #expect(s.status == d.status, "\(args): exit status strata \(s.status), docker \(d.status)")
        }
        await docker.remove([ref])
    }

    @Test("truncated tar: same error as docker, store unchanged and consistent")
    func truncatedImport() async throws {
        let docker = try DockerPeer.require()
        let strata = try StrataRunner()
        let rootfs = try Files.busyboxRootfs()
        let scratch = try Files.tempDirectory("trunc")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let truncated = try Files.truncated(rootfs, to: 1_000_000, into: scratch)
        try await strata.importImage(rootfs, "strata-it/keep:1")
        // Everything but relative times ("2 seconds ago" changes while the test runs).
        let listing = ["images", "-a", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}} {{.CreatedAt}} {{.Size}}"]
        let before = try await strata.run(listing)

        let ref = DockerPeer.uniqueRepository("trunc") + ":1"
        let s = try await strata("import", truncated, ref)
        let d = try await docker("import", truncated, ref)
        expectIdentical(s, d, "import <truncated tar>")
        let after = try await strata.run(listing)
        #expect(after.stdout == before.stdout, "store changed by a failed import:\n\(before.stdout)---\n\(after.stdout)")
        let check = try await strata("system", "check")
        #expect(check.status == 0, "system check after failed import: \(check)")
        #expect(strata.ingestLeftovers().isEmpty, "ingest leftovers: \(strata.ingestLeftovers())")
    }
}
