// NO_PROXY matching re-implemented after Go's x/net/http/httpproxy so strata routes hosts exactly as docker does.
import AsyncHTTPClient

/// Proxy choice from `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` (uppercase wins over lowercase, as in Go).
struct ProxySettings: Sendable, Equatable {
    var httpsProxy: String?
    var httpProxy: String?
    var noProxy: String

    init(environment: [String: String]) {
        func value(_ name: String) -> String? {
            let v = environment[name] ?? environment[name.lowercased()]
            return (v?.isEmpty ?? true) ? nil : v
        }
        httpsProxy = value("HTTPS_PROXY")
        httpProxy = value("HTTP_PROXY")
        noProxy = value("NO_PROXY") ?? ""
    }

    /// The proxy URL for a request, nil for a direct connection.
    func proxyURL(scheme: String, host: String, port: Int) -> String? {
        guard let proxy = scheme == "https" ? httpsProxy : httpProxy else { return nil }
        return bypassesProxy(host: host, port: port) ? nil : proxy
    }

    /// Whether `host:port` goes direct: loopback and `localhost` always, else per NO_PROXY entries
    /// (`*`, IPs, CIDRs, `domain` = itself and subdomains, `.domain` / `*.domain` = subdomains only, optional `:port`).
    func bypassesProxy(host rawHost: String, port: Int) -> Bool {
        let host = rawHost.lowercased()
        if host == "localhost" { return true }
        let ip = IPAddress(host)
        if let ip, ip.isLoopback { return true }
        for rawEntry in noProxy.split(separator: ",") {
            let entry = rawEntry.trimming(" \t").lowercased()
            if entry.isEmpty { continue }
            if entry == "*" { return true }
            if let network = IPNetwork(entry) {
                if let ip, network.contains(ip) { return true }
                continue
            }
            if let entryIP = IPAddress(entry) {
                if entryIP == ip { return true }
                continue
            }
            let parsed = HostPort(entry)
            if let entryIP = IPAddress(parsed.host) {
                if entryIP == ip, parsed.port == nil || parsed.port == port { return true }
                continue
            }
            var domain = parsed.host
            if domain.hasPrefix("*.") { domain.removeFirst() }
            let matchesExact = !domain.hasPrefix(".")
            if matchesExact { domain = "." + domain }
            if host.hasSuffix(domain) || (matchesExact && host == String(domain.dropFirst())) {
                if parsed.port == nil || parsed.port == port { return true }
            }
        }
        return false
    }

    /// AHC's proxy value for a proxy URL such as `http://user:pass@proxy:3128` or `proxy:3128`.
    static func ahcProxy(_ url: String) -> HTTPClient.Configuration.Proxy? {
        var rest = Substring(url)
        if let range = rest.range(of: "://") { rest = rest[range.upperBound...] }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        var authorization: HTTPClient.Authorization?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let parts = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            authorization = .basic(username: String(parts[0]).removingPercentEncodingOrSelf,
                                   password: parts.count > 1 ? String(parts[1]).removingPercentEncodingOrSelf : "")
        }
        let hostPort = HostPort(String(rest))
        guard !hostPort.host.isEmpty else { return nil }
        let defaultPort = url.hasPrefix("https://") ? 443 : 80
        return .server(host: hostPort.host, port: hostPort.port ?? defaultPort, authorization: authorization)
    }
}

extension String {
    func trimming(_ set: String) -> String {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s.removeFirst() }
        while let l = s.last, chars.contains(l) { s.removeLast() }
        return String(s)
    }

    var removingPercentEncodingOrSelf: String {
        var out: [UInt8] = []
        let bytes = Array(utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count,
               let v = UInt8(String(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) {
                out.append(v)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Percent-encodes everything outside RFC 3986 unreserved characters (for query values).
    var queryEscaped: String {
        var out = ""
        for byte in utf8 {
            let c = Character(UnicodeScalar(byte))
            if (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || "-._~".contains(c) {
                out.append(c)
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(2)
            }
        }
        return out
    }

    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
