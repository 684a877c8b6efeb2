import Foundation
import Testing
import GoText
@testable import OCI

@Suite struct ImageConfigTests {
    func decode(_ json: String) throws -> ImageConfig {
        try JSONDecoder().decode(ImageConfig.self, from: Data(json.utf8))
    }

    @Test(arguments: [
        (Fixtures.busyboxConfig, Fixtures.busyboxConfigID),
        (Fixtures.committedConfig, Fixtures.committedConfigID),
    ])
    func dockerConfigsReencodeByteForByte(_ json: String, _ id: String) throws {
        #expect(Digest.sha256(Data(json.utf8)).description == id)
        let config = try decode(json)
        #expect(String(decoding: GoJSON.encode(config), as: UTF8.self) == json)
        #expect(config.id.description == id)
    }

    @Test func busyboxFields() throws {
        let config = try decode(Fixtures.busyboxConfig)
        #expect(config.architecture == "amd64")
        #expect(config.os == "linux")
        #expect(config.comment == "Imported from -")
        #expect(config.created?.rawValue == "2026-11-26T16:05:40.571074085Z")
        #expect(config.created?.nanoseconds == 571_074_085)
        #expect(config.config?.cmd == ["/bin/sh"])
        #expect(config.config?.entrypoint == nil)
        #expect(config.config?.style == .docker)
        #expect(config.containerConfig?.cmd == nil)
        #expect(config.dockerVersion == "20.10.24+dfsg1")
        #expect(config.rootfs.diffIDs.map(\.shortID) == ["006c572623c6"])
        #expect(config.history?.first?.comment == "Imported from -")
        #expect(config.platform == Platform(os: "linux", architecture: "amd64"))
    }

    @Test func committedFields() throws {
        let config = try #require(try decode(Fixtures.committedConfig).config)
        #expect(config.hostname == "8bb52d92b8c1")
        #expect(config.user == "nobody")
        #expect(config.exposedPorts == ["80/tcp", "53/udp"])
        #expect(config.volumes == ["/data", "/b"])
        #expect(config.env == ["A=1", "B=two words"])
        #expect(config.entrypoint == ["/bin/sh", "-c"])
        #expect(config.healthcheck == Healthcheck(test: ["CMD-SHELL", "true"], interval: 5_000_000_000, timeout: 2_000_000_000, retries: 3))
        #expect(config.labels == ["a": "first", "z": "last"])
        #expect(config.onBuild == ["RUN x"])
        let history = try decode(Fixtures.committedConfig).history ?? []
        #expect(history.map(\.isEmptyLayer) == [false, true])
        #expect(history.last?.author == "Strata <t@example.com>")
    }

