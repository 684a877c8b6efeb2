import Testing
@testable import Dockerfile

@Suite struct LineStructureTests {
    @Test func continuationsCommentsAndEmptyLines() throws {
        let text = "FROM scratch\nRUN echo a \\\n  # a comment inside\n  b \\\n\n  c\n# trailing comment\nUSER x\n"
        let document = try parsed(text)
        let run = document.stages[0].instructions[0]
        #expect(run.original == "RUN echo a   b   c")
        #expect(run.location == SourceLocation(line: 2, endLine: 6))
        #expect(document.stages[0].instructions[1].location == SourceLocation(line: 8, endLine: 8))
        #expect(document.warnings.count == 1)
        #expect(document.warnings[0].message == "[WARNING]: Empty continuation line found in:\n    RUN echo a   b   c")
    }

    @Test func continuationAtEndOfFileIsKept() throws {
        let document = try parsed("FROM scratch\nRUN echo \\")
        guard case .run(let run) = document.stages[0].instructions[0] else { Issue.record(); return }
        #expect(run.command == .shell("echo"))
    }

    @Test func escapeDirectiveChangesContinuationCharacter() throws {
        let document = try parsed("# escape=`\nFROM scratch\nRUN echo a `\n  b\nRUN dir c:\\ \n")
        #expect(document.escapeCharacter == "`")
        #expect(document.stages[0].instructions[0].original == "RUN echo a   b")
        #expect(document.stages[0].instructions[1].original == "RUN dir c:\\ ")
    }

    @Test func directivesOnlyAtTheTop() throws {
        #expect(try parsed("# hello\n# escape=`\nFROM scratch\n").escapeCharacter == "\\")
        #expect(try parsed("\n# escape=`\nFROM scratch\n").escapeCharacter == "\\")
        let document = try parsed("# syntax=docker/dockerfile:1.4\n#ESCAPE = `\nFROM scratch\n")
        #expect(document.escapeCharacter == "`")
        #expect(document.directives.syntax == "docker/dockerfile:1.4")
        // An unknown directive ends the directive block.
        #expect(try parsed("# foo=bar\n# escape=`\nFROM scratch\n").escapeCharacter == "\\")
    }

    @Test func crlfAndByteOrderMark() throws {
        let document = try parsed("\u{FEFF}FROM scratch\r\nRUN a \\\r\n b\r\n")
        #expect(document.stages[0].instructions[0].original == "RUN a  b")
    }

    @Test func leadingWhitespaceAndOriginal() throws {
        let document = try parsed("   FROM   scratch   AS   base  \n\tENV  A=1\n")
        #expect(document.stages[0].name == "base")
        #expect(document.stages[0].instructions[0].original == "ENV  A=1")
    }

    @Test func heredocRun() throws {
        let document = try parsed("FROM scratch\nRUN <<EOF\necho hi\n  echo there\nEOF\nUSER x\n")
        guard case .run(let run) = document.stages[0].instructions[0] else { Issue.record(); return }
        #expect(run.command == .shell("<<EOF"))
        #expect(run.heredocs == [Heredoc(name: "EOF", content: "echo hi\n  echo there\n", stripsLeadingTabs: false, expands: true)])
        #expect(run.location == SourceLocation(line: 2, endLine: 5))
        #expect(run.original == "RUN <<EOF")
        #expect(document.stages[0].instructions[1].location.line == 6)
    }

    @Test func heredocTabStrippingAndQuoting() throws {
        let document = try parsed("FROM scratch\nRUN <<-\"EOT\" bash\n\techo $HOME\n\t\tx\n\tEOT\nRUN <<'A' cat <<B\n1\nA\n2\nB\n")
        guard case .run(let run) = document.stages[0].instructions[0] else { Issue.record(); return }
        let heredoc = try #require(run.heredocs.first)
        #expect(heredoc.name == "EOT" && heredoc.stripsLeadingTabs && !heredoc.expands)
        #expect(heredoc.content == "\techo $HOME\n\t\tx\n")
        #expect(heredoc.effectiveContent == "echo $HOME\nx\n")
        guard case .run(let two) = document.stages[0].instructions[1] else { Issue.record(); return }
        #expect(two.heredocs.map(\.name) == ["A", "B"])
        #expect(two.heredocs.map(\.content) == ["1\n", "2\n"])
        #expect(two.heredocs.map(\.expands) == [false, true])
        #expect(two.location == SourceLocation(line: 6, endLine: 10))
    }

