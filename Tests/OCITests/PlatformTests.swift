import Testing
import GoText
@testable import OCI

@Suite struct PlatformTests {
    @Test(arguments: [
        ("linux/amd64", "linux/amd64"),
        ("linux/x86_64", "linux/amd64"),
        ("linux/amd64/v1", "linux/amd64"),
        ("linux/amd64/v3", "linux/amd64/v3"),
        ("linux/aarch64", "linux/arm64/v8"),
        ("linux/arm64", "linux/arm64/v8"),
        ("linux/arm64/8", "linux/arm64/v8"),
        ("linux/arm", "linux/arm/v7"),
        ("linux/arm/7", "linux/arm/v7"),
        ("linux/arm/6", "linux/arm/v6"),
        ("linux/armhf", "linux/arm/v7"),
        ("linux/armel", "linux/arm/v6"),
        ("linux/i386", "linux/386"),
        ("Linux/AMD64", "linux/amd64"),
        ("windows/amd64", "windows/amd64"),
        ("linux/riscv64", "linux/riscv64"),
    ])
    func parsesAndNormalises(_ input: String, _ expected: String) throws {
        #expect(try Platform(parsing: input).description == expected)
    }

    @Test func shortFormsUseHost() throws {
        #expect(try Platform(parsing: "linux").architecture == Platform.current.architecture)
        #expect(try Platform(parsing: "arm64").os == Platform.current.os)
        #expect(throws: PlatformError.self) { try Platform(parsing: "nonsense") }
        #expect(throws: PlatformError.self) { try Platform(parsing: "linux//amd64") }
        #expect(throws: PlatformError.self) { try Platform(parsing: "a/b/c/d") }
    }

    @Test func unameMapping() {
        #expect(Platform.fromUname("x86_64") == ("amd64", nil))
        #expect(Platform.fromUname("aarch64") == ("arm64", "v8"))
        #expect(Platform.fromUname("armv7l") == ("arm", "v7"))
        #expect(Platform.current.os == "linux")
        #expect(!Platform.current.architecture.isEmpty)
    }

    @Test func matching() throws {
        let want = try Platform(parsing: "linux/arm/v7")
        #expect(want.matches(Platform(os: "linux", architecture: "arm", variant: "v6")))
        #expect(!want.matches(Platform(os: "linux", architecture: "arm", variant: "v8")))
        #expect(try Platform(parsing: "linux/arm64").matches(Platform(os: "linux", architecture: "arm64")))
        #expect(try Platform(parsing: "linux/arm64").matches(Platform(os: "linux", architecture: "aarch64", variant: "v8")))
        #expect(try Platform(parsing: "linux/amd64/v3").matches(Platform(os: "linux", architecture: "amd64")))
        #expect(try !Platform(parsing: "linux/amd64").matches(Platform(os: "linux", architecture: "amd64", variant: "v3")))
        #expect(try !Platform(parsing: "linux/amd64").matches(Platform(os: "windows", architecture: "amd64")))
    }

    @Test func json() throws {
        let p = Platform(os: "windows", architecture: "amd64", osVersion: "10.0.17763.1", osFeatures: ["win32k"])
        #expect(String(decoding: GoJSON.encode(p), as: UTF8.self)
            == #"{"architecture":"amd64","os":"windows","os.version":"10.0.17763.1","os.features":["win32k"]}"#)
    }
}
