import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// A request body: in memory, or streamed. Every attempt (a retry, the resend after a 401 challenge) gets a
/// body of its own: a stream is re-opened per attempt, because an async sequence can be iterated only once and
/// an earlier attempt may already have consumed part of it.
enum OutgoingBody: Sendable {
    case none
    case bytes(Data)
    /// `open` is called once per attempt; it throws ``UploadRestartRequired`` when the bytes cannot be given
    /// again (the caller then restarts the whole upload from a fresh source).
    case stream(length: Int64, open: @Sendable () throws -> UploadReader.Pieces)

    /// Whether status retries may resend it (streams are resent only after an auth challenge).
    var isReplayable: Bool {
        if case .stream = self { return false }
        return true
    }
}

/// One API call as the client builds it; ``HTTPTransport`` adds auth, TLS, proxying, retries and logging.
struct RegistryRequest: Sendable {
    var method: HTTPMethod
    var url: String
    var headers: HTTPHeaders = [:]
    var body: OutgoingBody = .none
    /// Token scopes the call needs, e.g. `repository:library/busybox:pull`.
    var scopes: [String] = []
    /// Registry name for credential lookup (`docker.io`, not the endpoint host).
    var registry: String
    /// Streams (blob bodies, uploads) get no overall deadline, only the idle/read timeout.
    var streaming = false
    /// Overrides the credential source (login checks).
    var credentials: RegistryCredentials?
    /// False for token-service calls, which carry their own credentials.
    var authenticate = true
    /// Overrides the client's attempt count (the scheme probe tries once).
    var maxAttempts: Int?
    /// The body holds a credential (an OAuth2 refresh token): it goes only where an Authorization header may.
    var bodyHoldsCredentials = false
}

/// Sends registry requests through AsyncHTTPClient: one HTTPClient per proxy in use, per-request TLS,
/// scheme probing for insecure hosts, the 401 → token → retry dance, retries with backoff, manual
/// redirects (credentials never follow a redirect to another host, nor go anywhere over plain HTTP unless
/// ``TransportSecurity/allowsCredentials(to:)`` says so), and a redacted exchange log.
final class HTTPTransport: Sendable {
    let options: RegistryClientOptions
    let security: TransportSecurity
    let proxies: ProxySettings
    let state: TransportState
    let auth: AuthManager
    let retry: RetryPolicy
    let retryBudget: RetryBudget

    init(options: RegistryClientOptions, credentials: any CredentialSource) {
        self.options = options
        security = TransportSecurity(insecureRegistries: options.insecureRegistries, certsDirectory: options.certsDirectory)
        proxies = ProxySettings(environment: options.proxyEnvironment)
        retry = RetryPolicy(maxAttempts: options.maxAttempts, baseDelay: options.retryBaseDelay, maxDelay: options.maxRetryDelay)
        // Twice one request's retries: enough for transient faults on several requests, bounded for hopeless ones.
        retryBudget = RetryBudget(capacity: 4 * (options.maxAttempts - 1))
        state = TransportState(options: options)
        auth = AuthManager(credentials: credentials)
    }

    func shutdown() async throws { try await state.shutdown() }

    /// `scheme://host[:port]` for a registry endpoint: HTTPS, or for hosts allowed to be insecure whichever of
    /// HTTPS / HTTP answers (HTTPS tried first, as dockerd does); decided once per host.
    func baseURL(for hostPort: String) async throws -> String {
        if let scheme = await state.scheme(for: hostPort) { return scheme + "://" + hostPort }
        guard security.allowsInsecure(hostPort) else {
            await state.setScheme("https", for: hostPort)
            return "https://" + hostPort
        }
        // Both schemes are asked at once and the first that answers like a registry wins: a TLS hello sent to a
        // plain-HTTP server can sit unanswered until a timeout, and a plain request to a TLS server fails fast.
        let outcome: (scheme: String, failure: (any Error)?) = await withTaskGroup(of: ProbeResult.self) { group in
            for candidate in ["https", "http"] {
                group.addTask {
                    let probe = RegistryRequest(method: .GET, url: "\(candidate)://\(hostPort)/v2/", registry: hostPort, maxAttempts: 1)
                    let response: HTTPClientResponse
                    do { response = try await self.execute(probe, url: probe.url, authorization: nil) } catch {
                        return ProbeResult(scheme: candidate, answered: false,
                                           failure: HTTPTransport.transportError(error, method: .GET, url: probe.url))
                    }
                    let answered = response.headers.first(name: "Docker-Distribution-Api-Version") != nil
                        || response.status == .ok || response.status == .unauthorized
                    if answered { await self.learnChallenges(from: response, hostPort: hostPort) }
                    await self.drain(response)
                    return ProbeResult(scheme: candidate, answered: answered, failure: nil)
                }
            }
            var plainFailure: (any Error)?
            var httpsFailed = false
            for await result in group {
                if result.answered {
                    group.cancelAll()
                    return (result.scheme, nil)
                }
                if result.scheme == "http" { plainFailure = result.failure } else { httpsFailed = result.failure != nil }
            }
            // Neither scheme could even connect: docker reports its last ping (plain HTTP) and stops there.
            return ("http", httpsFailed ? plainFailure : nil)
        }
        if let failure = outcome.failure { throw failure }
        await state.setScheme(outcome.scheme, for: hostPort)
        return outcome.scheme + "://" + hostPort
    }

