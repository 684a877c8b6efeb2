import Foundation
import Testing

/// The cross-compilation pattern in a multi-platform build: a stage on the build platform is solved once for every
/// target (and its steps shown once, under that platform), unless it sees a target-specific argument; and the
/// client-side exports of several platforms (`-o type=tar`: one tar, a top-level directory per platform).
/// Everything runs on the build platform (linux/amd64), so no emulator is needed.
@Suite("multi-platform build: shared stages and tar export", .serialized)
struct MultiPlatformBuildSharingTests {
    /// A store with busybox (this host's platform) as `shared/base:1`, and a context holding `dockerfile`.
    static func fixture(_ dockerfile: String) async throws -> (StrataRunner, URL) {
        let strata = try StrataRunner()
        try await strata.importImage(try Files.busyboxRootfs(), "shared/base:1")
        let context = try Files.tempDirectory("shared-stage")
        try Data(dockerfile.utf8).write(to: context.appendingPathComponent("Dockerfile"))
        return (strata, context)
    }

    /// The ids of the vertices plain progress shows under `name` (a vertex's header line repeats when output of
    /// other vertices came between).
    static func vertexIDs(named name: String, in progress: String) -> Set<String> {
        Set(progress.lines.compactMap { line in
            guard line.hasPrefix("#"), let space = line.firstIndex(of: " "), line[line.index(after: space)...] == name else { return nil }
            return String(line[..<space])
        })
    }

    static func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    /// Each entry of the index `digest` in an OCI layout: its platform, its config's architecture and its layers.
    static func entries(of digest: String, in layout: String) throws -> [(platform: String, architecture: String, layers: [String])] {
        func object(_ digest: String) throws -> [String: Any] {
            let data = try Data(contentsOf: URL(fileURLWithPath: layout + "/blobs/sha256/" + digest.dropFirst(7)))
            return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        }
        return try (object(digest)["manifests"] as? [[String: Any]] ?? []).map { entry in
            let platform = entry["platform"] as? [String: Any] ?? [:]
            let manifest = try object(entry["digest"] as? String ?? "")
            let config = try object((manifest["config"] as? [String: Any])?["digest"] as? String ?? "")
            return ("\(platform["os"] ?? "")/\(platform["architecture"] ?? "")", config["architecture"] as? String ?? "",
                    (manifest["layers"] as? [[String: Any]] ?? []).compactMap { $0["digest"] as? String })
        }
    }

