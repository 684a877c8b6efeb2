import Foundation
import NIOSSL

/// Decides per registry host whether plain HTTP is allowed and which TLS material applies.
struct TransportSecurity: Sendable {
    var insecureRegistries: [String]
    var certsDirectory: String

    /// dockerd's built-in insecure network.
    static let defaultInsecureNetworks = [IPNetwork("127.0.0.0/8")!, IPNetwork("::1/128")!]

    /// Whether `hostPort` may use plain HTTP (and unverified HTTPS): `localhost`, loopback IPs on any port,
    /// or an `insecureRegistries` entry (`host:port`, a bare `host` for any port, or a CIDR holding an IP host).
    func allowsInsecure(_ hostPort: String) -> Bool {
        let parsed = HostPort(hostPort)
        if parsed.host == "localhost" { return true }
        let ip = IPAddress(parsed.host)
        if let ip, TransportSecurity.defaultInsecureNetworks.contains(where: { $0.contains(ip) }) { return true }
        for entry in insecureRegistries.map({ $0.lowercased() }) {
            var name = entry
            if let range = name.range(of: "://") { name = String(name[range.upperBound...]) }
            while name.hasSuffix("/") { name.removeLast() }
            if let network = IPNetwork(name) {
                if let ip, network.contains(ip) { return true }
                continue
            }
            let e = HostPort(name)
            if e.host == parsed.host, e.port == nil || e.port == parsed.port { return true }
        }
        return false
    }

    /// The files docker reads from `<certsDirectory>/<host[:port]>/`.
    struct CertificateFiles: Equatable, Sendable {
        var certificateAuthorities: [String] = []
        var clientPairs: [(certificate: String, key: String)] = []

        static func == (a: Self, b: Self) -> Bool {
            a.certificateAuthorities == b.certificateAuthorities
                && a.clientPairs.map(\.certificate) == b.clientPairs.map(\.certificate)
                && a.clientPairs.map(\.key) == b.clientPairs.map(\.key)
        }
    }

    /// Lists `*.crt` (CAs) and `*.cert` + `*.key` pairs for `hostPort`; docker's texts for an unmatched half.
    func certificateFiles(for hostPort: String) throws -> CertificateFiles {
        let directory = (certsDirectory as NSString).appendingPathComponent(hostPort)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return CertificateFiles() }
        var files = CertificateFiles()
        let set = Set(names)
        for name in names.sorted() {
            let path = (directory as NSString).appendingPathComponent(name)
            if name.hasSuffix(".crt") {
                files.certificateAuthorities.append(path)
            } else if name.hasSuffix(".cert") {
                let keyName = String(name.dropLast(5)) + ".key"
                guard set.contains(keyName) else {
                    throw RegistryError.certificates("missing key \(keyName) for client certificate \(name). CA certificates must use the extension .crt")
                }
                files.clientPairs.append((path, (directory as NSString).appendingPathComponent(keyName)))
            } else if name.hasSuffix(".key") {
                let certName = String(name.dropLast(4)) + ".cert"
                guard set.contains(certName) else {
                    throw RegistryError.certificates("missing client certificate \(certName) for key \(name)")
                }
            }
        }
        return files
    }

    /// TLS settings for `hostPort`: system roots plus certs.d CAs, the first client pair, and no
    /// verification for registries allowed to be insecure (docker's InsecureSkipVerify).
    func tlsConfiguration(for hostPort: String) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if allowsInsecure(hostPort) { tls.certificateVerification = .none }
        let files = try certificateFiles(for: hostPort)
        tls.additionalTrustRoots = files.certificateAuthorities.map { .file($0) }
        if let pair = files.clientPairs.first {
            do {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(pair.certificate).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: pair.key, format: .pem))
            } catch {
                throw RegistryError.certificates("could not load client certificate \(pair.certificate): \(error)")
            }
        }
        return tls
    }
}