    /// Sends `request`, returning the final response with its body unread. Error statuses are returned, not
    /// thrown, once retries and authentication are exhausted; connection failures throw ``RegistryError/transport``.
    func send(_ request: RegistryRequest) async throws -> HTTPClientResponse {
        let maxAttempts = request.body.isReplayable ? (request.maxAttempts ?? retry.maxAttempts) : 1
        var url = request.url
        let originHost = HTTPTransport.hostPort(of: request.url)
        var attempt = 0
        var authenticated = false
        var redirects = 0
        var method = request.method
        while true {
            attempt += 1
            let currentHost = HTTPTransport.hostPort(of: url)
            let sameHost = currentHost == originHost
            let authorization: String?
            do {
                authorization = sameHost && request.authenticate
                    ? try await auth.authorization(hostPort: originHost, request: request, transport: self) : nil
            } catch {
                throw HTTPTransport.roundTripError(error, method: method, url: url)
            }
            var current = request
            current.method = method
            if !sameHost {
                current.headers.remove(name: "Authorization")
                // A body cannot be stripped of its secret like a header: such a redirect is not followed.
                if request.bodyHoldsCredentials {
                    throw RegistryError.credentialsRefused(CredentialRefusal(
                        url: url, destination: .redirect, reason: .otherHost(origin: originHost)))
                }
            }
            // The one gate before anything secret leaves: whatever the URL came from (an endpoint, a token realm,
            // a Location or Link header), credentials go over plain HTTP only where plain HTTP is allowed.
            if authorization != nil || current.headers.contains(name: "Authorization") || request.bodyHoldsCredentials {
                let destination: CredentialRefusal.Destination = redirects > 0 ? .redirect
                    : request.authenticate ? .registry : .tokenRealm
                if let refusal = security.credentialRefusal(to: url, destination: destination) {
                    throw RegistryError.credentialsRefused(refusal)
                }
            }
            let response: HTTPClientResponse
            do {
                response = try await execute(current, url: url, authorization: authorization)
            } catch {
                if attempt < maxAttempts, RetryPolicy.isRetryable(error: error), retryBudget.spend() {
                    try await Task.sleep(for: retry.delay(afterAttempt: attempt))
                    continue
                }
                throw HTTPTransport.transportError(error, method: method, url: url)
            }
            let status = Int(response.status.code)
            if status == 401, sameHost, request.authenticate, !authenticated {
                let challenges = AuthChallenge.parse(response.headers["WWW-Authenticate"])
                let retryWithAuth: Bool
                do {
                    retryWithAuth = try await auth.learn(challenges, hostPort: originHost, request: request, sentAuthorization: authorization)
                } catch {
                    throw HTTPTransport.roundTripError(error, method: method, url: url)
                }
                if retryWithAuth {
                    authenticated = true
                    await drain(response)
                    attempt -= 1
                    continue
                }
            }
            if [301, 302, 303, 307, 308].contains(status), let location = response.headers.first(name: "Location"),
               redirects < 10, request.body.isReplayable {
                await drain(response)
                redirects += 1
                url = HTTPTransport.resolve(location, against: url)
                if status == 303 { method = .GET }
                attempt -= 1
                continue
            }
            if RetryPolicy.isRetryable(status: status), attempt < maxAttempts, retryBudget.spend() {
                let wait = retry.delay(afterAttempt: attempt, retryAfter: RetryPolicy.retryAfter(response.headers.first(name: "Retry-After")))
                await drain(response)
                try await Task.sleep(for: wait)
                continue
            }
            return response
        }
    }

