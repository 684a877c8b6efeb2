import Testing
@testable import Dockerfile

/// Messages recorded from `DOCKER_BUILDKIT=1 /usr/bin/docker build` (docker 20.10) on the same Dockerfiles.
/// Docker prints them as `dockerfile parse error line N: MESSAGE` (or without a line); Strata prints
/// `Dockerfile:N: MESSAGE`.
@Suite struct BuildKitErrorTests {
    static let base = "FROM local/busybox:latest\n"

    @Test(arguments: [
        ("\nCOPPY a b", "Dockerfile:3: unknown instruction: COPPY"),
        ("ENV", "Dockerfile:2: ENV requires at least one argument"),
        ("ENV =x", "Dockerfile:2: ENV names can not be blank"),
        ("ENV a", "Dockerfile:2: ENV must have two arguments"),
        ("ENV a=1 b", "Dockerfile:2: Syntax error - can't find = in \"b\". Must be of the form: name=value"),
        ("LABEL", "Dockerfile:2: LABEL requires at least one argument"),
        ("CMD [\"a\", 1]", "Dockerfile:2: when using JSON array syntax, arrays must be comprised of strings only"),
        ("SHELL sh -c", "Dockerfile:2: SHELL requires the arguments to be in JSON form"),
        ("ONBUILD ONBUILD RUN x", "Dockerfile:2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"),
        ("ONBUILD FROM x", "Dockerfile:2: FROM isn't allowed as an ONBUILD trigger"),
        ("ONBUILD maintainer x", "Dockerfile:2: MAINTAINER isn't allowed as an ONBUILD trigger"),
        ("ONBUILD", "Dockerfile:2: ONBUILD requires at least one argument"),
        ("ONBUILD --x RUN x", "Dockerfile:2: Unknown flag: x"),
        ("COPY a", "Dockerfile:2: COPY requires at least two arguments, but only one was provided. Destination could not be determined"),
        ("COPY --foo=1 a b", "Dockerfile:2: Unknown flag: foo"),
        ("COPY --chown a b", "Dockerfile:2: Missing a value on flag: chown"),
        ("COPY --chown=1 --chown=2 a b", "Dockerfile:2: Duplicate flag specified: chown"),
        ("RUN --mount=type=foo true", "Dockerfile:2: unsupported mount type \"foo\""),
        ("RUN --mount=type=cache,foo=bar,target=/x true", "Dockerfile:2: unexpected key 'foo' in 'foo=bar'"),
        ("RUN --mount=type=cache,target=/a,sharing=foo true", "Dockerfile:2: unsupported sharing value \"foo\""),
        ("RUN --mount=type=cache true", "Dockerfile:2: invalid mount target \"/\""),
        ("HEALTHCHECK --interval=0s CMD x", "Dockerfile:2: Interval \"interval\" cannot be less than 1ms"),
        ("HEALTHCHECK FOO x", "Dockerfile:2: Unknown type \"FOO\" in HEALTHCHECK (try CMD)"),
        ("HEALTHCHECK NONE x", "Dockerfile:2: HEALTHCHECK NONE takes no arguments"),
        ("HEALTHCHECK CMD", "Dockerfile:2: Missing command after HEALTHCHECK CMD"),
        ("HEALTHCHECK --retries=0 CMD x", "Dockerfile:2: --retries must be at least 1 (not 0)"),
        ("HEALTHCHECK --retries=x CMD x", "Dockerfile:2: strconv.ParseInt: parsing \"x\": invalid syntax"),
        ("HEALTHCHECK --timeout=5 CMD x", "Dockerfile:2: time: missing unit in duration \"5\""),
        ("HEALTHCHECK", "Dockerfile:2: HEALTHCHECK requires at least one argument"),
        ("ARG =x", "Dockerfile:2: ARG names can not be blank"),
        ("ARG", "Dockerfile:2: ARG requires at least one argument"),
        ("USER", "Dockerfile:2: USER requires exactly one argument"),
        ("STOPSIGNAL", "Dockerfile:2: STOPSIGNAL requires exactly one argument"),
        ("MAINTAINER", "Dockerfile:2: MAINTAINER requires exactly one argument"),
        ("EXPOSE", "Dockerfile:2: EXPOSE requires at least one argument"),
        ("VOLUME", "Dockerfile:2: VOLUME requires at least one argument"),
        ("VOLUME [\"\"]", "Dockerfile:2: VOLUME specified can not be an empty string"),
    ])
    func instructionErrors(_ line: String, _ expected: String) {
        #expect(parseError(Self.base + line + "\n") == expected)
    }

    @Test func fileLevelErrors() {
        #expect(parseError("FROM a b\n") == "Dockerfile:1: FROM requires either one or three arguments")
        #expect(parseError("FROM local/busybox:latest AS 1x\n")
            == "Dockerfile:1: invalid name for build stage: \"1x\", name can't start with a number or contain symbols")
        #expect(parseError("RUN x\n") == "Dockerfile:1: no build stage in current context")
        #expect(parseError("") == "Dockerfile: the Dockerfile cannot be empty")
        #expect(parseError("# hello\n\n# x\n") == "Dockerfile:3: file with no instructions")
        #expect(parseError("# escape=x\nFROM scratch\n") == "Dockerfile:1: invalid escape token 'x' does not match ` or \\")
        #expect(parseError("# escape=\\\n# escape=`\nFROM scratch\n") == "Dockerfile:2: only one escape parser directive can be used")
        #expect(parseError("FROM scratch\nRUN <<EOF\nx\n") == "Dockerfile:2: unterminated heredoc")
        #expect(parseError("FROM scratch\nCOPY a <<EOF\nx\nEOF\n") == "Dockerfile:2: COPY cannot accept a heredoc as a destination")
    }

    @Test func syntaxErrorsComeBeforeInstructionErrors() {
        // BuildKit splits all lines first, so a malformed ENV late in the file wins over an unknown keyword.
        #expect(parseError("FROM scratch\nCOPPY a b\nENV a\n") == "Dockerfile:3: ENV must have two arguments")
    }

    @Test func flagsAreIgnoredOnArgAndStopsignalLikeDocker() throws {
        _ = try parsed("FROM scratch\nARG --x a\nSTOPSIGNAL --x 9\n")
    }

    @Test func conversionErrors() throws {
        func planError(_ text: String, buildArgs: [String: String] = [:]) -> String? {
            do {
                _ = try DockerfileParser.parse(text).plan(buildArgs: buildArgs)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(planError("FROM $UNDEF\n") == "Dockerfile:1: base name ($UNDEF) should not be blank")
        #expect(planError("FROM busybox\nCOPY --from=5 a b\n") == "Dockerfile:2: invalid stage index 5")
        #expect(planError("FROM busybox AS a\nCOPY --from=a a b\n") == "Dockerfile: circular dependency detected on stage: a")
        #expect(planError("FROM busybox\nRUN true\n") == nil)
        #expect(planError("FROM --platform=foo busybox\n")?.hasPrefix("Dockerfile:1: failed to parse platform foo: ") == true)
        #expect(planError("FROM busybox AS x\nFROM busybox\n").map { _ in "x" } == nil)
        let document = try parsed("FROM busybox AS x\n")
        #expect(throws: DockerfileError("target stage y could not be found")) { try document.targetStageIndex("y") }
    }
}
