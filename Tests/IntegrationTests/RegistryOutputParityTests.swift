import Foundation
import Testing

/// `pull`/`push` off a terminal print docker's plain lines; their errors are docker's. docker 20.10 runs the same
/// commands against the same registry in the same test, so nothing is hard-coded that docker can tell us.
@Suite("registry output parity", .enabled(if: RegistryFixture.shouldRun && DockerPeer.shouldRun,
                                          "needs docker-registry, skopeo, umoci and the docker 20.10 peer"))
struct RegistryOutputParityTests {
    /// Output with what legitimately differs made uniform: the two repositories' names, digests, 12-hex layer
    /// IDs of compressed blobs, manifest sizes.
    static func normalized(_ text: String, repositories: [String]) -> String {
        var text = text
        for repository in repositories { text = text.replacingOccurrences(of: repository, with: "REPO") }
        text = text.replacing(/sha256:[0-9a-f]{64}/, with: "sha256:DIGEST")
        text = text.replacing(/size: \d+/, with: "size: N")
        return text
    }

    static func layerBlobIDsWildcarded(_ text: String) -> String {
        text.replacing(/(?m)^[0-9a-f]{12}:/, with: "LAYER:")
    }

    @Test("push and pull: header, layer and footer lines, -q, up-to-date; a fresh pull's layer statuses")
    func pushAndPullLines() async throws {
        let w = try RegistryWorkspace()
        defer { w.remove() }
        let docker = try DockerPeer.require()
        try await RegistryFixture.with(.open) { registry in
            let mine = "\(registry.host)/parity/strata"
            let theirs = "\(registry.host)/parity/docker"
            let repositories = [mine, theirs, "parity/strata", "parity/docker"]
            func same(_ s: CommandResult, _ d: CommandResult, _ what: String, blobIDs: Bool = false,
                      sourceLocation: SourceLocation = #_sourceLocation) {
                var (sOut, dOut) = (Self.normalized(s.stdout, repositories: repositories), Self.normalized(d.stdout, repositories: repositories))
                if blobIDs { (sOut, dOut) = (Self.layerBlobIDsWildcarded(sOut), Self.layerBlobIDsWildcarded(dOut)) }
                #expect(sOut == dOut, "\(what): stdout\nstrata:\n\(s.stdout)docker:\n\(d.stdout)", sourceLocation: sourceLocation)
                #expect(s.stderr == d.stderr, "\(what): stderr\nstrata: \(s.stderr)\ndocker: \(d.stderr)", sourceLocation: sourceLocation)
                #expect(s.status == d.status, "\(what): exit status", sourceLocation: sourceLocation)
            }
            // The same rootfs on both sides: the same diffID, so the push lines name the same layer.
            try await w.importBusybox("\(mine):v1")
            try await docker.importImage(try Files.busyboxRootfs(), "\(theirs):v1")
            try await w.importBusybox(mine)
            try await docker.importImage(try Files.busyboxRootfs(), theirs)

            same(try await w.strata.run(["push", "\(mine):v1"]), try await docker.run(["push", "\(theirs):v1"]), "first push")
            same(try await w.strata.run(["push", "\(mine):v1"]), try await docker.run(["push", "\(theirs):v1"]), "second push")
            same(try await w.strata.run(["push", mine]), try await docker.run(["push", theirs]), "push without a tag")
            same(try await w.strata.run(["push", "-q", "\(mine):v1"]), try await docker.run(["push", "-q", "\(theirs):v1"]), "push -q")

            // Each pulls the other's image; both already have its only layer (same diffID).
            // Not compared (known difference): docker says "Already exists" by diffID, Strata's blob-addressed store downloads the other compression.
            let firstPull = try await w.strata.run(["pull", "\(theirs):v1"])
            #expect(firstPull.status == 0, "\(firstPull)")
            _ = try await docker.run(["pull", "\(mine):v1"])
            same(try await w.strata.run(["pull", "\(theirs):v1"]), try await docker.run(["pull", "\(mine):v1"]), "pull again")
            same(try await w.strata.run(["pull", "-q", "\(theirs):v1"]), try await docker.run(["pull", "-q", "\(mine):v1"]), "pull -q")
            same(try await w.strata.run(["pull", theirs]), try await docker.run(["pull", mine]), "pull without a tag", blobIDs: true)
            await docker.remove(["\(mine):v1", mine, "\(theirs):v1", theirs])

            // A store without the layer: docker's plain sequence for one layer.
            let fresh = try RegistryWorkspace()
            defer { fresh.remove() }
            let pull = try await fresh.strata.run(["pull", "\(mine):v1"])
            #expect(pull.status == 0, "\(pull)")
            let lines = pull.stdout.lines
            let layerLines = lines.filter { $0.wholeMatch(of: /[0-9a-f]{12}: .*/) != nil }
            let statuses = layerLines.map { String($0.dropFirst(14)) }
            #expect(statuses.first == "Pulling fs layer" && statuses.last == "Pull complete", "\(pull)")
            #expect(Set(statuses).isSubset(of: ["Pulling fs layer", "Waiting", "Verifying Checksum", "Download complete", "Pull complete"]), "\(pull)")
            #expect(lines.first == "v1: Pulling from parity/strata")
            #expect(Array(lines.suffix(3).map { Self.normalized($0, repositories: []) }) == [
                "Digest: sha256:DIGEST", "Status: Downloaded newer image for \(mine):v1", "\(mine):v1",
            ], "\(pull)")
        }
    }

    @Test("pull and push events: the reference as actor, its repository as name, the image's labels")
    func pullAndPushEvents() async throws {
        let w = try RegistryWorkspace()
        defer { w.remove() }
        let docker = try DockerPeer.require()
        try await RegistryFixture.with(.open) { registry in
            let mine = "\(registry.host)/events/strata", theirs = "\(registry.host)/events/docker"
            let since = String(Int(Date().timeIntervalSince1970) - 1)
            try await w.importBusybox("\(mine):v1", changes: ["LABEL team=blue"])
            try await docker.importImage(try Files.busyboxRootfs(), "\(theirs):v1", changes: ["LABEL team=blue"])
            #expect(try await w.strata.run(["push", "\(mine):v1"]).status == 0)
            #expect(try await docker.run(["push", "\(theirs):v1"]).status == 0)
            #expect(try await w.strata.run(["pull", "\(mine):v1"]).status == 0)
            #expect(try await docker.run(["pull", "\(theirs):v1"]).status == 0)
            let until = String(Int(Date().timeIntervalSince1970) + 1)
            let format = "{{.Type}} {{.Action}} {{.Actor.ID}} {{json .Actor.Attributes}}"
            func lines(_ result: CommandResult, repository: String) -> [String] {
                result.stdout.lines.filter { $0.contains(repository) && ($0.contains(" push ") || $0.contains(" pull ")) }
                    .map { $0.replacingOccurrences(of: repository, with: "REPO") }
            }
            let ours = try await w.strata.run(["events", "--since", since, "--until", until, "--format", format])
            let theirsEvents = try await docker.run(["events", "--since", since, "--until", until, "--format", format])
            #expect(lines(ours, repository: mine) == lines(theirsEvents, repository: theirs), "strata:\n\(ours.stdout)docker:\n\(theirsEvents.stdout)")
            #expect(lines(ours, repository: mine).count == 2)
            // --until alone replays what is kept.
            let replay = try await w.strata.run(["events", "--until", "0s", "--format", "{{.Action}}"])
            #expect(replay.status == 0 && replay.stdout.lines.contains("push") && replay.stdout.lines.contains("pull"), "\(replay)")
            await docker.remove(["\(theirs):v1"])
        }
    }

    @Test("errors: missing tag, unreachable registry, bad reference, -a with a tag, push of an unknown name, login usage")
    func errors() async throws {
        let w = try RegistryWorkspace()
        defer { w.remove() }
        let docker = try DockerPeer.require()
        try await RegistryFixture.with(.open) { registry in
            let host = registry.host
            let cases: [[String]] = [
                ["pull", "\(host)/parity/none"],
                ["pull", "\(host)/parity/none:v9"],
                ["pull", "\(host)/parity/none@sha256:" + String(repeating: "0", count: 64)],
                ["pull", "127.0.0.1:1/parity/x:latest"],
                ["pull", "\(host)/Parity/Upper"],
                ["pull", "\(host)/parity/x@sha256:abc"],
                ["pull", "-a", "\(host)/parity/none:latest"],
                ["pull", "-a", "\(host)/parity/none"],
                ["push", "\(host)/parity/notlocal:v1"],
                ["push", "\(host)/Parity/Upper:v1"],
            ]
            for args in cases {
                expectIdentical(try await w.strata.run(args), try await docker.run(args), args.joined(separator: " "))
            }
            #expect(try await w.strata.run(["pull", "\(host)/parity/none"]).stderr
                    == "Error response from daemon: manifest for \(host)/parity/none:latest not found: manifest unknown: manifest unknown\n")

            for args in [["login", "a", "b"], ["logout", "a", "b"], ["pull"], ["push"], ["pull", "a", "b"]] {
                let s = try await w.strata.run(args)
                let d = try await docker.run(args)
                #expect(s.status == d.status, "\(args): exit status \(s.status) vs \(d.status)")
                #expect(s.stderr == d.stderr.replacingOccurrences(of: "docker", with: "strata"), "\(args): stderr\n\(s.stderr)\ndocker:\n\(d.stderr)")
                #expect(s.stdout == d.stdout, "\(args): stdout")
            }
            #expect(try await w.strata.run(["images", "-q"]).stdout.isEmpty, "failed commands stored nothing")
        }
    }
}
