import Foundation

/// One `auths` entry of config.json, decoded: `auth` is base64("user:password"); `identitytoken` an OAuth2
/// refresh token. Docker also accepts plain `username`/`password` fields when `auth` is absent.
public struct DockerAuthEntry: Sendable, Equatable {
    public var username: String
    public var password: String
    public var identityToken: String?

    public init(username: String, password: String, identityToken: String? = nil) {
        self.username = username
        self.password = password
        self.identityToken = identityToken
    }

    /// The login, or nil for an empty entry (what docker leaves in `auths` when a helper holds the secret).
    public var credentials: RegistryCredentials? {
        if username.isEmpty, password.isEmpty, identityToken?.isEmpty ?? true { return nil }
        return RegistryCredentials(username: username, secret: password, identityToken: identityToken)
    }
}

/// A parsed config.json. Only `auths`, `credsStore` and `credHelpers` are interpreted; everything else is
/// kept as written and comes back unchanged when the document is saved.
public struct DockerConfig: Sendable, Equatable {
    var document: OrderedJSON

    /// An empty configuration (what a missing or empty file means).
    public init() { document = .object([]) }

    init(document: OrderedJSON) { self.document = document }

    /// Parses config.json text; empty or whitespace-only text is an empty configuration, like docker.
    public init(data: Data) throws {
        guard data.contains(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) else { self.init(); return }
        let parsed: OrderedJSON
        do { parsed = try OrderedJSON.parse(data) } catch let error as OrderedJSONError {
            throw DockerConfigError.invalidJSON(error.description)
        }
        guard parsed.members != nil else { throw DockerConfigError.invalidJSON("the top-level value is not an object") }
        self.init(document: parsed)
    }

    /// Tab-indented JSON text with a trailing newline.
    public func serialized() -> Data { Data((document.serialized() + "\n").utf8) }

    /// The default credential helper (`credsStore`), if any.
    public var credsStore: String? {
        get { document["credsStore"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
        set { document.set("credsStore", newValue.map { .string($0) }) }
    }

    /// Per-registry credential helpers (`credHelpers`: key → helper name).
    public var credHelpers: [(key: String, helper: String)] {
        (document["credHelpers"]?.members ?? []).compactMap { m in m.value.stringValue.map { (m.key, $0) } }
    }

    /// Sets or (with nil) removes the helper for one `credHelpers` key.
    public mutating func setCredHelper(_ helper: String?, forKey key: String) {
        var helpers = document["credHelpers"] ?? .object([])
        if helpers.members == nil { helpers = .object([]) }
        helpers.set(key, helper.map { .string($0) })
        document.set("credHelpers", helpers)
    }

    /// The keys of `auths`, in file order.
    public var authKeys: [String] { (document["auths"]?.members ?? []).map(\.key) }

    /// The decoded entry stored under exactly `key`.
    public func authEntry(forKey key: String) throws -> DockerAuthEntry? {
        guard let raw = document["auths"]?[key] else { return nil }
        guard raw.members != nil else { return nil }
        var entry = DockerAuthEntry(username: raw["username"]?.stringValue ?? "",
                                    password: raw["password"]?.stringValue ?? "",
                                    identityToken: raw["identitytoken"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 })
        if let auth = raw["auth"]?.stringValue, !auth.isEmpty {
            guard let decoded = Data(base64Encoded: auth), let text = String(data: decoded, encoding: .utf8) else {
                throw DockerConfigError.invalidAuth(key)
            }
            guard let colon = text.firstIndex(of: ":") else { throw DockerConfigError.invalidAuth(key) }
            entry.username = String(text[..<colon])
            entry.password = String(text[text.index(after: colon)...]).trimmingCharacters(in: CharacterSet(charactersIn: "\0"))
        }
        return entry
    }

    /// Writes `entry` under `key` as docker does (`auth` = base64("user:password"), `identitytoken`), keeping
    /// any other fields of an existing entry (e.g. `email`). An entry with no login becomes `{}` plus those fields.
    public mutating func setAuthEntry(_ entry: DockerAuthEntry, forKey key: String) {
        var auths = document["auths"] ?? .object([])
        if auths.members == nil { auths = .object([]) }
        var value = auths[key] ?? .object([])
        if value.members == nil { value = .object([]) }
        for field in ["username", "password", "auth", "identitytoken", "registrytoken"] { value.set(field, nil) }
        if !entry.username.isEmpty || !entry.password.isEmpty {
            value.set("auth", .string(Data("\(entry.username):\(entry.password)".utf8).base64EncodedString()))
        }
        if let token = entry.identityToken, !token.isEmpty { value.set("identitytoken", .string(token)) }
        auths.set(key, value)
        document.set("auths", auths)
    }

    /// Removes the `auths` entry under exactly `key`; returns whether there was one.
    @discardableResult
    public mutating func removeAuthEntry(forKey key: String) -> Bool {
        guard var auths = document["auths"], auths[key] != nil else { return false }
        auths.set(key, nil)
        document.set("auths", auths)
        return true
    }
}

/// Problems reading or writing config.json. Messages never include a secret.
public enum DockerConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidJSON(String)
    case invalidAuth(String)
    case io(path: String, String)

    public var description: String {
        switch self {
        case let .invalidJSON(detail): "invalid JSON: \(detail)"
        case let .invalidAuth(key): "invalid auth configuration for \(key)"
        case let .io(path, detail): "\(path): \(detail)"
        }
    }
}
