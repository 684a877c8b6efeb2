// Hand-written RFC 7235 challenge parser: no Swift library parses WWW-Authenticate.

/// One challenge of a `WWW-Authenticate` header: a scheme (lowercased) and its parameters
/// (names lowercased, quoted values unescaped).
public struct AuthChallenge: Hashable, Sendable {
    public var scheme: String
    public var parameters: [String: String]

    public init(scheme: String, parameters: [String: String] = [:]) {
        self.scheme = scheme.lowercased()
        self.parameters = parameters
    }

    public var realm: String? { parameters["realm"] }
    public var service: String? { parameters["service"] }
    /// The scopes a Bearer challenge names, split on spaces.
    public var scopes: [String] { (parameters["scope"] ?? "").split(separator: " ").map(String.init) }

    /// Every challenge in the given header values (a value may hold several, comma separated).
    public static func parse(_ headerValues: [String]) -> [AuthChallenge] {
        headerValues.flatMap { parse($0) }
    }

    /// Every challenge in one header value, e.g. `Bearer realm="https://a/token",service="r", Basic realm="x"`.
    public static func parse(_ header: String) -> [AuthChallenge] {
        var scanner = ChallengeScanner(Array(header.utf8))
        var challenges: [AuthChallenge] = []
        while true {
            scanner.skip { $0 == UInt8(ascii: ",") || ChallengeScanner.isSpace($0) }
            guard let scheme = scanner.token() else { break }
            var challenge = AuthChallenge(scheme: scheme)
            while let (name, value) = scanner.parameter() {
                challenge.parameters[name.lowercased()] = value
            }
            challenges.append(challenge)
            // Anything unparseable (a token68, stray bytes): skip to the next comma.
            if !scanner.atEnd, scanner.peek != UInt8(ascii: ",") { scanner.skip { $0 != UInt8(ascii: ",") } }
        }
        return challenges
    }
}

private struct ChallengeScanner {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index >= bytes.count }
    var peek: UInt8? { atEnd ? nil : bytes[index] }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }

    /// RFC 7230 tchar.
    static func isTokenChar(_ b: UInt8) -> Bool {
        if b >= 0x30 && b <= 0x39 || b >= 0x41 && b <= 0x5a || b >= 0x61 && b <= 0x7a { return true }
        return Array("!#$%&'*+-.^_`|~".utf8).contains(b)
    }

    mutating func skip(while predicate: (UInt8) -> Bool) {
        while let b = peek, predicate(b) { index += 1 }
    }

    mutating func token() -> String? {
        let start = index
        skip(while: ChallengeScanner.isTokenChar)
        return index > start ? String(decoding: bytes[start..<index], as: UTF8.self) : nil
    }

    /// `name=value` or `name="quoted"`, with the separating comma consumed. Restores the position and
    /// returns nil when the next item is not a parameter (it is the next challenge's scheme).
    mutating func parameter() -> (String, String)? {
        let saved = index
        skip { $0 == UInt8(ascii: ",") || ChallengeScanner.isSpace($0) }
        guard let name = token() else { index = saved; return nil }
        skip(while: ChallengeScanner.isSpace)
        guard peek == UInt8(ascii: "=") else { index = saved; return nil }
        index += 1
        skip(while: ChallengeScanner.isSpace)
        let value: String
        if peek == UInt8(ascii: "\"") {
            index += 1
            var out: [UInt8] = []
            while let b = peek, b != UInt8(ascii: "\"") {
                if b == UInt8(ascii: "\\"), index + 1 < bytes.count { index += 1 }
                out.append(bytes[index])
                index += 1
            }
            if !atEnd { index += 1 }
            value = String(decoding: out, as: UTF8.self)
        } else {
            // Lenient: unquoted values such as a bare realm URL run to the next comma or space.
            let start = index
            skip { $0 != UInt8(ascii: ",") && !ChallengeScanner.isSpace($0) }
            value = String(decoding: bytes[start..<index], as: UTF8.self)
        }
        skip(while: ChallengeScanner.isSpace)
        return (name, value)
    }
}
