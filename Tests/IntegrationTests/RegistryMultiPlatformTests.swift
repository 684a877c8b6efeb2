import Foundation
import Testing

/// `copy --all` and `pull --all-platforms` against distribution 2.8, with skopeo as the independent client: an
/// index travels byte for byte both ways, and the store keeps every entry with the tag on the chosen platform.
@Suite("registry multi-platform", .enabled(if: RegistryFixture.shouldRun, "needs docker-registry, skopeo (see RegistryFixture)"))
struct RegistryMultiPlatformTests {
    @Test("copy --all keeps the index digest both ways; skopeo copies ours and we copy skopeo's")
    func copyAll() async throws {
        let w = try RegistryWorkspace()
        defer { w.remove() }
        let built = try await MultiPlatformLayout.make(in: w.directory)
        try await RegistryFixture.with(.open) { registry in
            let ours = "docker://\(registry.host)/multi/ours:1"
            let pushed = try await w.strata.run(["copy", "--all", "oci:\(built.layout):\(built.tag)", ours])
            #expect(pushed.status == 0, "\(pushed)")
            #expect(try await Skopeo.manifestDigest(ours) == built.indexDigest)

            // skopeo reads what we pushed, whole.
            let skopeoLayout = w.path("skopeo-layout")
            let bySkopeo = try await Skopeo.run(["--insecure-policy", "copy", "--all", "--src-tls-verify=false", ours,
                                                 "oci:\(skopeoLayout):s"])
            #expect(bySkopeo.status == 0, "\(bySkopeo)")
            #expect(try await Skopeo.manifestDigest("oci:\(skopeoLayout):s") == built.indexDigest)

            // We read skopeo's layout, whole, into a layout of ours that umoci and skopeo accept.
            let ourLayout = w.path("our-layout")
            let copied = try await w.strata.run(["copy", "--all", "oci:\(skopeoLayout):s", "oci:\(ourLayout):o"])
            #expect(copied.status == 0, "\(copied)")
            #expect(try await Skopeo.manifestDigest("oci:\(ourLayout):o") == built.indexDigest)
            let umoci = try await ProcessRunner.run("/usr/bin/umoci", ["ls", "--layout", ourLayout])
            #expect(umoci.status == 0 && umoci.stdout.lines == ["o"], "\(umoci)")

            // Without --all only this host's entry travels, under its own manifest digest.
            let single = "docker://\(registry.host)/multi/single:1"
            let one = try await w.strata.run(["copy", "oci:\(built.layout):\(built.tag)", single])
            #expect(one.status == 0, "\(one)")
            #expect(try await Skopeo.configDigest(single) == built.imageIDs["linux/amd64"])
        }
    }

    @Test("pull --all-platforms stores every entry; the tag and RepoDigest go to --platform's")
    func pullAllPlatforms() async throws {
        let w = try RegistryWorkspace()
        defer { w.remove() }
        let built = try await MultiPlatformLayout.make(in: w.directory)
        try await RegistryFixture.with(.open) { registry in
            let repository = "\(registry.host)/multi/pulled"
            let seeded = try await Skopeo.run(["--insecure-policy", "copy", "--all", "--preserve-digests", "--dest-tls-verify=false",
                                               "oci:\(built.layout):\(built.tag)", "docker://\(repository):1"])
            #expect(seeded.status == 0, "\(seeded)")
            let pull = try await w.strata.run(["pull", "--all-platforms", "--platform", "linux/arm64", "\(repository):1"])
            #expect(pull.status == 0, "\(pull)")
            #expect(pull.stdout.contains("Digest: \(built.indexDigest)"), "\(pull)")
            let arm = try #require(built.imageIDs["linux/arm64/v8"]), amd = try #require(built.imageIDs["linux/amd64"])
            #expect(try await w.idAndDigests("\(repository):1") == "\(arm) [\(repository)@\(built.indexDigest)]")
            let all = try await w.strata.run(["images", "-a", "-q", "--no-trunc"])
            #expect(Set(all.stdout.lines) == [arm, amd], "\(all)")
            try await w.expectCheckIsGreen()
        }
    }

