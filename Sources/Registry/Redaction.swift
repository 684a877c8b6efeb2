import NIOHTTP1

/// Strips secrets from what the verbose log shows: credential headers and token-like query parameters.
enum Redaction {
    static let placeholder = "REDACTED"
    static let secretHeaders: Set<String> = ["authorization", "proxy-authorization", "cookie", "set-cookie", "x-registry-auth"]
    static let secretQueryKeys = ["token", "signature", "sig", "credential", "secret", "password", "key", "auth", "code"]

    static func headers(_ headers: HTTPHeaders) -> String {
        headers.map { name, value in
            if secretHeaders.contains(name.lowercased()) {
                // Keep the scheme so a reader can tell Basic from Bearer.
                let scheme = value.split(separator: " ").first.map { String($0) + " " } ?? ""
                return "\(name): \(scheme)\(placeholder)"
            }
            return "\(name): \(value)"
        }.joined(separator: ", ")
    }

    /// The URL with any user info and the query values whose key looks secret (token, signature, credential, ...)
    /// replaced.
    static func url(_ rawURL: String) -> String {
        let url = withoutUserInfo(rawURL)
        guard let q = url.firstIndex(of: "?") else { return url }
        let base = url[..<q]
        let query = url[url.index(after: q)...]
        let parts = query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = kv[0].lowercased()
            guard kv.count == 2, secretQueryKeys.contains(where: { key.contains($0) }) else { return String(pair) }
            return kv[0] + "=" + placeholder
        }
        return base + "?" + parts.joined(separator: "&")
    }

    /// `scheme://user:pass@host/...` with the user info replaced.
    private static func withoutUserInfo(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://")?.upperBound else { return url }
        let authorityEnd = url[schemeEnd...].firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? url.endIndex
        guard let at = url[schemeEnd..<authorityEnd].lastIndex(of: "@") else { return url }
        return String(url[..<schemeEnd]) + placeholder + url[at...]
    }
}