    /// One exchange, no retries: headers, TLS, proxy, log lines.
    func execute(_ request: RegistryRequest, url: String, authorization: String?) async throws -> HTTPClientResponse {
        var outgoing = HTTPClientRequest(url: url)
        outgoing.method = request.method
        outgoing.headers = request.headers
        outgoing.headers.replaceOrAdd(name: "User-Agent", value: options.userAgent)
        if let authorization { outgoing.headers.replaceOrAdd(name: "Authorization", value: authorization) }
        let isHTTPS = url.hasPrefix("https://")
        let hostPort = HTTPTransport.hostPort(of: url)
        if isHTTPS { outgoing.tlsConfiguration = try await state.tlsConfiguration(for: hostPort, security: security) }
        switch request.body {
        case .none:
            break
        case .bytes(let data):
            outgoing.body = .bytes(ByteBuffer(bytes: data))
        case .stream(let length, let open):
            outgoing.body = .stream(try open(), length: .known(length))
        }
        let parsedHost = HostPort(hostPort)
        let proxyURL = proxies.proxyURL(scheme: isHTTPS ? "https" : "http", host: parsedHost.host,
                                        port: parsedHost.port ?? (isHTTPS ? 443 : 80))
        let client = try await state.client(proxy: proxyURL.flatMap(ProxySettings.ahcProxy))
        log("--> \(request.method.rawValue) \(Redaction.url(url)) \(Redaction.headers(outgoing.headers))")
        let deadline: NIODeadline = request.streaming ? .distantFuture : .now() + TimeAmount(options.requestTimeout)
        let response = try await client.execute(outgoing, deadline: deadline)
        log("<-- \(response.status.code) \(request.method.rawValue) \(Redaction.url(url)) \(Redaction.headers(response.headers))")
        return response
    }

    func log(_ line: @autoclosure () -> String) {
        options.log?(line())
    }

    private func learnChallenges(from response: HTTPClientResponse, hostPort: String) async {
        guard response.status == .unauthorized else { return }
        await auth.remember(AuthChallenge.parse(response.headers["WWW-Authenticate"]), hostPort: hostPort)
    }

    /// Reads and drops what is left of a body, so the connection can be reused (bounded).
    func drain(_ response: HTTPClientResponse) async {
        _ = try? await response.body.collect(upTo: 1 << 20)
    }