    @Test("a pulled index is kept whole: listed once, pushed back with the same digest, removed with its name")
    func pulledIndexRoundTrip() async throws {
        let w = try RegistryWorkspace()
        defer { w.remove() }
        let built = try await MultiPlatformLayout.make(in: w.directory)
        try await RegistryFixture.with(.open) { registry in
            let repository = "\(registry.host)/multi/kept"
            let seeded = try await Skopeo.run(["--insecure-policy", "copy", "--all", "--preserve-digests", "--dest-tls-verify=false",
                                               "oci:\(built.layout):\(built.tag)", "docker://\(repository):1"])
            #expect(seeded.status == 0, "\(seeded)")
            let pull = try await w.strata.run(["pull", "--all-platforms", "--platform", "linux/amd64", "\(repository):1"])
            #expect(pull.status == 0, "\(pull)")
            let amd = try #require(built.imageIDs["linux/amd64"])
            // One row for the name: the platform it resolves to, with that platform's size.
            let listed = try await w.strata.run(["images", "--no-trunc", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"])
            #expect(listed.stdout.lines == ["\(repository):1 \(amd)"], "\(listed)")

            // Pushed under another name, the index keeps its digest (every platform went first).
            let tagged = try await w.strata.run(["tag", "\(repository):1", "\(registry.host)/multi/again:2"])
            #expect(tagged.status == 0, "\(tagged)")
            let push = try await w.strata.run(["push", "\(registry.host)/multi/again:2"])
            #expect(push.status == 0, "\(push)")
            #expect(push.stdout.contains("2: digest: \(built.indexDigest)"), "\(push)")
            #expect(try await Skopeo.manifestDigest("docker://\(registry.host)/multi/again:2") == built.indexDigest)
            let inspected = try await Skopeo.run(["inspect", "--raw", "--tls-verify=false", "docker://\(registry.host)/multi/again:2"])
            #expect(inspected.status == 0, "\(inspected)")

            // Its last name gone, every platform goes.
            _ = try await w.strata.run(["rmi", "\(registry.host)/multi/again:2"])
            let removed = try await w.strata.run(["rmi", "\(repository):1"])
            #expect(removed.status == 0, "\(removed)")
            let left = try await w.strata.run(["images", "-a", "-q"])
            #expect(left.stdout.isEmpty, "\(left)")
            try await w.expectCheckIsGreen()
        }
    }

    @Test("save --format oci and load keep a multi-platform index whole")
    func saveAndLoadKeepTheIndex() async throws {
        let w = try RegistryWorkspace()
        defer { w.remove() }
        let built = try await MultiPlatformLayout.make(in: w.directory)
        let into = try await w.strata.run(["copy", "--all", "oci:\(built.layout):\(built.tag)", "strata:multi/saved:1"])
        #expect(into.status == 0, "\(into)")
        let archive = w.path("saved.tar")
        let saved = try await w.strata.run(["save", "--format", "oci", "-o", archive, "multi/saved:1"])
        #expect(saved.status == 0, "\(saved)")
        #expect(try await Skopeo.manifestDigest("oci-archive:\(archive)") == built.indexDigest)

        let fresh = try RegistryWorkspace()
        defer { fresh.remove() }
        let loaded = try await fresh.strata.run(["load", "-i", archive])
        #expect(loaded.status == 0, "\(loaded)")
        #expect(loaded.stdout.lines == ["Loaded image: multi/saved:1"], "\(loaded)")
        let listed = try await fresh.strata.run(["images", "--format", "{{.Repository}}:{{.Tag}}"])
        #expect(listed.stdout.lines == ["multi/saved:1"], "\(listed)")
        let all = try await fresh.strata.run(["images", "-a", "-q", "--no-trunc"])
        #expect(Set(all.stdout.lines) == Set(built.imageIDs.values), "\(all)")
        let layout = w.path("reloaded-layout")
        let out = try await fresh.strata.run(["copy", "--all", "strata:multi/saved:1", "oci:\(layout):r"])
        #expect(out.status == 0, "\(out)")
        #expect(try await Skopeo.manifestDigest("oci:\(layout):r") == built.indexDigest)
        try await fresh.expectCheckIsGreen()
    }

    @Test("copy --all into the store and back out keeps the index digest")
    func copyAllThroughTheStore() async throws {
        let w = try RegistryWorkspace()
        defer { w.remove() }
        let built = try await MultiPlatformLayout.make(in: w.directory)
        try await RegistryFixture.with(.open) { registry in
            let into = try await w.strata.run(["copy", "--all", "oci:\(built.layout):\(built.tag)", "strata:multi/stored:1"])
            #expect(into.status == 0, "\(into)")
            let out = "docker://\(registry.host)/multi/from-store:1"
            let pushed = try await w.strata.run(["copy", "--all", "strata:multi/stored:1", out])
            #expect(pushed.status == 0, "\(pushed)")
            #expect(try await Skopeo.manifestDigest(out) == built.indexDigest)
            let layout = w.path("from-store-layout")
            let written = try await w.strata.run(["copy", "--all", "strata:multi/stored:1", "oci:\(layout):x"])
            #expect(written.status == 0, "\(written)")
            #expect(try await Skopeo.manifestDigest("oci:\(layout):x") == built.indexDigest)
            // Without --all only this host's platform leaves the store.
            let single = "docker://\(registry.host)/multi/from-store-single:1"
            let one = try await w.strata.run(["copy", "strata:multi/stored:1", single])
            #expect(one.status == 0, "\(one)")
            #expect(try await Skopeo.configDigest(single) == built.imageIDs["linux/amd64"])
            try await w.expectCheckIsGreen()
        }
    }
}

/// kill -9 and Ctrl-C in the middle of a pull: the store stays consistent, and the next pull completes.
@Suite("registry interrupted pull", .enabled(if: RegistryFixture.shouldRun, "needs docker-registry (see RegistryFixture)"))
struct RegistryInterruptTests {
    @Test("interrupted pull, then a clean one", arguments: [SIGKILL, SIGINT])
    func interrupted(signal: Int32) async throws {
        let w = try RegistryWorkspace()
        defer { w.remove() }
        // 3 images of one 24 MB random layer each, so a pull is still running when the signal arrives.
        let tree = w.path("big")
        var layersMade = 0
        try await RegistryFixture.with(.open) { registry in
            for index in 0..<3 {
                try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
                let tar = w.path("layer\(index).tar")
                let made = try await ProcessRunner.run("/bin/sh", ["-c", "head -c 24000000 /dev/urandom > \"$1/blob\(index)\" && tar -C \"$1\" -cf \"$2\" .", "sh", tree, tar])
                guard made.status == 0 else { throw FixtureError("making a layer failed: \(made)") }
                try FileManager.default.removeItem(atPath: tree)
                let name = "\(registry.host)/interrupt/part\(index):1"
                try await w.strata.importImage(tar, name)
                layersMade += 1
            }
            for index in 0..<3 {
                let push = try await w.strata.run(["push", "\(registry.host)/interrupt/part\(index):1"])
                #expect(push.status == 0, "\(push)")
            }
            let fresh = try RegistryWorkspace()
            defer { fresh.remove() }
            for index in 0..<3 {
                let name = "\(registry.host)/interrupt/part\(index):1"
                let running = try fresh.strata.launch(["pull", name])
                try await Task.sleep(for: .milliseconds(150 + 100 * index))
                running.kill(signal)
                _ = await running.wait(timeout: .seconds(60))
                let check = try await fresh.strata.run(["system", "check"])
                #expect(check.status == 0, "after signal \(signal) on pull \(index): \(check)")
            }
            for index in 0..<3 {
                let name = "\(registry.host)/interrupt/part\(index):1"
                let pull = try await fresh.strata.run(["pull", "-q", name])
                #expect(pull.status == 0, "\(pull)")
                #expect(try await fresh.idAndDigests(name) != "")
            }
            try await fresh.expectCheckIsGreen()
        }
        #expect(layersMade == 3)
    }
}