    @Test("a --platform=$BUILDPLATFORM or literal-platform stage runs once for both targets, and a stage FROM it too")
    func sharedStageRunsOnce() async throws {
        // --no-cache: without sharing, each solve would run each RUN, and each run writes a new UUID.
        let (strata, context) = try await Self.fixture("""
            FROM --platform=$BUILDPLATFORM shared/base:1 AS build
            RUN cat /proc/sys/kernel/random/uuid > /stamp
            FROM --platform=linux/amd64 shared/base:1 AS tools
            RUN cat /proc/sys/kernel/random/uuid > /tool
            FROM build AS derived
            RUN cp /stamp /derived
            FROM scratch
            COPY --from=build /stamp /stamp
            COPY --from=tools /tool /tool
            COPY --from=derived /derived /derived

            """)
        defer { try? FileManager.default.removeItem(at: context) }
        let out = context.appendingPathComponent("out").path
        let built = try await strata.run(["build", "--no-cache", "--progress", "plain", "--platform", "linux/amd64,linux/arm64",
                                          "-o", "type=local,dest=\(out)", context.path])
        #expect(built.status == 0, "\(built)")
        for file in ["stamp", "tool", "derived"] {
            let amd64 = try Self.read("\(out)/linux_amd64/\(file)"), arm64 = try Self.read("\(out)/linux_arm64/\(file)")
            #expect(amd64.count == 37 && amd64 == arm64, "\(file): \(amd64) vs \(arm64)")
        }
        #expect(try Self.read("\(out)/linux_amd64/derived") == Self.read("\(out)/linux_amd64/stamp"))
        // Each shared step is one vertex, named with the stage's platform; the target stage's steps are per platform.
        let progress = built.stderr
        for name in ["[linux/amd64 build 1/2] FROM docker.io/shared/base:1", "[linux/amd64 build 2/2] RUN cat /proc/sys/kernel/random/uuid > /stamp",
                     "[linux/amd64 tools 2/2] RUN cat /proc/sys/kernel/random/uuid > /tool",
                     "[linux/amd64 derived 1/1] RUN cp /stamp /derived",
                     "[linux/amd64 internal] load metadata for docker.io/shared/base:1"] {
            #expect(Self.vertexIDs(named: name, in: progress).count == 1, "\(name)\n\(progress)")
        }
        #expect(!progress.contains("[linux/arm64 build") && !progress.contains("[linux/arm64 tools")
                && !progress.contains("[linux/arm64 derived") && !progress.contains("[linux/arm64 internal]"), "\(progress)")
        for platform in ["linux/amd64", "linux/arm64"] {
            #expect(Self.vertexIDs(named: "[\(platform) stage-3 1/3] COPY --from=build /stamp /stamp", in: progress).count == 1,
                    "\(platform)\n\(progress)")
        }
        // The cache serves the next build: the shared RUN shows once, CACHED.
        let again = try await strata.run(["build", "--progress", "plain", "--platform", "linux/amd64,linux/arm64", "-t", "shared/app:1",
                                          context.path])
        #expect(again.status == 0, "\(again)")
        let ids = Self.vertexIDs(named: "[linux/amd64 build 2/2] RUN cat /proc/sys/kernel/random/uuid > /stamp", in: again.stderr)
        #expect(ids.count == 1 && again.stderr.lines.contains("\(ids.first ?? "#?") CACHED"), "\(again.stderr)")

        // A target stage FROM the shared stage is shared too (it runs on the build platform), yet each image is the
        // target's: its config says the target's platform, over the same layers.
        let iid = context.appendingPathComponent("iid").path
        let derived = try await strata.run(["build", "-q", "--platform", "linux/amd64,linux/arm64", "--target", "derived",
                                            "-t", "shared/derived:1", "--iidfile", iid, context.path])
        #expect(derived.status == 0, "\(derived)")
        let layout = context.appendingPathComponent("layout").path
        #expect(try await strata.run(["save", "--format", "oci-dir", "-o", layout, "shared/derived:1"]).status == 0)
        let entries = try Self.entries(of: try Self.read(iid), in: layout)
        #expect(entries.map(\.platform) == ["linux/amd64", "linux/arm64"] && entries.map(\.architecture) == ["amd64", "arm64"],
                "\(entries)")
        #expect(entries.count == 2 && entries[0].layers == entries[1].layers, "\(entries)")
    }

    @Test("a build-platform stage that declares TARGETARCH runs per target; -o type=tar holds each platform's tree")
    func perTargetStageAndTarExport() async throws {
        let (strata, context) = try await Self.fixture("""
            FROM --platform=$BUILDPLATFORM shared/base:1 AS build
            ARG TARGETARCH
            RUN echo built-$TARGETARCH > /out
            RUN cat /proc/sys/kernel/random/uuid > /stamp
            FROM scratch
            COPY --from=build /out /stamp /

            """)
        defer { try? FileManager.default.removeItem(at: context) }
        let tarPath = context.appendingPathComponent("out.tar").path
        let built = try await strata.run(["build", "--no-cache", "--progress", "plain", "--platform", "linux/amd64,linux/arm64",
                                          "-o", "type=tar,dest=\(tarPath)", context.path])
        #expect(built.status == 0, "\(built)")
        // Each target's steps are vertices of their own, even where the names agree (the cache keys differ).
        for arch in ["amd64", "arm64"] {
            let name = "[linux/amd64 build 2/3] RUN echo built-\(arch) > /out"
            #expect(Self.vertexIDs(named: name, in: built.stderr).count == 1, "\(name)\n\(built.stderr)")
        }
        let stampStep = "[linux/amd64 build 3/3] RUN cat /proc/sys/kernel/random/uuid > /stamp"
        #expect(Self.vertexIDs(named: stampStep, in: built.stderr).count == 2, "\(built.stderr)")
        // BuildKit's layout: the platforms' directories in name order (0755, root's, dated at the epoch), each a tree.
        let listed = try await ProcessRunner.run("/usr/bin/tar", ["--numeric-owner", "-tvf", tarPath], environment: ["TZ": "UTC"])
        #expect(listed.status == 0, "\(listed)")
        let entries = listed.stdout.lines.map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        #expect(entries.map { $0.last.map(String.init) ?? "" } == ["linux_amd64/", "linux_amd64/out", "linux_amd64/stamp",
                                                                   "linux_arm64/", "linux_arm64/out", "linux_arm64/stamp"], "\(listed)")
        for directory in entries where directory.last?.hasSuffix("/") == true {
            #expect(directory.prefix(2) == ["drwxr-xr-x", "0/0"] && directory.contains("1970-01-01"), "\(directory)")
        }
        func member(_ path: String) async throws -> String {
            try await ProcessRunner.run("/usr/bin/tar", ["-xOf", tarPath, path]).stdout
        }
        #expect(try await member("linux_amd64/out") == "built-amd64\n")
        #expect(try await member("linux_arm64/out") == "built-arm64\n")
        let stamps = (try await member("linux_amd64/stamp"), try await member("linux_arm64/stamp"))
        #expect(stamps.0.count == 37 && stamps.1.count == 37 && stamps.0 != stamps.1, "\(stamps)")

        // dest=- writes the same tar to stdout (and -q prints nothing else there).
        let piped = context.appendingPathComponent("piped.tar").path
        let toStdout = try await ProcessRunner.run("/bin/sh", ["-c", "\"$1\" --root \"$2\" build -q --platform linux/amd64,linux/arm64 "
                                                                + "-o type=tar,dest=- \"$3\" > \"$4\"", "sh",
                                                                strata.binary, strata.root.path, context.path, piped])
        #expect(toStdout.status == 0, "\(toStdout)")
        let pipedList = try await ProcessRunner.run("/usr/bin/tar", ["-tf", piped])
        #expect(pipedList.stdout.lines == ["linux_amd64/", "linux_amd64/out", "linux_amd64/stamp", "linux_arm64/", "linux_arm64/out",
                                           "linux_arm64/stamp"], "\(pipedList)")
        // A destination in a missing directory: one line (buildx's), before anything is built.
        let missing = try await strata.run(["build", "-q", "--no-cache", "--platform", "linux/amd64,linux/arm64", "-o",
                                            "type=tar,dest=/nonexistent-strata/out.tar", context.path])
        #expect(missing.status == 1 && missing.stderr.lines == ["failed to open open /nonexistent-strata/out.tar: no such file or directory"],
                "\(missing)")
    }
}
