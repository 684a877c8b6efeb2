/// What a registry login is made of. `identityToken` is an OAuth2 refresh token (docker's `identitytoken`);
/// when set, token requests use it instead of the password.
public struct RegistryCredentials: Sendable, Equatable {
    public var username: String
    public var secret: String
    public var identityToken: String?

    public init(username: String, secret: String, identityToken: String? = nil) {
        self.username = username
        self.secret = secret
        self.identityToken = identityToken
    }
}

/// Where the client looks up a login for a registry. `registry` is the reference's domain as docker
/// normalises it (`docker.io`, `127.0.0.1:5000`, `ghcr.io`); implementations map it to their own keys.
public protocol CredentialSource: Sendable {
    func credentials(for registry: String) throws -> RegistryCredentials?
}

/// No logins at all: every request goes out anonymously.
public struct AnonymousCredentials: CredentialSource {
    public init() {}
    public func credentials(for registry: String) throws -> RegistryCredentials? { nil }
}
