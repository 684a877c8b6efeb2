/// Why credentials (Basic auth, a refresh/identity token, a bearer token) were held back from a URL.
///
/// The rule, applied by ``TransportSecurity/credentialRefusal(to:destination:anonymous:)``: credentials go over
/// HTTPS to any host, and over anything else only to a host ``TransportSecurity/allowsInsecure(_:)`` accepts
/// (`localhost`, loopback IPs, the configured insecure registries), the rule that already decides whether a
/// registry may be spoken to over plain HTTP at all. It holds for the registry, a token realm and a redirect
/// target alike; besides, credentials never follow a redirect to another host (see ``HTTPTransport/send(_:)``).
public struct CredentialRefusal: Sendable, Equatable, CustomStringConvertible {
    /// What the refused URL was to the request.
    public enum Destination: String, Sendable {
        case registry
        case tokenRealm = "token realm"
        case redirect = "redirect target"
    }

    public enum Reason: Sendable, Equatable {
        /// Not HTTPS, and the host is neither loopback nor an insecure registry.
        case plainHTTP
        /// A redirect would carry credentials in its body to another host than `origin` (`host[:port]`).
        case otherHost(origin: String)
    }

    public var url: String
    public var destination: Destination
    public var reason: Reason
    /// A token request without credentials, refused all the same (see `TokenFetcher.fetch`).
    public var anonymous: Bool

    public init(url: String, destination: Destination, reason: Reason, anonymous: Bool = false) {
        self.url = url
        self.destination = destination
        self.reason = reason
        self.anonymous = anonymous
    }

    /// One line, e.g. `refusing to send credentials to http://other-host/token: token realm uses plain HTTP and
    /// other-host is not an insecure registry`. The URL is printed without user info or secret-looking query
    /// values, so the line never holds a credential.
    public var description: String {
        let action = anonymous ? "refusing to request a token from" : "refusing to send credentials to"
        let target = Redaction.url(url)
        switch reason {
        case .plainHTTP:
            let scheme = url.range(of: "://").map { url[..<$0.lowerBound].lowercased() }
            let transport = scheme == "http" ? "uses plain HTTP" : "does not use HTTPS"
            return "\(action) \(target): \(destination.rawValue) \(transport) and "
                + "\(HTTPTransport.hostPort(of: url)) is not an insecure registry"
        case .otherHost(let origin):
            return "\(action) \(target): \(destination.rawValue) is on another host than \(origin)"
        }
    }
}

extension TransportSecurity {
    /// Whether credentials may travel to `url`: HTTPS to any host; otherwise only where plain HTTP is allowed.
    func allowsCredentials(to url: String) -> Bool {
        url.lowercased().hasPrefix("https://") || allowsInsecure(HTTPTransport.hostPort(of: url))
    }

    /// Why credentials may not go to `url`, or nil when they may (pure: no I/O, no resolving of names).
    func credentialRefusal(to url: String, destination: CredentialRefusal.Destination,
                           anonymous: Bool = false) -> CredentialRefusal? {
        allowsCredentials(to: url) ? nil
            : CredentialRefusal(url: url, destination: destination, reason: .plainHTTP, anonymous: anonymous)
    }
}
