/// A parsed Dockerfile: directives, the ARGs before the first FROM, and the build stages.
public struct DockerfileDocument: Sendable, Hashable {
    public var fileName: String
    public var directives: ParserDirectives
    /// `ARG`s before the first `FROM`: they may be used in FROM lines and redeclared inside stages.
    public var globalArgs: [ArgInstruction]
    public var stages: [BuildStage]
    /// Remarks such as empty continuation lines (BuildKit prints them, the build goes on).
    public var warnings: [DockerfileWarning]

    /// The escape character in effect (`\` or `` ` ``): pass it to `VariableExpander`.
    public var escapeCharacter: Unicode.Scalar { directives.escapeCharacter }

    /// An expander configured with this file's escape character.
    public var expander: VariableExpander { VariableExpander(escapeCharacter: escapeCharacter) }

    /// The stage called `name` (case-insensitive); when several share a name, the first, as BuildKit does.
    public func stage(named name: String) -> BuildStage? {
        let lowered = name.lowercased()
        return stages.first { $0.name == lowered }
    }
}

/// One `FROM` and the instructions up to the next `FROM`.
public struct BuildStage: Sendable, Hashable {
    /// Position among the stages, from 0 (`COPY --from=0`).
    public var index: Int
    /// The lowercased `AS` name, nil when the stage has none.
    public var name: String?
    /// The image or stage the stage starts from, unexpanded (global ARGs apply; `scratch` is empty).
    public var baseName: String
    /// `FROM --platform=`, unexpanded.
    public var platform: String?
    public var from: FromInstruction
    /// The stage's instructions after `FROM` (never `.from`).
    public var instructions: [Instruction]

    /// The name BuildKit shows for the stage: its `AS` name or `stage-N`.
    public var displayName: String { name ?? "stage-\(index)" }
}

/// Parses Dockerfiles into typed instructions and stages, with BuildKit's rules and error messages.
public enum DockerfileParser {
    /// Options that differ between BuildKit versions.
    public struct Options: Sendable, Hashable {
        /// Heredocs (`RUN <<EOF`, `COPY <<EOF /path`) as in dockerfile syntax 1.4+. Docker 20.10's built-in
        /// frontend has none: with `false`, `<<EOF` is an ordinary word and the body lines are instructions.
        public var heredocs = true

        public init(heredocs: Bool = true) {
            self.heredocs = heredocs
        }
    }

    /// Parses a whole Dockerfile. Errors carry the line of the offending instruction.
    public static func parse(_ text: String, fileName: String = "Dockerfile",
                             options: Options = Options()) throws(DockerfileError) -> DockerfileDocument {
        guard !text.isEmpty else { throw DockerfileError("the Dockerfile cannot be empty", fileName: fileName) }
        var lineParser = LineParser(text: text, heredocsEnabled: options.heredocs)
        let nodes: [RawNode]
        let lineCount: Int
        do {
            (nodes, lineCount) = try lineParser.parse()
        } catch {
            throw error.located(at: error.location ?? SourceLocation(line: 1, endLine: 1), fileName: fileName)
        }
        guard !nodes.isEmpty else {
            throw DockerfileError("file with no instructions", location: SourceLocation(line: max(lineCount, 1), endLine: max(lineCount, 1)),
                                  fileName: fileName)
        }
        var globalArgs: [ArgInstruction] = []
        var stages: [BuildStage] = []
        for node in nodes {
            let instruction: Instruction
            do {
                instruction = try InstructionParser.instruction(node)
            } catch {
                throw error.located(at: node.location, fileName: fileName)
            }
            switch instruction {
            case .from(let from):
                stages.append(BuildStage(index: stages.count, name: from.stageName, baseName: from.baseName,
                                         platform: from.platform, from: from, instructions: []))
            case .arg(let arg) where stages.isEmpty:
                globalArgs.append(arg)
            default:
                guard !stages.isEmpty else {
                    throw DockerfileError("no build stage in current context", location: node.location, fileName: fileName)
                }
                stages[stages.count - 1].instructions.append(instruction)
            }
        }
        return DockerfileDocument(fileName: fileName, directives: lineParser.directiveReader.directives,
                                  globalArgs: globalArgs, stages: stages, warnings: lineParser.warnings)
    }

    /// Parses instructions that are not a whole Dockerfile: ONBUILD triggers from a base image's config
    /// (each one line), or `--change` values. FROM is not allowed among them.
    public static func parseInstructions(_ lines: [String], escapeCharacter: Unicode.Scalar = "\\",
                                         fileName: String = "Dockerfile") throws(DockerfileError) -> [Instruction] {
        var parser = LineParser(text: "", heredocsEnabled: false)
        parser.directiveReader.done = true
        parser.directiveReader.directives.escapeCharacter = escapeCharacter
        var result: [Instruction] = []
        for (offset, line) in lines.enumerated() {
            let location = SourceLocation(line: offset + 1, endLine: offset + 1)
            do throws(DockerfileError) {
                let node = try parser.makeNode(line, location: location)
                let instruction = try InstructionParser.instruction(node)
                if case .from = instruction { throw DockerfileError("FROM isn't allowed as an ONBUILD trigger") }
                result.append(instruction)
            } catch {
                throw error.located(at: location, fileName: fileName)
            }
        }
        return result
    }
}
