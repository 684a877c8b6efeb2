#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits `host[:port]` (IPv6 literals in brackets) and parses IP literals and CIDRs, the pieces
/// NO_PROXY and insecure-registry matching need.
struct HostPort: Hashable, Sendable {
    var host: String
    var port: Int?

    init(host: String, port: Int?) {
        self.host = host
        self.port = port
    }

    /// `example.com:5000`, `[::1]:5000`, `::1`, `localhost`.
    init(_ string: String) {
        if string.hasPrefix("["), let close = string.firstIndex(of: "]") {
            host = String(string[string.index(after: string.startIndex)..<close])
            let rest = string[string.index(after: close)...]
            port = rest.hasPrefix(":") ? Int(rest.dropFirst()) : nil
        } else if let colon = string.lastIndex(of: ":"), string.firstIndex(of: ":") == colon {
            host = String(string[..<colon])
            port = Int(string[string.index(after: colon)...])
        } else {
            host = string
            port = nil
        }
        host = host.lowercased()
    }

    /// The form used in URLs: IPv6 hosts bracketed, port only when given.
    var urlAuthority: String {
        let h = host.contains(":") ? "[" + host + "]" : host
        return port.map { h + ":" + String($0) } ?? h
    }
}

/// An IPv4 or IPv6 address as raw bytes (4 or 16).
struct IPAddress: Hashable, Sendable {
    var bytes: [UInt8]

    init?(_ string: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, string, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, string, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
            return
        }
        return nil
    }

    var isLoopback: Bool {
        if bytes.count == 4 { return bytes[0] == 127 }
        return bytes == [UInt8](repeating: 0, count: 15) + [1]
    }
}

/// `10.0.0.0/8`, `fd00::/8`.
struct IPNetwork: Hashable, Sendable {
    var address: IPAddress
    var prefixLength: Int

    init?(_ string: String) {
        guard let slash = string.firstIndex(of: "/"),
              let address = IPAddress(String(string[..<slash])),
              let length = Int(string[string.index(after: slash)...]),
              length >= 0, length <= address.bytes.count * 8 else { return nil }
        self.address = address
        self.prefixLength = length
    }

    func contains(_ ip: IPAddress) -> Bool {
        guard ip.bytes.count == address.bytes.count else { return false }
        var remaining = prefixLength
        for (a, b) in zip(address.bytes, ip.bytes) where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - bits))
            if a & mask != b & mask { return false }
            remaining -= bits
        }
        return true
    }
}
