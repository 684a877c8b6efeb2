@testable import DockerViews
import OCI
import Testing
import TestKit

/// docker's per-command wording of rejected references, checked against the recorded 20.10 ground truth in
/// `DockerReferenceCases.swift`.
@Suite struct DockerReferenceCommandTests {
    @Test(arguments: dockerReferenceCases)
    func matchesDockerTag(_ row: ReferenceCase) throws {
        let failure = DockerReferenceCommand.tag.failure(for: row.input)
        if let accepted = row.accepted {
            #expect(failure == nil)
            let reference = try ImageReference(row.input)
            #expect(reference.withDefaultTag().familiarString == accepted)
        } else {
            #expect(failure?.message == row.tagMessage)
            #expect(failure?.exitCode == 1)
        }
        if let rmi = row.rmiMessage {
            let expected = rmi.contains("No such image") ? nil : rmi
            #expect(DockerReferenceCommand.rmi.failure(for: row.input)?.message == expected)
        }
    }

    @Test(arguments: dockerCommandCases)
    func matchesDockerCommand(_ row: CommandCase) {
        #expect(row.command.failure(for: row.input) == row.failure)
    }

    /// Every rejected row, through every command, framed as the 20.10 recording showed for all of them:
    /// the CLI-side commands print the bare message, the daemon-side ones the rmi text.
    @Test(arguments: dockerReferenceCases.filter { $0.tagMessage?.hasPrefix("Error parsing reference: ") == true })
    func rejectedRowsAcrossCommands(_ row: ReferenceCase) throws {
        let message = try #require(row.tagMessage?.components(separatedBy: " is not a valid repository/tag: ").last)
        for command in [DockerReferenceCommand.pull, .push, .commit] where !(command == .commit && row.input.isEmpty) {
            #expect(command.failure(for: row.input) == DockerReferenceFailure(message: message, exitCode: 1, stdout: nil))
        }
        if row.input != h64 {
            #expect(DockerReferenceCommand.create.failure(for: row.input)?.message == message)
            #expect(DockerReferenceCommand.run.failure(for: row.input)?.message == "docker: \(message).\nSee 'docker run --help'.")
        }
        guard let rmi = row.rmiMessage, !rmi.contains("No such image") else { return }
        #expect(rmi == "Error response from daemon: \(message)")
        #expect(DockerReferenceCommand.history.failure(for: row.input)?.message == rmi)
        #expect(DockerReferenceCommand.save.failure(for: row.input)?.message == rmi)
        #expect(DockerReferenceCommand.imageInspect.failure(for: row.input)?.message
            == "Error response from daemon: no such image: \(row.input): \(message)")
        #expect(DockerReferenceCommand.inspect.failure(for: row.input)?.message
            == (message.contains("invalid reference format")
                ? "Error: No such object: \(row.input)"
                : "Error response from daemon: no such image: \(row.input): \(message)"))
    }

    @Test(arguments: dockerReferenceCases.filter { $0.accepted != nil })
    func acceptedReferencesRoundTrip(_ row: ReferenceCase) throws {
        let reference = try ImageReference(row.input)
        #expect(try ImageReference(reference.description) == reference)
        #expect(try ImageReference(reference.familiarString) == reference)
    }

    @Test func perCommandMessages() {
        let upper = "invalid reference format: repository name must be lowercase"
        let daemonUpper = "Error response from daemon: \(upper)"
        #expect(DockerReferenceCommand.pull.failure(for: "UPPER")?.message == upper)
        #expect(DockerReferenceCommand.push.failure(for: "UPPER")?.message == upper)
        #expect(DockerReferenceCommand.create.failure(for: "UPPER")?.message == upper)
        #expect(DockerReferenceCommand.run.failure(for: "UPPER")
            == DockerReferenceFailure(message: "docker: \(upper).\nSee 'docker run --help'.", exitCode: 125, stdout: nil))
        #expect(DockerReferenceCommand.rmi.failure(for: "UPPER")?.message == daemonUpper)
        #expect(DockerReferenceCommand.history.failure(for: "UPPER")?.message == daemonUpper)
        #expect(DockerReferenceCommand.save.failure(for: "UPPER")?.message == daemonUpper)
        #expect(DockerReferenceCommand.pull.failure(for: "Foo/bar")?.message == upper)
        #expect(DockerReferenceCommand.tag.failure(for: "Oracle/BB:t3")?.message
            == #"Error parsing reference: "Oracle/BB:t3" is not a valid repository/tag: \#(upper)"#)
        #expect(DockerReferenceCommand.rmi.failure(for: "Oracle/BB")?.message == daemonUpper)
        #expect(DockerReferenceCommand.imageInspect.failure(for: "UPPER")
            == DockerReferenceFailure(
                message: "Error response from daemon: no such image: UPPER: invalid reference format: repository name must be lowercase",
                exitCode: 1, stdout: "[]"))
        #expect(DockerReferenceCommand.inspect.failure(for: "UPPER")?.message == "Error: No such object: UPPER")
        #expect(DockerReferenceCommand.inspect.failure(for: "a@sha256:" + h32)?.message
            == "Error response from daemon: no such image: a@sha256:\(h32): invalid checksum digest length")
        #expect(DockerReferenceCommand.pull.failure(for: "a@sha256:zz")?.message == "invalid reference format")
        #expect(DockerReferenceCommand.pull.failure(for: "a@md5:" + h32)?.message == "unsupported digest algorithm")
        // Formatting an error the caller classified itself (e.g. a daemon answer) frames it the same way.
        #expect(DockerReferenceCommand.run.failure(.rejectedByDaemon(.invalidFormat), input: "x").message
            == "docker: Error response from daemon: invalid reference format.\nSee 'docker run --help'.")
        // IDs are fine for daemon-side lookups but not as names to pull.
        #expect(DockerReferenceCommand.rmi.failure(for: h64) == nil)
        #expect(DockerReferenceCommand.rmi.failure(for: "sha256:" + h64) == nil)
        #expect(DockerReferenceCommand.pull.failure(for: h64)?.message
            == "invalid repository name (\(h64)), cannot specify 64-byte hexadecimal strings")
        #expect(DockerReferenceCommand.run.failure(for: h64) == nil)
        #expect(DockerReferenceCommand.create.failure(for: h64) == nil)
        #expect(DockerReferenceCommand.commit.failure(for: h64) != nil)
        #expect(DockerReferenceCommand.commit.failure(for: "") == nil)
        // rmi/history/inspect names travel in the URL path, which Go cleans.
        #expect(DockerReferenceCommand.rmi.failure(for: "a//b") == nil)
        #expect(DockerReferenceCommand.rmi.failure(for: "") == nil)
        #expect(DockerReferenceCommand.rmi.daemonVisibleName("/a/./b/../c/") == "a/c")
        #expect(DockerReferenceCommand.save.failure(for: "a//b")?.message == "Error response from daemon: invalid reference format")
        #expect(ReferenceError.dockerTagMessage(input: "UPPER")
            == #"Error parsing reference: "UPPER" is not a valid repository/tag: \#(upper)"#)
        #expect(ReferenceError.dockerTagMessage(input: "ok") == nil)
    }

    /// The DockerReferenceCommand half of Fuzz/ReferenceFuzz: mutated ground-truth inputs and random strings go
    /// through every command; none may crash, the exit code is the command's, and pull/push reject exactly what
    /// the reference parser rejects.
    @Test func randomInputsThroughEveryCommand() {
        var rng = SeededGenerator(seed: 7)
        let alphabet = Array("abcxyz019AZ./:@-_ [];!é")
        let seeds = dockerReferenceCases.map(\.input)
        for _ in 0..<3000 {
            var input = Bool.random(using: &rng) ? Array(seeds.randomElement(using: &rng)!) : []
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                let position = Int.random(in: 0...input.count, using: &rng)
                if position < input.count, Bool.random(using: &rng) {
                    input.remove(at: position)
                } else {
                    input.insert(alphabet.randomElement(using: &rng)!, at: position)
                }
            }
            let text = String(input)
            let parses = (try? ImageReference(text)) != nil
            for command in DockerReferenceCommand.allCases {
                let failure = command.failure(for: text)
                if let failure { #expect(failure.exitCode == command.exitCode, "\(command) \(text)") }
                if command == .pull || command == .push { #expect((failure == nil) == parses, "\(command) \(text)") }
            }
        }
    }
}

