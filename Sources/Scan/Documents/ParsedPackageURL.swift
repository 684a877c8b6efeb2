/// A Package URL split into its parts (hand-written from the purl specification,
/// https://github.com/package-url/purl-spec): `pkg:type/namespace/name@version?qualifiers#subpath`.
public struct ParsedPackageURL: Sendable, Hashable {
    public var type: String
    public var namespace: String?
    public var name: String
    public var version: String?
    public var qualifiers: [String: String]
    public var subpath: String?

    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public let input: String
        public let reason: String
        public var description: String { "invalid package URL \"\(input.prefix(200))\": \(reason)" }
    }

    public init(_ string: String) throws(ParseError) {
        func fail(_ reason: String) -> ParseError { ParseError(input: string, reason: reason) }
        guard string.count <= 8192 else { throw fail("too long") }
        guard string.lowercased().hasPrefix("pkg:") else { throw fail("no pkg: scheme") }
        var rest = Substring(string.dropFirst(4))
        while rest.hasPrefix("/") { rest = rest.dropFirst() }
        if let hash = rest.lastIndex(of: "#") {
            let path = rest[rest.index(after: hash)...].split(separator: "/").filter { $0 != "." && $0 != ".." }
            subpath = path.isEmpty ? nil : path.map { Self.percentDecode($0) }.joined(separator: "/")
            rest = rest[..<hash]
        } else {
            subpath = nil
        }
        var qualifiers: [String: String] = [:]
        if let question = rest.lastIndex(of: "?") {
            for pair in rest[rest.index(after: question)...].split(separator: "&") {
                guard let equals = pair.firstIndex(of: "=") else { continue }
                let value = Self.percentDecode(pair[pair.index(after: equals)...])
                if !value.isEmpty { qualifiers[pair[..<equals].lowercased()] = value }
            }
            rest = rest[..<question]
        }
        self.qualifiers = qualifiers
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let slash = rest.firstIndex(of: "/") else { throw fail("no name") }
        type = rest[..<slash].lowercased()
        guard !type.isEmpty else { throw fail("no type") }
        rest = rest[rest.index(after: slash)...]
        if let at = rest.lastIndex(of: "@") {
            let version = Self.percentDecode(rest[rest.index(after: at)...])
            self.version = version.isEmpty ? nil : version
            rest = rest[..<at]
        } else {
            version = nil
        }
        let segments = rest.split(separator: "/").map { Self.percentDecode($0) }
        guard let last = segments.last, !last.isEmpty else { throw fail("no name") }
        name = last
        namespace = segments.count > 1 ? segments.dropLast().joined(separator: "/") : nil
    }

    /// The distribution named by the `distro` qualifier (`debian-12`, `alpine-3.18`, `ubuntu-22.04`), or by the
    /// namespace with no version when only that is known.
    public var distribution: OSIdentity? {
        if let distro = qualifiers["distro"], !distro.isEmpty {
            if let dash = distro.firstIndex(of: "-") {
                let id = String(distro[..<dash]).lowercased()
                let version = String(distro[distro.index(after: dash)...])
                return OSIdentity(id: id.isEmpty ? (namespace ?? "unknown") : id, versionID: version.isEmpty ? nil : version)
            }
            if distro.first?.isNumber == true, let namespace { return OSIdentity(id: namespace.lowercased(), versionID: distro) }
            return OSIdentity(id: distro.lowercased(), versionID: nil)
        }
        return nil
    }

    /// Percent-encodes everything but the purl's unreserved characters (`:` is kept, as the spec asks).
    public static func percentEncode(_ string: String, keepingSlashes: Bool = false) -> String {
        var out = ""
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: ":"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepingSlashes:
                out.append("/")
            default:
                out += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
            }
        }
        return out
    }

    static func percentDecode(_ text: Substring) -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
               let high = hexValue(utf8[utf8.startIndex]), let low = hexValue(utf8[utf8.startIndex + 1]) {
                bytes.append(high << 4 | low)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
