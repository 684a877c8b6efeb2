@testable import Dockerfile

/// Parses or fails the test with the parser's message.
func parsed(_ text: String, options: DockerfileParser.Options = .init()) throws -> DockerfileDocument {
    try DockerfileParser.parse(text, options: options)
}

/// The one instruction of `FROM scratch` + `line`.
func single(_ line: String) throws -> Instruction {
    let document = try DockerfileParser.parse("FROM scratch\n" + line)
    guard let instruction = document.stages.first?.instructions.first else {
        throw DockerfileError("no instruction")
    }
    return instruction
}

/// The error the parser raises, formatted `Dockerfile:LINE: message`, or nil.
func parseError(_ text: String, options: DockerfileParser.Options = .init()) -> String? {
    do {
        _ = try DockerfileParser.parse(text, options: options)
        return nil
    } catch {
        return error.description
    }
}
