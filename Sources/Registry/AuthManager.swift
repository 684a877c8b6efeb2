import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// What the registry asked for and what we hold: the challenge learned per host, bearer tokens cached per
/// (host, realm, service, scopes, account) until `expires_in` runs out, and refresh tokens issued to logins.
actor AuthManager {
    let credentials: any CredentialSource
    private var challenges: [String: AuthChallenge] = [:]
    private var tokens: [TokenKey: CachedToken] = [:]

    struct TokenKey: Hashable {
        var hostPort: String
        var realm: String
        var service: String
        var scopes: [String]
        var account: String
    }

    struct CachedToken {
        var value: String
        var expires: ContinuousClock.Instant
    }

    init(credentials: any CredentialSource) { self.credentials = credentials }

    /// Remembers the challenge a host answered with (Bearer preferred over Basic).
    func remember(_ found: [AuthChallenge], hostPort: String) {
        if let chosen = found.first(where: { $0.scheme == "bearer" }) ?? found.first(where: { $0.scheme == "basic" }) {
            challenges[hostPort] = chosen
        }
    }

    /// Handles a 401: records the challenge and tells whether another attempt can carry better credentials.
    /// A second 401 for a token we just fetched is final.
    func learn(_ found: [AuthChallenge], hostPort: String, request: RegistryRequest, sentAuthorization: String?) throws -> Bool {
        guard let chosen = found.first(where: { $0.scheme == "bearer" }) ?? found.first(where: { $0.scheme == "basic" }) else {
            return false
        }
        // RFC 6750 errors other than an expired token mean more credentials will not help.
        if let error = chosen.parameters["error"], error != "invalid_token" { return false }
        challenges[hostPort] = chosen
        if chosen.scheme == "basic" {
            // Nothing was sent yet: the next attempt either carries credentials or fails the way docker's
            // basic handler does (no basic auth credentials).
            return sentAuthorization == nil
        }
        // Drop any cached token for these scopes: the registry refused it.
        if sentAuthorization != nil {
            tokens = tokens.filter { $0.key.hostPort != hostPort || $0.key.scopes != AuthManager.scopes(request.scopes, chosen) }
        }
        return true
    }

    /// The Authorization header for a request, fetching a token when the host wants one.
    func authorization(hostPort: String, request: RegistryRequest, transport: HTTPTransport) async throws -> String? {
        guard let challenge = challenges[hostPort] else { return nil }
        let creds = try request.credentials ?? credentials.credentials(for: request.registry)
        switch challenge.scheme {
        case "basic":
            guard let creds else { throw RegistryError.noBasicAuthCredentials }
            return "Basic " + Data((creds.username + ":" + creds.secret).utf8).base64EncodedString()
        case "bearer":
            guard let realm = challenge.realm else { return nil }
            let scopes = AuthManager.scopes(request.scopes, challenge)
            let key = TokenKey(hostPort: hostPort, realm: realm, service: challenge.service ?? "", scopes: scopes,
                               account: creds?.username ?? "")
            if request.credentials == nil, let cached = tokens[key], cached.expires > .now { return "Bearer " + cached.value }
            let fetched = try await TokenFetcher(transport: transport).fetch(
                realm: realm, service: challenge.service, scopes: scopes, credentials: creds,
                offline: request.credentials != nil)
            if request.credentials == nil {
                tokens[key] = CachedToken(value: fetched.token, expires: .now + fetched.lifetime)
            } else if let refresh = fetched.refreshToken {
                issuedRefreshTokens[hostPort] = refresh
            }
            return "Bearer " + fetched.token
        default:
            return nil
        }
    }

    /// Refresh tokens the token service issued during login checks, by host.
    private var issuedRefreshTokens: [String: String] = [:]

    func takeRefreshToken(hostPort: String) -> String? {
        issuedRefreshTokens.removeValue(forKey: hostPort)
    }

    /// The request's scopes plus any the challenge names, sorted and unique.
    static func scopes(_ wanted: [String], _ challenge: AuthChallenge) -> [String] {
        Array(Set(wanted + challenge.scopes)).sorted()
    }
}

