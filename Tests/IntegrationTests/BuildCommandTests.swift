import Foundation
import Testing

/// `strata build` on bad input: one clear error in BuildKit 20.10's words, exit 1, and nothing tagged. The words
/// were taken from `DOCKER_BUILDKIT=1 docker build` against the same inputs.
@Suite("build: bad input")
struct BuildCommandTests {
    static func build(_ dockerfile: String?, _ args: [String], context: Bool = true) async throws -> (CommandResult, StrataRunner) {
        let strata = try StrataRunner()
        let directory = try Files.tempDirectory("build-bad")
        if let dockerfile { try Data(dockerfile.utf8).write(to: directory.appendingPathComponent("Dockerfile")) }
        let result = try await strata.run(["build"] + args + (context ? [directory.path] : []))
        try? FileManager.default.removeItem(at: directory)
        return (result, strata)
    }

    @Test("an unknown instruction is a parse error with its line")
    func unknownInstruction() async throws {
        let (r, strata) = try await Self.build("FROM scratch\nCOPPY a b\n", ["-t", "bad/parse"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("dockerfile parse error line 2: unknown instruction: COPPY"), "\(r)")
        #expect(try await strata.run(["images", "-q"]).stdout.isEmpty)
    }

    @Test("a context that does not exist")
    func missingContext() async throws {
        let (r, _) = try await Self.build(nil, ["/nonexistent-strata-context"], context: false)
        #expect(r.status == 1)
        #expect(r.stderr == "unable to prepare context: path \"/nonexistent-strata-context\" not found\n", "\(r)")
    }

    @Test("--target naming no stage")
    func unknownTarget() async throws {
        let (r, _) = try await Self.build("FROM scratch AS a\nENV A=b\n", ["--target", "nope"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("failed to solve with frontend dockerfile.v0: failed to create LLB definition: target stage nope could not be found"), "\(r)")
    }

    @Test("a --from that is neither a stage nor an image reference fails before anything runs")
    func badFromReference() async throws {
        let (r, _) = try await Self.build("FROM scratch\nCOPY --from=Bad_Name /a /b\n", [])
        #expect(r.status == 1)
        #expect(r.stderr.contains("failed to parse stage name \"Bad_Name\": invalid reference format: repository name must be lowercase"), "\(r)")
    }

    @Test("no FROM at all")
    func noFrom() async throws {
        let (r, _) = try await Self.build("ENV A=b\n", [])
        #expect(r.status == 1)
        #expect(!r.stderr.isEmpty)
    }
}
