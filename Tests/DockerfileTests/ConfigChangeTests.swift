import Testing
@testable import Dockerfile
import OCI

@Test func execFormIsKeptVerbatim() throws {
    #expect(try ConfigChange.parse(#"CMD ["/bin/sh", "-c", "echo hi"]"#) == .cmd(["/bin/sh", "-c", "echo hi"]))
}

@Test func shellFormIsWrappedInShell() throws {
    #expect(try ConfigChange.parse("ENTRYPOINT top -b") == .entrypoint(["/bin/sh", "-c", "top -b"]))
}

@Test func envTakesPairsWithQuotes() throws {
    #expect(try ConfigChange.parse(#"ENV A=1 B="two words" C=x\ y"#) == .env([("A", "1"), ("B", "two words"), ("C", "x y")]))
    #expect(try ConfigChange.parse("env PATH /usr/bin:/bin") == .env([("PATH", "/usr/bin:/bin")]))
}

@Test func exposeDefaultsToTCP() throws {
    #expect(try ConfigChange.parse("EXPOSE 80 53/UDP") == .expose(["80/tcp", "53/udp"]))
}

@Test func lowercaseKeywordsWork() throws {
    #expect(try ConfigChange.parse("workdir /srv") == .workdir("/srv"))
    #expect(try ConfigChange.parse("USER nobody") == .user("nobody"))
    #expect(try ConfigChange.parse(#"LABEL a=b "c d"=e"#) == .label([("a", "b"), ("c d", "e")]))
}

@Test func disallowedInstructionsAreRejectedLikeDocker() {
    #expect(throws: ConfigChangeError(message: "run is not a valid change command")) { try ConfigChange.parse("RUN echo") }
    #expect(throws: ConfigChangeError.self) { try ConfigChange.parse("USER") }
    #expect(throws: ConfigChangeError.self) { try ConfigChange.parse("ENV =x") }
}

@Test func changesApplyInOrderLikeDockerd() throws {
    var config = ContainerConfig()
    config.env = ["PATH=/bin"]
    let changes = try ["ENV PATH=/usr/bin A=1", "CMD [\"sh\"]", "ENTRYPOINT [\"/init\"]", "EXPOSE 80", "LABEL x=y",
                       "WORKDIR /srv", "WORKDIR app"].map(ConfigChange.parse)
    ConfigChange.apply(changes, to: &config)
    #expect(config.env == ["PATH=/usr/bin", "A=1"])
    #expect(config.cmd == ["sh"])
    #expect(config.entrypoint == ["/init"])
    #expect(config.exposedPorts == ["80/tcp"])
    #expect(config.labels == ["x": "y"])
    #expect(config.workingDir == "/srv/app")
}

@Test func entrypointAloneClearsInheritedCmd() throws {
    var config = ContainerConfig()
    config.cmd = ["/bin/sh"]
    ConfigChange.apply([try ConfigChange.parse("ENTRYPOINT top")], to: &config)
    #expect(config.cmd == nil)
    #expect(config.entrypoint == ["/bin/sh", "-c", "top"])
}
