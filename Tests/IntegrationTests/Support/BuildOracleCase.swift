import Foundation
import Testing

/// One Dockerfile case of the build oracle: a directory under Tests/IntegrationTests/BuildOracle/
/// holding `Dockerfile`, `case.json` (this type), an optional `context/` (the build context, copied),
/// an optional `outside/` (files outside the context: `-f` targets, secrets) and any extra Dockerfiles
/// named in case.json. Context files are copied to a scratch directory, `setup` runs there, then every
/// context file gets the mtime `BuildOracleCase.contextMtime` (git does not keep modes, owners, links,
/// empty directories or times, so `setup` makes them).
struct BuildOracleCase: Sendable, Decodable, CustomTestStringConvertible {
    /// A command run in the built image by both `docker run --rm` and `strata run --rm`.
    struct Run: Sendable, Decodable {
        /// Arguments after the image; empty runs the image's own Entrypoint/Cmd.
        var args: [String] = []
        /// Extra run flags given to both (`-e K=V`, `-w DIR`, `-u USER`, `--entrypoint X`).
        var flags: [String] = []
        /// When set, docker's stdout must be exactly this (validates the case itself).
        var stdout: String?

        private enum CodingKeys: String, CodingKey { case args, flags, stdout }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            args = try c.decodeIfPresent([String].self, forKey: .args) ?? []
            flags = try c.decodeIfPresent([String].self, forKey: .flags) ?? []
            stdout = try c.decodeIfPresent(String.self, forKey: .stdout)
        }
    }

    /// An image built (by both builders, same tag) before the case, e.g. an ONBUILD base.
    struct Prebuild: Sendable, Decodable {
        var tag: String
        var dockerfile: String
    }

    /// A build docker refuses: strata must refuse too, and say what docker says.
    struct Failure: Sendable, Decodable {
        /// Every phrase must occur in docker's output (checked, so the case stays honest) and in strata's stderr.
        var phrases: [String]
        /// Why these phrases are the comparable part of docker's message.
        var note: String?
    }

    var name: String = ""
    var description: String
    var buildArgs: [String] = []
    var target: String?
    var platform: String?
    /// Other flags for both builders; `{outside}` is replaced by the case's outside directory.
    var extraArgs: [String] = []
    var needsDebian: Bool = false
    /// Shell script run in the scratch context directory before building.
    var setup: String?
    /// Pass the Dockerfile with `-f` from the outside directory instead of the context root.
    var dockerfileOutside: Bool = false
    /// A Dockerfile docker builds instead of `Dockerfile`, for syntax the BuildKit 20.10 frontend
    /// here lacks (heredocs, `--link`, `RUN --network`, `# syntax=`): it must describe the same image.
    var dockerEquivalent: String?
    var prebuild: [Prebuild] = []
    var runs: [Run] = []
    var expectFailure: Failure?
    /// Paths whose bytes may differ between builds (compiler output when the mirror moves).
    var ignoreContent: [String] = []
    /// History is compared unless the case is built from a docker-equivalent Dockerfile.
    var compareHistory: Bool?

    var testDescription: String { name }

    var historyCompared: Bool { compareHistory ?? (dockerEquivalent == nil) }

    private enum CodingKeys: String, CodingKey {
        case description, buildArgs, target, platform, extraArgs, needsDebian, setup, dockerfileOutside,
             dockerEquivalent, prebuild, runs, expectFailure, ignoreContent, compareHistory
    }

    /// Every context file's mtime after setup (2021-01-01): old, so the tree comparison checks it
    /// wherever docker keeps it.
    static let contextMtime = 1_609_459_200

    static let directory = TestEnvironment.packageRoot.appendingPathComponent("Tests/IntegrationTests/BuildOracle")

    var caseDirectory: URL { Self.directory.appendingPathComponent(name) }

    /// Cases the builder does not match yet (BuildOracle/KNOWN_GAPS: `case-name  reason` per line, `#` comments):
    /// their differences are recorded as known issues while the builder issue is open.
    static let knownGaps: [String: String] = {
        let file = directory.appendingPathComponent("KNOWN_GAPS")
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return [:] }
        var gaps: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard let name = parts.first else { continue }
            gaps[String(name)] = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "known gap"
        }
        return gaps
    }()

    /// All cases, sorted by name (a case that fails to decode is returned with its error as description,
    /// so the test for it fails rather than vanishing).
    static let all: [BuildOracleCase] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.sorted().compactMap { name in
            let json = directory.appendingPathComponent(name).appendingPathComponent("case.json")
            guard FileManager.default.fileExists(atPath: json.path) else { return nil }
            do {
                var decoded = try JSONDecoder().decode(BuildOracleCase.self, from: Data(contentsOf: json))
                decoded.name = name
                return decoded
            } catch {
                var broken = BuildOracleCase(description: "BROKEN case.json: \(error)")
                broken.name = name
                return broken
            }
        }
    }()

    init(description: String) { self.description = description }

    // Written out because synthesized Decodable requires every non-optional key, defaults or not.
    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        description = try c.decode(String.self, forKey: .description)
        buildArgs = try c.decodeIfPresent([String].self, forKey: .buildArgs) ?? []
        target = try c.decodeIfPresent(String.self, forKey: .target)
        platform = try c.decodeIfPresent(String.self, forKey: .platform)
        extraArgs = try c.decodeIfPresent([String].self, forKey: .extraArgs) ?? []
        needsDebian = try c.decodeIfPresent(Bool.self, forKey: .needsDebian) ?? false
        setup = try c.decodeIfPresent(String.self, forKey: .setup)
        dockerfileOutside = try c.decodeIfPresent(Bool.self, forKey: .dockerfileOutside) ?? false
        dockerEquivalent = try c.decodeIfPresent(String.self, forKey: .dockerEquivalent)
        prebuild = try c.decodeIfPresent([Prebuild].self, forKey: .prebuild) ?? []
        runs = try c.decodeIfPresent([Run].self, forKey: .runs) ?? []
        expectFailure = try c.decodeIfPresent(Failure.self, forKey: .expectFailure)
        ignoreContent = try c.decodeIfPresent([String].self, forKey: .ignoreContent) ?? []
        compareHistory = try c.decodeIfPresent(Bool.self, forKey: .compareHistory)
    }

    /// Files a build needs, laid out in `scratch`: `context/` and `outside/`.
    struct Prepared: Sendable {
        var context: URL
        var outside: URL
        /// The `-f` argument, or nil for the default `context/Dockerfile`.
        var dockerfileFlag: String?
    }

    /// Copies the case into `scratch` for one builder. `forDocker` selects the docker-equivalent
    /// Dockerfile when the case has one.
    func prepare(in scratch: URL, forDocker: Bool) async throws -> Prepared {
        let context = scratch.appendingPathComponent("context"), outside = scratch.appendingPathComponent("outside")
        let source = caseDirectory
        let dockerfileName = forDocker ? (dockerEquivalent ?? "Dockerfile") : "Dockerfile"
        let dockerfileTarget = dockerfileOutside ? outside.appendingPathComponent("Dockerfile") : context.appendingPathComponent("Dockerfile")
        let script = """
            set -eu
            src=$1; ctx=$2; out=$3; df=$4; dftarget=$5; stamp=$6; setup=$7
            mkdir -p "$ctx" "$out"
            if [ -d "$src/context" ]; then cp -a "$src/context/." "$ctx/"; fi
            if [ -d "$src/outside" ]; then cp -a "$src/outside/." "$out/"; fi
            for f in "$src"/*.Dockerfile; do [ -e "$f" ] && cp "$f" "$out/"; done
            cp "$src/$df" "$dftarget"
            if [ -n "$setup" ]; then (cd "$ctx" && OUTSIDE="$out" sh -eu -c "$setup"); fi
            find "$ctx" "$out" -exec touch -h -d "@$stamp" {} +
            """
        let r = try await ProcessRunner.run("/bin/sh", ["-c", script, "sh", source.path, context.path, outside.path,
                                                       dockerfileName, dockerfileTarget.path,
                                                       String(Self.contextMtime), setup ?? ""])
        guard r.status == 0 else { throw FixtureError("preparing case \(name) failed: \(r)") }
        return Prepared(context: context, outside: outside, dockerfileFlag: dockerfileOutside ? dockerfileTarget.path : nil)
    }

    /// Flags shared by both builders (after `build`), without `-t` and the context.
    func buildFlags(_ prepared: Prepared) -> [String] {
        var flags: [String] = []
        if let file = prepared.dockerfileFlag { flags += ["-f", file] }
        for arg in buildArgs { flags += ["--build-arg", arg] }
        if let target { flags += ["--target", target] }
        if let platform { flags += ["--platform", platform] }
        flags += extraArgs.map { $0.replacingOccurrences(of: "{outside}", with: prepared.outside.path) }
        return flags
    }
}
