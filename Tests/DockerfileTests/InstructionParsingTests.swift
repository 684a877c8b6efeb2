import Testing
@testable import Dockerfile

@Suite struct InstructionParsingTests {
    @Test func fromWithStageNameAndPlatform() throws {
        let document = try parsed("FROM --platform=$BUILDPLATFORM golang:1.22 AS Build\nFROM scratch\nFROM build as final\n")
        #expect(document.stages.count == 3)
        let first = document.stages[0]
        #expect(first.index == 0 && first.name == "build" && first.baseName == "golang:1.22")
        #expect(first.platform == "$BUILDPLATFORM")
        #expect(first.from.original == "FROM --platform=$BUILDPLATFORM golang:1.22 AS Build")
        #expect(document.stages[1].name == nil && document.stages[1].displayName == "stage-1")
        #expect(document.stage(named: "FINAL")?.index == 2)
        #expect(document.stage(named: "build")?.index == 0)
    }

    @Test func runShellAndExecForms() throws {
        guard case .run(let shell) = try single("RUN echo \"$HOME\"  &&  ls") else { Issue.record(); return }
        #expect(shell.command == .shell("echo \"$HOME\"  &&  ls"))
        #expect(shell.command.arguments() == ["/bin/sh", "-c", "echo \"$HOME\"  &&  ls"])
        guard case .run(let exec) = try single(#"RUN ["echo", "a b", "\u00e9\n"]"#) else { Issue.record(); return }
        #expect(exec.command == .exec(["echo", "a b", "é\n"]))
        // Not valid JSON: shell form, exactly as written.
        guard case .run(let broken) = try single(#"RUN ["echo", ]"#) else { Issue.record(); return }
        #expect(broken.command == .shell(#"["echo", ]"#))
        // Go's decoder reads the first value only.
        guard case .cmd(let trailing) = try single(#"CMD ["a"] b"#) else { Issue.record(); return }
        #expect(trailing.command == .exec(["a"]))
    }

    @Test func sshMount() throws {
        let line = "RUN --mount=type=ssh,id=key,target=/agent,required=false,mode=0644,uid=1,gid=2 --mount=type=ssh,required git fetch"
        guard case .run(let run) = try single(line) else { Issue.record(); return }
        #expect(run.mounts.count == 2)
        let first = run.mounts[0], second = run.mounts[1]
        #expect(first.type == .ssh && first.id == "key" && first.target == "/agent" && !first.required)
        #expect(first.mode == 0o644 && first.uid == 1 && first.gid == 2)
        #expect(second.type == .ssh && second.id == nil && second.target == nil && second.required)
    }

    @Test func runFlags() throws {
        let line = "RUN --mount=type=cache,target=/root/.cache,id=go,sharing=locked,mode=0700,uid=1,gid=2 "
            + "--mount=type=bind,from=build,source=/out,target=/in,rw --mount=type=secret,id=tok,required "
            + "--mount=type=tmpfs,dst=/tmp --network=none go build"
        guard case .run(let run) = try single(line) else { Issue.record(); return }
        #expect(run.network == RunNetwork.none)
        #expect(run.command == .shell("go build"))
        #expect(run.mounts.count == 4)
        let cache = run.mounts[0]
        #expect(cache.type == .cache && cache.target == "/root/.cache" && cache.id == "go" && cache.sharing == .locked)
        #expect(cache.mode == 0o700 && cache.uid == 1 && cache.gid == 2 && !cache.readOnly)
        let bind = run.mounts[1]
        #expect(bind.type == .bind && bind.from == "build" && bind.source == "/out" && bind.target == "/in" && !bind.readOnly)
        let secret = run.mounts[2]
        #expect(secret.type == .secret && secret.id == "tok" && secret.required && secret.readOnly)
        #expect(run.mounts[3].type == .tmpfs && run.mounts[3].target == "/tmp" && !run.mounts[3].readOnly)
        // A plain bind mount defaults to read-only.
        #expect(try RunMount.parse("target=/x").readOnly)
        #expect(try RunMount.parse("type=bind,\"target=/a,b\"").target == "/a,b")
    }

    @Test func cmdEntrypointEmptyForms() throws {
        guard case .cmd(let cmd) = try single("CMD") else { Issue.record(); return }
        #expect(cmd.command == .shell("") && cmd.command.commandLine == [])
        guard case .entrypoint(let entrypoint) = try single("ENTRYPOINT") else { Issue.record(); return }
        // Recorded from docker 20.10: Entrypoint ["/bin/sh","-c",""] for a bare ENTRYPOINT, null for [].
        #expect(entrypoint.command == .shell("") && entrypoint.command.arguments() == ["/bin/sh", "-c", ""])
        guard case .entrypoint(let exec) = try single("ENTRYPOINT []") else { Issue.record(); return }
        #expect(exec.command == .exec([]))
    }

    @Test func labelForms() throws {
        guard case .label(let label) = try single(#"LABEL a=b "c d"=e f="g h" i=j\ k"#) else { Issue.record(); return }
        #expect(label.labels == [KeyValue(key: "a", value: "b"), KeyValue(key: "\"c d\"", value: "e"),
                                 KeyValue(key: "f", value: "\"g h\""), KeyValue(key: "i", value: "j\\ k")])
        guard case .label(let legacy) = try single("LABEL maintainer Jane Doe") else { Issue.record(); return }
        #expect(legacy.labels == [KeyValue(key: "maintainer", value: "Jane Doe")])
    }

    @Test func envForms() throws {
        guard case .env(let env) = try single(#"ENV A=1 B="x y" C="""#) else { Issue.record(); return }
        #expect(env.variables.map(\.key) == ["A", "B", "C"])
        #expect(env.variables.map(\.value) == ["1", "\"x y\"", "\"\""])
        guard case .env(let legacy) = try single("ENV PATH   /usr/bin:/bin  $X ") else { Issue.record(); return }
        #expect(legacy.variables == [KeyValue(key: "PATH", value: "/usr/bin:/bin  $X")])
    }

    @Test func simpleInstructions() throws {
        guard case .maintainer(let maintainer) = try single("MAINTAINER Jane <j@x>") else { Issue.record(); return }
        #expect(maintainer.maintainer == "Jane <j@x>")
        guard case .expose(let expose) = try single("EXPOSE 8080 53/udp 443") else { Issue.record(); return }
        #expect(expose.ports == ["443", "53/udp", "8080"])
        guard case .user(let user) = try single("USER app:app") else { Issue.record(); return }
        #expect(user.user == "app:app")
        guard case .user(let spaced) = try single("USER a b") else { Issue.record(); return }
        #expect(spaced.user == "a b")
        guard case .workdir(let workdir) = try single("WORKDIR /srv/$APP") else { Issue.record(); return }
        #expect(workdir.path == "/srv/$APP")
        guard case .stopSignal(let signal) = try single("STOPSIGNAL SIGTERM") else { Issue.record(); return }
        #expect(signal.signal == "SIGTERM")
        guard case .shell(let shell) = try single(#"SHELL ["/bin/bash", "-o", "pipefail", "-c"]"#) else { Issue.record(); return }
        #expect(shell.shell == ["/bin/bash", "-o", "pipefail", "-c"])
    }

    @Test func volumeForms() throws {
        guard case .volume(let json) = try single(#"VOLUME ["/data", "/logs "]"#) else { Issue.record(); return }
        #expect(json.volumes == ["/data", "/logs"])
        guard case .volume(let words) = try single("VOLUME /a   /b") else { Issue.record(); return }
        #expect(words.volumes == ["/a", "/b"])
    }

    @Test func argForms() throws {
        let document = try parsed("ARG V=1 W\nARG X=\"a b\"\nFROM scratch\nARG TARGETARCH\nARG Y=2 Z\n")
        #expect(document.globalArgs.count == 2)
        #expect(document.globalArgs[0].arguments == [.init(name: "V", defaultValue: "1"), .init(name: "W", defaultValue: nil)])
        #expect(document.globalArgs[1].arguments == [.init(name: "X", defaultValue: "\"a b\"")])
        guard case .arg(let arg) = document.stages[0].instructions[1] else { Issue.record(); return }
        #expect(arg.arguments == [.init(name: "Y", defaultValue: "2"), .init(name: "Z", defaultValue: nil)])
    }

    @Test func copyAndAddFlags() throws {
        guard case .copy(let copy) = try single("COPY --from=build --chown=app:app --chmod=0755 --link a b* /dst/") else {
            Issue.record(); return
        }
        #expect(copy.from == "build" && copy.chown == "app:app" && copy.chmod == "0755" && copy.link)
        #expect(copy.sources == [.path("a"), .path("b*")] && copy.destination == "/dst/")
        guard case .copy(let json) = try single(#"COPY ["a b", "/c d/"]"#) else { Issue.record(); return }
        #expect(json.isJSON && json.sources == [.path("a b")] && json.destination == "/c d/")
        guard case .add(let add) = try single("ADD --checksum=sha256:abc --keep-git-dir=true --link=false https://x/y.tgz /") else {
            Issue.record(); return
        }
        #expect(add.checksum == "sha256:abc" && add.keepGitDir && !add.link)
        // `--` ends the flags; a single dash word is an argument.
        guard case .copy(let dashes) = try single("COPY -- --weird /x") else { Issue.record(); return }
        #expect(dashes.sources == [.path("--weird")])
        guard case .copy(let quoted) = try single(#"COPY --chown="a b" x y"#) else { Issue.record(); return }
        #expect(quoted.chown == "a b")
    }

    @Test func healthcheck() throws {
        guard case .healthcheck(let check) = try single(
            "HEALTHCHECK --interval=30s --timeout=1m30s --start-period=500ms --retries=3 CMD curl -f http://localhost/ || exit 1"
        ) else { Issue.record(); return }
        #expect(check.test == ["CMD-SHELL", "curl -f http://localhost/ || exit 1"])
        #expect(check.interval == 30_000_000_000 && check.timeout == 90_000_000_000 && check.startPeriod == 500_000_000)
        #expect(check.retries == 3)
        guard case .healthcheck(let exec) = try single(#"HEALTHCHECK CMD ["/bin/check", "-q"]"#) else { Issue.record(); return }
        #expect(exec.test == ["CMD", "/bin/check", "-q"] && exec.interval == 0 && exec.retries == 0)
        guard case .healthcheck(let none) = try single("HEALTHCHECK none") else { Issue.record(); return }
        #expect(none.isNone)
    }

    @Test func onbuildKeepsTriggerText() throws {
        guard case .onbuild(let onbuild) = try single("onbuild   RUN echo   hi") else { Issue.record(); return }
        #expect(onbuild.expression == "RUN echo   hi" && onbuild.triggerKeyword == "RUN")
        guard case .run(let trigger) = try onbuild.trigger() else { Issue.record(); return }
        #expect(trigger.command == .shell("echo   hi"))
        // Docker accepts an unknown trigger keyword until the trigger runs.
        guard case .onbuild(let unknown) = try single("ONBUILD COPPY a b") else { Issue.record(); return }
        #expect(throws: DockerfileError("unknown instruction: COPPY", location: SourceLocation(line: 1, endLine: 1))) {
            try unknown.trigger()
        }
        let triggers = try DockerfileParser.parseInstructions(["RUN echo hi", "COPY . /app"])
        #expect(triggers.map(\.keyword) == ["RUN", "COPY"])
        #expect(throws: DockerfileError.self) { try DockerfileParser.parseInstructions(["FROM x"]) }
    }

    @Test func whichInstructionsExpand() throws {
        let document = try parsed("FROM a\nRUN $x\nCOPY $a $b\nONBUILD RUN $x\nWORKDIR $w\nCMD $c\n")
        #expect(document.stages[0].instructions.map(\.expandsVariables) == [false, true, false, true, false])
    }


    @Test func keywordsAreCaseInsensitive() throws {
        let document = try parsed("from scratch\nrun true\nCoPy a b\n")
        #expect(document.stages[0].instructions.map(\.keyword) == ["RUN", "COPY"])
        #expect(document.stages[0].instructions[0].original == "run true")
    }
}
