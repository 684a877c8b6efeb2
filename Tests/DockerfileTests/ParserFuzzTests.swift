import Testing
@testable import Dockerfile
import TestKit

/// Feeds random and mutated Dockerfiles through every entry point: they may only succeed or throw
/// `DockerfileError` (typed throws guarantee the type; this checks for crashes and hangs).
@Suite struct ParserFuzzTests {

    static let seeds = [
        "# syntax=docker/dockerfile:1\n# escape=`\nARG A=1 B\nFROM --platform=$BUILDPLATFORM busybox:${A:-x} AS b\n",
        "FROM scratch\nRUN --mount=type=cache,target=/c,id=\"x,y\" <<-EOF cat <<'B'\n\tx\n\tEOF\ny\nB\n",
        "FROM a\nCOPY --from=0 --chown=1:2 --chmod=755 --link [\"a\", \"b\\u00e9\"] /d/\nADD <<x.txt /y\nbody $V\nx.txt\n",
        "FROM a\nENV A=\"x y\" B='z' C=${A:+\"w\"}\\\n  # c\n\n D=1\nLABEL a b c\nHEALTHCHECK --interval=1m5.5s CMD [\"x\"]\n",
        "FROM a\nONBUILD RUN x\nSHELL [\"sh\"]\nVOLUME [\"/v\"]\nEXPOSE 1 2/udp\nUSER u\nWORKDIR /w\nSTOPSIGNAL 9\nMAINTAINER m\n",
    ]
    static let fragments = ["\\", "`", "\n", "\"", "'", "$", "${", "}", ":-", ":+", ":?", "<<", "<<-", "EOF", "[", "]", ",",
                            "--", "=", "#", " ", "\t", "\r\n", "FROM ", "RUN ", "COPY ", "ONBUILD ", "ARG ", "\u{FEFF}", "é",
                            "--mount=", "type=secret", "{", "\\u", "\0", "HEALTHCHECK ", "CMD ", "NONE"]

    @Test func randomInputsNeverCrash() {
        var generator = SeededGenerator(state: 0x5EED)
        for iteration in 0..<3000 {
            var text: String
            if iteration % 3 == 0 {
                text = ""
                for _ in 0..<Int.random(in: 0...40, using: &generator) {
                    text += Self.fragments.randomElement(using: &generator)!
                }
            } else {
                var scalars = Array(Self.seeds.randomElement(using: &generator)!.unicodeScalars)
                for _ in 0..<Int.random(in: 1...6, using: &generator) {
                    let position = Int.random(in: 0...scalars.count, using: &generator)
                    switch Int.random(in: 0..<3, using: &generator) {
                    case 0 where position < scalars.count:
                        scalars.remove(at: position)
                    case 1:
                        scalars.insert(contentsOf: Self.fragments.randomElement(using: &generator)!.unicodeScalars, at: position)
                    default:
                        scalars.insert(Unicode.Scalar(UInt8.random(in: 0...127, using: &generator)), at: position)
                    }
                }
                text = String(String.UnicodeScalarView(scalars))
            }
            exercise(text)
        }
    }

    func exercise(_ text: String) {
        for heredocs in [true, false] {
            guard let document = try? DockerfileParser.parse(text, options: .init(heredocs: heredocs)) else { continue }
            _ = try? document.plan(buildArgs: ["A": "1"], platformValues: ["BUILDPLATFORM": "linux/amd64"])
            for stage in document.stages {
                for instruction in stage.instructions {
                    _ = try? document.expander.expandWords(instruction.original, environment: ["A": "x y"])
                }
            }
        }
        _ = try? VariableExpander().expand(text, environment: ["A": "1"])
        _ = try? RunMount.parse(text)
        _ = try? DockerfileParser.parseInstructions(text.split(separator: "\n").map(String.init))
    }
}