    /// The body as Data, failing beyond `limit` bytes, or when it is not complete within the request timeout (a
    /// body trickled a byte at a time never trips the idle timeout; this deadline does).
    func collect(_ response: HTTPClientResponse, limit: Int, url: String) async throws -> Data {
        let timeout = options.requestTimeout
        do {
            return try await withThrowingTaskGroup(of: Data?.self) { group in
                group.addTask { Data(try await response.body.collect(upTo: limit).readableBytesView) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let data = first else {
                    throw RegistryError.transport(method: "Get", url: Redaction.url(url),
                                                  reason: "the response body stalled: not complete after \(timeout)")
                }
                return data
            }
        } catch is NIOTooManyBytesError {
            throw RegistryError.tooLarge(url: url, limit: limit)
        } catch {
            throw HTTPTransport.transportError(error, method: .GET, url: url)
        }
    }

    /// A failure while a body streams: an idle timeout there is a stalled body, not a wait for headers.
    static func bodyError(_ error: any Error, url: String, idle: Duration) -> any Error {
        if let e = error as? HTTPClientError, e == .readTimeout || e == .deadlineExceeded {
            return RegistryError.transport(method: "Get", url: Redaction.url(url), reason: "the response body stalled: no data for \(idle)")
        }
        return transportError(error, method: .GET, url: url)
    }

    /// The ``RegistryError`` an error response stands for (body read up to 64 KiB).
    func error(for response: HTTPClientResponse, url: String) async -> RegistryError {
        let body = (try? await collect(response, limit: 64 << 10, url: url)) ?? Data()
        return ErrorResponse.map(status: Int(response.status.code), reason: response.status.reasonPhrase, body: body,
                                 challenges: AuthChallenge.parse(response.headers["WWW-Authenticate"]))
    }

    /// docker's auth runs inside the HTTP round trip, so its failures (no credentials, a refused token
    /// request) read like Go's url.Error: `Method "URL": cause`.
    static func roundTripError(_ error: any Error, method: HTTPMethod, url: String) -> any Error {
        if error is CancellationError { return error }
        if case RegistryError.authorization = error { return error }
        if case RegistryError.credentialsRefused = error { return error }
        return RegistryError.authorization(method: goMethod(method), url: url, cause: String(describing: error))
    }

    /// `Get`, `Head`, … as Go's net/http spells methods in url.Error.
    static func goMethod(_ method: HTTPMethod) -> String {
        String(method.rawValue.prefix(1) + method.rawValue.dropFirst().lowercased())
    }

    static func transportError(_ error: any Error, method: HTTPMethod, url: String) -> any Error {
        if error is RegistryError || error is CancellationError || error is UploadRestartRequired { return error }
        return RegistryError.transport(method: goMethod(method), url: url, reason: describe(error, hostPort: hostPort(of: url)))
    }

    static func describe(_ error: any Error, hostPort: String? = nil) -> String {
        if let e = error as? HTTPClientError {
            switch e {
            case .connectTimeout: return "dial tcp: i/o timeout"
            case .readTimeout, .deadlineExceeded: return "net/http: request canceled (Client.Timeout exceeded while awaiting headers)"
            case .remoteConnectionClosed: return "EOF"
            case .tlsHandshakeTimeout: return "net/http: TLS handshake timeout"
            default: return String(describing: e)
            }
        }
        let text = String(describing: error)
        // TLS spoken to a plain-HTTP server: BoringSSL sees no TLS record; Go's net/http words it for the user.
        if text.contains("WRONG_VERSION_NUMBER") || text.contains("HTTP_REQUEST") {
            return "http: server gave HTTP response to HTTPS client"
        }
        if isConnectionRefused(error) {
            // Go's net.OpError wording: the dial, the address, then the syscall error.
            return (hostPort.map { "dial tcp \($0): " } ?? "") + "connect: connection refused"
        }
        return text
    }

    /// Nothing listens there: worth reporting at once, not retrying (docker's ping does not retry either).
    static func isConnectionRefused(_ error: any Error) -> Bool {
        let text = String(describing: error)
        return text.contains("connectionRefused") || text.contains("Connection refused") || text.contains("ECONNREFUSED")
    }

    /// `host[:port]` of an absolute URL.
    static func hostPort(of url: String) -> String {
        var rest = Substring(url)
        if let range = rest.range(of: "://") { rest = rest[range.upperBound...] }
        if let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { rest = rest[..<end] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        return String(rest)
    }

    /// Resolves a `Location` / `Link` target against the URL it came from.
    static func resolve(_ reference: String, against base: String) -> String {
        if reference.contains("://") { return reference }
        let schemeEnd = base.range(of: "://")!.upperBound
        let authorityEnd = base[schemeEnd...].firstIndex(where: { $0 == "/" || $0 == "?" }) ?? base.endIndex
        if reference.hasPrefix("//") { return String(base[..<base.index(schemeEnd, offsetBy: -2)]) + reference }
        if reference.hasPrefix("/") { return String(base[..<authorityEnd]) + reference }
        let path = base[..<(base.firstIndex(of: "?") ?? base.endIndex)]
        let directory = path[..<(path.lastIndex(of: "/").map { $0 > authorityEnd ? $0 : authorityEnd } ?? path.endIndex)]
        return directory + "/" + reference
    }
}

/// One scheme probe's answer.
private struct ProbeResult: Sendable {
    var scheme: String
    var answered: Bool
    var failure: (any Error)?
}

/// Mutable per-client state: HTTPClients per proxy, per-host scheme and TLS choices.
actor TransportState {
    let options: RegistryClientOptions
    private var clients: [HTTPClient.Configuration.Proxy?: HTTPClient] = [:]
    private var schemes: [String: String] = [:]
    private var tls: [String: TLSConfiguration] = [:]
    private var isShutDown = false

    init(options: RegistryClientOptions) { self.options = options }

    func scheme(for hostPort: String) -> String? { schemes[hostPort] }
    func setScheme(_ scheme: String, for hostPort: String) { schemes[hostPort] = scheme }

    func tlsConfiguration(for hostPort: String, security: TransportSecurity) throws -> TLSConfiguration {
        if let cached = tls[hostPort] { return cached }
        let made = try security.tlsConfiguration(for: hostPort)
        tls[hostPort] = made
        return made
    }

    func client(proxy: HTTPClient.Configuration.Proxy?) throws -> HTTPClient {
        if let existing = clients[proxy] { return existing }
        guard !isShutDown else { throw RegistryError.invalidResponse("registry client used after shutdown") }
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: TimeAmount(options.connectTimeout), read: TimeAmount(options.requestTimeout),
                           write: TimeAmount(options.requestTimeout)),
            proxy: proxy)
        configuration.httpVersion = .automatic
        // AHC would otherwise keep re-dialling a refused connection until the request deadline (minutes);
        // connection failures are retried, or not, by RetryPolicy.
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        clients[proxy] = client
        return client
    }

    func shutdown() async throws {
        isShutDown = true
        let all = Array(clients.values)
        clients = [:]
        for client in all { try await client.shutdown() }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