    @Test func ociConfigToleratesUnknownFieldsAndNulls() throws {
        let config = try decode(Fixtures.ociConfig)
        #expect(config.author == nil)
        #expect(config.variant == "v8")
        #expect(config.config?.style == .oci)
        #expect(config.config?.argsEscaped == true)
        #expect(config.config?.stopSignal == "SIGQUIT")
        #expect(config.config?.extraFields["Unknown"] == .object([JSONMember("x", .array([.integer(1), .double(2.5), .null]))]))
        #expect(config.extraFields["moby.buildkit.buildinfo.v1"] == .string("e30="))
        let json = String(decoding: GoJSON.encode(try #require(config.config)), as: UTF8.self)
        #expect(json == #"{"Env":["PATH=/usr/bin"],"Cmd":["nginx","-g","daemon off;"],"WorkingDir":"/","Labels":{"maintainer":"x"},"StopSignal":"SIGQUIT","ArgsEscaped":true,"Unknown":{"x":[1,2.5,null]}}"#)
        // Decoding our own output gives the same value back.
        #expect(try decode(String(decoding: GoJSON.encode(config), as: UTF8.self)) == config)
        #expect(try JSONDecoder().decode(ImageConfig.self, from: CanonicalJSON.encode(config)) == config)
    }

    @Test func nullVersusEmptyCommand() throws {
        var config = ContainerConfig()
        func json() -> String { String(decoding: GoJSON.encode(config), as: UTF8.self) }
        #expect(json().contains(#""Cmd":null"#))
        config.cmd = []
        #expect(json().contains(#""Cmd":[]"#))
        config.style = .oci
        #expect(json() == "{}")
        config.cmd = ["a"]
        config.labels = [:]
        #expect(json() == #"{"Cmd":["a"]}"#)
        // A bare string is accepted for Cmd like docker's StrSlice.
        let decoded = try JSONDecoder().decode(ContainerConfig.self, from: Data(#"{"Cmd":"echo hi","Entrypoint":null}"#.utf8))
        #expect(decoded.cmd == ["echo hi"])
        #expect(decoded.entrypoint == nil)
    }

    @Test func canonicalJSONIsSortedAndUnescaped() throws {
        let data = try CanonicalJSON.encode(["b": "x/y", "a": "<"])
        #expect(String(decoding: data, as: UTF8.self) == #"{"a":"<","b":"x/y"}"#)
    }

    @Test func goJSONEscapingAndIndent() {
        let value = JSONValue.object([JSONMember("k", .string("<a&b>\u{2028}\u{1}é\"\\\n")), JSONMember("n", .array([]))])
        #expect(String(decoding: GoJSON.encode(value), as: UTF8.self) == #"{"k":"\u003ca\u0026b\u003e\u2028\u0001é\"\\\n","n":[]}"#)
        #expect(String(decoding: GoJSON.encode(value, indent: "    ", escapeHTML: false), as: UTF8.self)
            == "{\n    \"k\": \"<a&b>\\u2028\\u0001é\\\"\\\\\\n\",\n    \"n\": []\n}")
    }

    @Test func manifestsRoundTrip() throws {
        let layer = Descriptor(mediaType: MediaType.ociLayerGzip, digest: .sha256(Data("l".utf8)), size: 3)
        let config = Descriptor(mediaType: MediaType.ociConfig, digest: .sha256(Data("c".utf8)), size: 2)
        let manifest = ImageManifest(config: config, layers: [layer], annotations: ["b": "2", "a": "1"])
        let bytes = GoJSON.encode(manifest)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"#))
        #expect(text.hasSuffix(#""annotations":{"a":"1","b":"2"}}"#))
        #expect(try JSONDecoder().decode(ImageManifest.self, from: bytes) == manifest)

        let arm = Descriptor(mediaType: MediaType.ociManifest, digest: .sha256(Data("arm".utf8)), size: 1,
                             platform: Platform(os: "linux", architecture: "arm", variant: "v6"))
        let amd = Descriptor(mediaType: MediaType.ociManifest, digest: .sha256(Data("amd".utf8)), size: 1,
                             platform: Platform(os: "linux", architecture: "amd64"))
        let index = ImageIndex(manifests: [arm, amd])
        #expect(try JSONDecoder().decode(ImageIndex.self, from: GoJSON.encode(index)) == index)
        #expect(index.manifest(for: try Platform(parsing: "linux/amd64")) == amd)
        #expect(index.manifest(for: try Platform(parsing: "linux/arm/v7")) == arm)
        #expect(index.manifest(for: try Platform(parsing: "linux/arm64")) == nil)
    }

    @Test func dockerSaveManifest() throws {
        let json = #"[{"Config":"9aa0521c58b15eee477ec8dc58a405f6f03d771159c6d7e97e5fa946a0525cdd.json","RepoTags":["local/busybox:latest"],"Layers":["1902b92b453359f7b16fe5f7d167eb5d7758f25f3b9e1cee5d9c27801ae737b1/layer.tar"]}]"#
        let entries = try JSONDecoder().decode([DockerArchiveManifestEntry].self, from: Data(json.utf8))
        #expect(String(decoding: GoJSON.encode(.array(entries.map(\.goJSON))), as: UTF8.self) == json)
    }

    @Test func timestamps() throws {
        let t = try Timestamp("2026-11-26T16:05:40.571074085Z")
        #expect(Timestamp(seconds: t.seconds, nanoseconds: t.nanoseconds).rawValue == t.rawValue)
        #expect(try Timestamp("2026-11-26T17:05:40.571074085+01:00") == t)
        #expect(Timestamp(seconds: 0).rawValue == "1970-01-01T00:00:00Z")
        #expect(Timestamp(seconds: 1, nanoseconds: 500_000_000).rawValue == "1970-01-01T00:00:01.5Z")
        #expect(Timestamp.goZero.rawValue == "0001-01-01T00:00:00Z")
        #expect(try Timestamp("0001-01-01T00:00:00Z") == Timestamp.goZero)
        #expect(try Timestamp("2024-02-29T00:00:00Z").seconds == 1_709_164_800)
        for bad in ["", "2024-02-30T00:00:00Z", "2024-01-01 00:00:00Z", "2024-01-01T00:00:00", "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00Zx"] {
            #expect(throws: TimestampError.self) { try Timestamp(bad) }
        }
        #expect(Timestamp.now() > t || Timestamp.now() < t)
    }
}
