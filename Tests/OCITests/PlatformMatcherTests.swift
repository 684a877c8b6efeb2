import Testing
@testable import OCI

@Suite struct PlatformMatcherTests {
    private func p(_ s: String) throws -> Platform { try Platform.parse(s) }
    private func descriptor(_ platform: String?, _ n: Int) throws -> Descriptor {
        Descriptor(mediaType: MediaType.ociManifest, digest: Digest.sha256(Array("m\(n)".utf8)), size: Int64(n),
                   platform: try platform.map { try Platform.parse($0) })
    }

    @Test func arm64DefaultVariantIsV8() throws {
        let m = PlatformMatcher(for: try p("linux/arm64"))
        #expect(m.matches(try p("linux/arm64/v8")))
        #expect(m.matches(Platform(os: "linux", architecture: "arm64")))
        #expect(m.matches(Platform(os: "Linux", architecture: "aarch64", variant: "8")))
        #expect(!m.matches(Platform(os: "linux", architecture: "arm64", variant: "v8.2")))
        #expect(!m.matches(try p("linux/arm/v7")))
        #expect(PlatformMatcher(for: try p("linux/arm64/v8")).preferences == [Platform(os: "linux", architecture: "arm64", variant: "v8")])
    }

    @Test func armAcceptsOlderVariantsInOrder() throws {
        let m = PlatformMatcher(for: try p("linux/arm/v7"))
        #expect(m.preferences.map(\.description) == ["linux/arm/v7", "linux/arm/v6", "linux/arm/v5"])
        #expect(m.matches(Platform(os: "linux", architecture: "arm")))  // no variant = v7
        #expect(m.matches(Platform(os: "linux", architecture: "armel")))
        #expect(!m.matches(try p("linux/arm/v8")))
        #expect(PlatformMatcher(for: try p("linux/arm/v8")).preferences.count == 4)
        #expect(PlatformMatcher(for: try p("linux/arm/v5")).preferences.map(\.description) == ["linux/arm/v5"])
    }

    @Test func amd64Levels() throws {
        let m = PlatformMatcher(for: try p("linux/amd64/v3"))
        #expect(m.preferences.map(\.description) == ["linux/amd64/v3", "linux/amd64/v2", "linux/amd64"])
        #expect(m.matches(Platform(os: "linux", architecture: "x86_64", variant: "v1")))
        #expect(!m.matches(try p("linux/amd64/v4")))
        #expect(!PlatformMatcher(for: try p("linux/amd64")).matches(try p("linux/amd64/v2")))
        #expect(!PlatformMatcher(for: try p("linux/amd64")).matches(try p("linux/386")))
        #expect(PlatformMatcher(for: try p("linux/amd64"), crossArchitecture: true).matches(try p("linux/386")))
    }

    @Test func arm64MinorVersions() throws {
        // containerd's parser rejects dots, so build it directly.
        let v92 = PlatformMatcher(for: Platform(os: "linux", architecture: "arm64", variant: "v9.2"))
        #expect(v92.preferences.map { $0.variant ?? "" }
            == ["v9.2", "v9.1", "v9", "v8.7", "v8.6", "v8.5", "v8.4", "v8.3", "v8.2", "v8.1", "v8"])
        #expect(v92.matches(try p("linux/arm64")))
        let cross = PlatformMatcher(for: try p("linux/arm64"), crossArchitecture: true)
        #expect(cross.preferences.map(\.description)
            == ["linux/arm64/v8", "linux/arm/v8", "linux/arm/v7", "linux/arm/v6", "linux/arm/v5"])
    }

    @Test func strictAcceptsOnlyThePlatform() throws {
        let m = PlatformMatcher(for: try p("linux/arm/v7"), strict: true)
        #expect(m.matches(try p("linux/armhf")))
        #expect(!m.matches(try p("linux/arm/v6")))
    }

    @Test func osComparesCaseInsensitively() throws {
        #expect(PlatformMatcher(for: try p("LINUX/AMD64")).matches(Platform(os: "linux", architecture: "amd64")))
        #expect(!PlatformMatcher(for: try p("linux/amd64")).matches(try p("windows/amd64")))
    }

    @Test func bestPicksByPreferenceThenIndexOrder() throws {
        let list = [try descriptor("linux/amd64", 1), try descriptor("linux/arm/v5", 2), try descriptor("linux/arm/v6", 3),
                    try descriptor(nil, 4), try descriptor("linux/arm/v6", 5), try descriptor("linux/arm64", 6)]
        let arm = PlatformMatcher(for: try p("linux/arm/v7"))
        #expect(arm.best(in: list)?.size == 3)
        #expect(arm.ranked(list).map(\.size) == [3, 5, 2])
        #expect(PlatformMatcher(for: try p("linux/arm64/v8")).best(in: list)?.size == 6)
        #expect(PlatformMatcher(for: try p("linux/s390x")).best(in: list) == nil)
        #expect(ImageIndex(manifests: list).manifest(for: try p("linux/amd64"))?.size == 1)
        #expect(arm.prefers(try p("linux/arm/v6"), over: try p("linux/arm/v5")))
        #expect(!arm.prefers(try p("linux/arm/v5"), over: try p("linux/arm/v6")))
    }

    @Test func hostIsNormalised() {
        #expect(Platform.host == Platform.current.normalized)
        #expect(PlatformMatcher.host.matches(Platform.current))
    }

    @Test(arguments: [
        ("foo", #""foo": unknown operating system or architecture: invalid argument"#),
        ("linux/arm64/v8/x", #""linux/arm64/v8/x": cannot parse platform specifier: invalid argument"#),
        ("linux/am d64", #""am d64" is an invalid component of "linux/am d64": platform specifier component must match "^[A-Za-z0-9_-]+$": invalid argument"#),
        ("linux//amd64", #""" is an invalid component of "linux//amd64": platform specifier component must match "^[A-Za-z0-9_-]+$": invalid argument"#),
        ("linux/*", #""linux/*": wildcards not yet supported: invalid argument"#),
    ])
    func dockerErrorTexts(_ input: String, _ message: String) {
        #expect(throws: PlatformError(description: message)) { try Platform.parse(input) }
    }

    @Test func unknownPairsParse() throws {
        // docker 20.10 accepts any os/arch pair and only fails to find a match later.
        #expect(try p("foo/bar").description == "foo/bar")
        #expect(try p("linux/arm/v9").description == "linux/arm/v9")
    }
}