    @Test func heredocCopySources() throws {
        let document = try parsed("FROM scratch\nCOPY --chmod=755 <<a.sh <<-b.txt /dst/\n#!/bin/sh\nA\na.sh\n\tB\n\tb.txt\n")
        guard case .copy(let copy) = document.stages[0].instructions[0] else { Issue.record(); return }
        #expect(copy.destination == "/dst/")
        #expect(copy.sources == [
            .heredoc(Heredoc(name: "a.sh", content: "#!/bin/sh\nA\n", stripsLeadingTabs: false, expands: true)),
            .heredoc(Heredoc(name: "b.txt", content: "\tB\n", stripsLeadingTabs: true, expands: true)),
        ])
    }

    @Test func heredocFileDescriptorAndJSONForm() throws {
        guard case .run(let run) = try single("RUN 3<<EOF cat /dev/fd/3\nx\nEOF") else { Issue.record(); return }
        #expect(run.heredocs.first?.fileDescriptor == 3)
        guard case .run(let json) = try single(#"RUN ["cat", "<<EOF"]"#) else { Issue.record(); return }
        #expect(json.heredocs.isEmpty)
    }

    @Test func heredocsOffBehaveLikeDocker2010() {
        let options = DockerfileParser.Options(heredocs: false)
        // Recorded from docker 20.10: "dockerfile parse error line 3: unknown instruction: ECHO"
        #expect(parseError("FROM local/busybox:latest\nRUN <<EOF\necho hi > /x\nEOF\nCOPPY a b\n", options: options)
            == "Dockerfile:3: unknown instruction: ECHO")
    }

    @Test func globalArgsAndStageSplit() throws {
        let document = try parsed("ARG BASE=busybox\nARG TAG\nFROM $BASE:${TAG:-latest} AS one\nRUN a\nFROM one\nRUN b\nRUN c\n")
        #expect(document.globalArgs.count == 2)
        #expect(document.stages.map(\.instructions.count) == [1, 2])
        #expect(document.stages[0].baseName == "$BASE:${TAG:-latest}")
    }
}

@Suite struct RunHeredocCommandTests {
    @Test func scriptExecutableAndShellText() throws {
        guard case .run(let script) = try single("RUN <<-EOF\n\techo a\nEOF") else { Issue.record(); return }
        #expect(script.heredocCommand == .script("echo a\n"))
        guard case .run(let shebang) = try single("RUN <<py\n#!/usr/bin/env python3\nprint(1)\npy") else { Issue.record(); return }
        #expect(shebang.heredocCommand == .executable(name: "py", content: "#!/usr/bin/env python3\nprint(1)\n"))
        guard case .run(let text) = try single("RUN cat <<A > /x\nhi\nA") else { Issue.record(); return }
        #expect(text.heredocCommand == .shellText("cat <<A > /x\nhi\nA"))
        guard case .run(let plain) = try single("RUN true") else { Issue.record(); return }
        #expect(plain.heredocCommand == nil)
    }
}

@Suite struct ContinuationEdgeTests {
    /// Recorded from docker 20.10: labels x=1, y=2\ and z=3; env q=a\\ (a doubled escape ends no line).
    @Test func doubledEscapeIsNotAContinuation() throws {
        let document = try parsed("FROM scratch\nLABEL x=1 \\\n  # inner comment\n    y=2\\\\\nLABEL z=3\nENV q=a\\\\\\\\\n")
        let instructions = document.stages[0].instructions
        #expect(instructions.count == 3)
        guard case .label(let label) = instructions[0], case .env(let env) = instructions[2] else { Issue.record(); return }
        let expander = document.expander
        #expect(try label.labels.map { try expander.expand($0.value, environment: [:]) } == ["1", "2\\"])
        #expect(try expander.expand(env.variables[0].value, environment: [:]) == "a\\\\")
    }

    /// Recorded from docker 20.10: `ENV "a b" c` splits the legacy form at whitespace, so the key is `"a`.
    @Test func legacyEnvSplitsAtWhitespace() throws {
        guard case .env(let env) = try single("ENV \"a b\" c") else { Issue.record(); return }
        #expect(env.variables == [KeyValue(key: "\"a", value: "b\" c")])
        #expect(throws: DockerfileError.self) { try VariableExpander().expand(env.variables[0].key, environment: [:]) }
    }
}
