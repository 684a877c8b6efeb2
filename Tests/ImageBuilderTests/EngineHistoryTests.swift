import Foundation
import GoText
import OCI
import Store
import Testing
@testable import ImageBuilder

/// created_by strings and Go formatting, checked against BuildKit 20.10's history (notes/oracle/buildkit-basic.txt).
@Suite struct EngineHistoryTests {
    @Test func runWithBuildArgs() {
        #expect(HistoryText.run(arguments: ["/bin/sh", "-c", "echo $V > /v.txt"], buildArgs: [("V", "1")])
                == "RUN |1 V=1 /bin/sh -c echo $V > /v.txt # buildkit")
        #expect(HistoryText.run(arguments: ["/bin/sh", "-c", "true"], buildArgs: []) == "RUN /bin/sh -c true # buildkit")
    }

    @Test func copyAndMetadata() {
        #expect(HistoryText.copy(isAdd: false, sources: ["a.txt"], destination: ".") == "COPY a.txt . # buildkit")
        #expect(HistoryText.copy(isAdd: true, sources: ["a", "b"], destination: "/x/") == "ADD a b /x/ # buildkit")
        #expect(HistoryText.keyValues("ENV", [("A", "b"), ("C", "d e")]) == "ENV A=b C=d e")
        #expect(HistoryText.keyValues("LABEL", [("k", "v"), ("x y", "z")]) == "LABEL k=v x y=z")
        #expect(HistoryText.arg([("V", "1")]) == "ARG V=1")
        #expect(HistoryText.arg([("V", nil)]) == "ARG V")
        #expect(HistoryText.volume(["/data"]) == "VOLUME [/data]")
        #expect(HistoryText.shell(["/bin/sh", "-xc"]) == "SHELL [/bin/sh -xc]")
        #expect(HistoryText.entrypoint(["/bin/sh"]) == "ENTRYPOINT [\"/bin/sh\"]")
        #expect(HistoryText.cmd(["-c", "echo hi"]) == "CMD [\"-c\" \"echo hi\"]")
    }

    @Test func exposeIsAGoMap() throws {
        var ports = Set<String>()
        for word in ["80", "443/udp"] { for key in try HistoryText.portKeys(word) { ports.insert(key) } }
        #expect(HistoryText.expose(ports) == "EXPOSE map[443/udp:{} 80/tcp:{}]")
        #expect(try HistoryText.portKeys("8000-8002/TCP") == ["8000/tcp", "8001/tcp", "8002/tcp"])
    }

    @Test func healthcheckIsAGoStruct() {
        #expect(HistoryText.healthcheck(test: ["CMD-SHELL", "true"], interval: 5_000_000_000, timeout: 0, startPeriod: 0, retries: 0)
                == "HEALTHCHECK &{[\"CMD-SHELL\" \"true\"] \"5s\" \"0s\" \"0s\" '\\x00'}")
        #expect(HistoryText.healthcheck(test: ["NONE"], interval: 0, timeout: 0, startPeriod: 0, retries: 3)
                == "HEALTHCHECK &{[\"NONE\"] \"0s\" \"0s\" \"0s\" '\\x03'}")
    }

    @Test func goDurations() {
        #expect(GoFormatting.duration(0) == "0s")
        #expect(GoFormatting.duration(1_500_000_000) == "1.5s")
        #expect(GoFormatting.duration(90_000_000_000) == "1m30s")
        #expect(GoFormatting.duration(7_200_000_000_000) == "2h0m0s")
        #expect(GoFormatting.duration(500_000_000) == "500ms")
        #expect(GoFormatting.duration(1_500) == "1.5µs")
    }

    @Test func goQuoting() {
        #expect(GoFormatting.quote("a\"b\n") == "\"a\\\"b\\n\"")
        #expect(GoFormatting.quoteRune(65) == "'A'")
        #expect(GoFormatting.quoteRune(0) == "'\\x00'")
        #expect(GoFormatting.quoteRune(3) == "'\\x03'")
        #expect(GoFormatting.quoteRune(10) == "'\\n'")
        #expect(GoFormatting.quoteRune(39) == "'\\''")
    }

    @Test func historyTiming() {
        var state = StageState(config: ImageConfig(architecture: "amd64", os: "linux"), layers: [], baseHistory: [],
                               runEnv: [], cacheKey: "k")
        state.addMetadataHistory("ARG V=1")
        let layerTime = Date(timeIntervalSince1970: 1000)
        let layer = StoredLayer(blobDigest: Digest.sha256(Data("a".utf8)), diffID: Digest.sha256(Data("b".utf8)),
                                mediaType: "m", blobSize: 1, contentSize: 1)
        state.addLayerStep("WORKDIR /app", layer: layer, time: Timestamp(layerTime))
        state.addLayerStep("RUN x # buildkit", layer: nil, time: Timestamp(Date(timeIntervalSince1970: 2000)))
        state.addMetadataHistory("USER 1")
        let config = state.finishedConfig()
        let times = config.history!.map { $0.created! }
        #expect(times.allSatisfy { $0 == Timestamp(layerTime) })
        #expect(config.created == Timestamp(layerTime))
        #expect(config.history![2].emptyLayer == true)
        #expect(config.rootfs.diffIDs.count == 1)
    }

    @Test func cacheKeysIgnoreNothingButOrder() {
        let a = StageBuilder.key(["parent", "linux/amd64", "RUN", "echo"])
        #expect(a == StageBuilder.key(["parent", "linux/amd64", "RUN", "echo"]))
        #expect(a != StageBuilder.key(["parent", "linux/amd64", "RUN", "echo "]))
        #expect(StageBuilder.key(["ab", "c"]) != StageBuilder.key(["a", "bc"]))
    }
}