/// Talks to a token service (docker's token auth spec): OAuth2 POST with a refresh token, else GET with
/// Basic credentials (or anonymously).
struct TokenFetcher {
    let transport: HTTPTransport

    struct Token {
        var token: String
        var lifetime: Duration
        var refreshToken: String?
    }

    private struct Response: Decodable {
        var token: String?
        var access_token: String?
        var expires_in: Int?
        var refresh_token: String?
    }

    static let clientID = "strata"
    /// docker's floor for a token's lifetime when the server gives none or a tiny one.
    static let minimumLifetime = 60

    func fetch(realm: String, service: String?, scopes: [String], credentials: RegistryCredentials?, offline: Bool) async throws -> Token {
        // A realm gets credentials over plain HTTP only where the registry rule allows plain HTTP (loopback,
        // insecure registries). Anonymous requests to other plain-HTTP realms are refused too, although docker
        // sends them: the token that comes back is a credential the registry honours, readable and forgeable by
        // anyone on the path. Loopback and insecure-registry realms keep working anonymously, as before.
        let holdsCredentials = !(credentials?.identityToken ?? "").isEmpty
            || credentials.map { !$0.username.isEmpty || !$0.secret.isEmpty } ?? false
        if let refusal = transport.security.credentialRefusal(to: realm, destination: .tokenRealm, anonymous: !holdsCredentials) {
            throw RegistryError.credentialsRefused(refusal)
        }
        if let refresh = credentials?.identityToken, !refresh.isEmpty {
            var form = [("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", TokenFetcher.clientID)]
            if let service { form.append(("service", service)) }
            if !scopes.isEmpty { form.append(("scope", scopes.joined(separator: " "))) }
            if offline { form.append(("access_type", "offline")) }
            let body = form.map { $0.0.queryEscaped + "=" + $0.1.queryEscaped }.joined(separator: "&")
            var request = RegistryRequest(method: .POST, url: realm, registry: "", authenticate: false)
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(Data(body.utf8))
            request.bodyHoldsCredentials = true
            let response = try await transport.send(request)
            // Token servers without OAuth2 support answer 404/405: fall back to the GET flow.
            if response.status != .notFound, response.status != .methodNotAllowed {
                return try await decode(response, url: realm, keepRefresh: refresh)
            }
            await transport.drain(response)
        }
        var query: [(String, String)] = []
        if let service { query.append(("service", service)) }
        for scope in scopes { query.append(("scope", scope)) }
        var request = RegistryRequest(method: .GET, url: realm, registry: "", authenticate: false)
        if let credentials, !credentials.username.isEmpty || !credentials.secret.isEmpty {
            query.append(("account", credentials.username))
            if offline { query += [("offline_token", "true"), ("client_id", TokenFetcher.clientID)] }
            let basic = Data((credentials.username + ":" + credentials.secret).utf8).base64EncodedString()
            request.headers.add(name: "Authorization", value: "Basic " + basic)
        }
        if !query.isEmpty {
            request.url += (realm.contains("?") ? "&" : "?") + query.map { $0.0.queryEscaped + "=" + $0.1.queryEscaped }.joined(separator: "&")
        }
        let response = try await transport.send(request)
        return try await decode(response, url: realm, keepRefresh: nil)
    }

    private func decode(_ response: HTTPClientResponse, url: String, keepRefresh: String?) async throws -> Token {
        guard response.status == .ok else { throw await transport.error(for: response, url: url) }
        let data = try await transport.collect(response, limit: 1 << 20, url: url)
        guard let parsed = try? JSONDecoder().decode(Response.self, from: data),
              let token = parsed.token.flatMap({ $0.isEmpty ? nil : $0 }) ?? parsed.access_token, !token.isEmpty else {
            throw RegistryError.invalidResponse("authorization server did not include a token in the response")
        }
        let seconds = max(parsed.expires_in ?? TokenFetcher.minimumLifetime, TokenFetcher.minimumLifetime)
        // Refresh a little early so a token does not expire mid-request.
        let lifetime = Duration.seconds(seconds) - .seconds(min(10, seconds / 6))
        return Token(token: token, lifetime: lifetime, refreshToken: parsed.refresh_token ?? keepRefresh)
    }
}
