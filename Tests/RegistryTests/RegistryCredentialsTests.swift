import Registry
import Testing

@Test func anonymousCredentialsHaveNoLogin() throws {
    #expect(try AnonymousCredentials().credentials(for: "docker.io") == nil)
}
