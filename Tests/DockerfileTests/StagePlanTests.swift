import OCI
import Testing
@testable import Dockerfile

@Suite struct StagePlanTests {
    @Test func resolvesBasesDependenciesAndPlatforms() throws {
        let text = """
        ARG BASE=local/busybox
        ARG TAG=latest
        FROM --platform=$BUILDPLATFORM $BASE:$TAG AS Build
        RUN --mount=type=bind,from=tools,target=/t true
        FROM scratch AS tools
        FROM build
        COPY --from=0 /a /a
        COPY --from=TOOLS /b /b
        COPY --from=alpine:3 /c /c
        """
        let document = try parsed(text)
        let platforms = BuiltinArguments.platformValues(target: Platform(os: "linux", architecture: "arm", variant: "v7"),
                                                        build: Platform(os: "linux", architecture: "amd64"))
        let plans = try document.plan(buildArgs: ["TAG": "1.36"], platformValues: platforms)
        #expect(plans[0].base == .image("local/busybox:1.36"))
        #expect(plans[0].platform == Platform(os: "linux", architecture: "amd64"))
        #expect(plans[0].stageDependencies == [1])
        #expect(plans[1].base == .scratch)
        #expect(plans[2].base == .stage(0))
        #expect(plans[2].stageDependencies == [0, 1])
        #expect(plans[2].imageDependencies == ["alpine:3"])
        #expect(try document.targetStageIndex(nil) == 2)
        #expect(try document.targetStageIndex("BUILD") == 0)
    }

    @Test func platformArguments() {
        let values = BuiltinArguments.platformValues(target: Platform(os: "linux", architecture: "arm64", variant: "v8"),
                                                     build: Platform(os: "linux", architecture: "amd64"))
        #expect(values["TARGETPLATFORM"] == "linux/arm64/v8")
        #expect(values["TARGETARCH"] == "arm64" && values["TARGETVARIANT"] == "v8" && values["TARGETOS"] == "linux")
        #expect(values["BUILDPLATFORM"] == "linux/amd64" && values["BUILDVARIANT"] == "")
        #expect(Set(values.keys) == Set(BuiltinArguments.platformNames))
        #expect(BuiltinArguments.isProxy("https_proxy") && !BuiltinArguments.isProxy("PROXY"))
    }

    @Test func globalScopeAppliesBuildArgsAndDefaultsInOrder() throws {
        let document = try parsed("ARG A=1\nARG B=${A}2\nARG C\nFROM scratch\n")
        #expect(document.globalScope(buildArgs: ["A": "9"], platformValues: ["TARGETOS": "linux"])
            == ["A": "9", "B": "92", "TARGETOS": "linux"])
    }
}
