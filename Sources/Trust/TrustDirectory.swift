import Foundation
import Registry

/// Where Strata keeps signing keys: `<config>/trust/private/NAME.key` (encrypted, mode 0600) and the public half of
/// every key it knows by name, `<config>/trust/public/NAME.pub` (made by `key generate`, `key load` and `signer add`),
/// which `trust inspect` uses to name signers.
public struct TrustDirectory: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// `$XDG_CONFIG_HOME/strata/trust`, else `~/.config/strata/trust`.
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) throws(TrustError) -> TrustDirectory {
        guard let config = RegistrySettings.userConfigDirectory(environment: environment) else {
            throw TrustError(.invalidArgument, "no configuration directory: set HOME or XDG_CONFIG_HOME")
        }
        return TrustDirectory(path: config + "/trust")
    }

    public var privateDirectory: String { path + "/private" }
    public var publicDirectory: String { path + "/public" }
    public func privateKeyPath(_ name: String) -> String { privateDirectory + "/" + name + ".key" }
    public func publicKeyPath(_ name: String) -> String { publicDirectory + "/" + name + ".pub" }

    /// docker's rule for key and signer names.
    public static func validate(name: String) throws(TrustError) {
        let bytes = Array(name.utf8)
        func allowed(_ byte: UInt8, first: Bool) -> Bool {
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || (!first && (byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")))
        }
        guard let first = bytes.first, allowed(first, first: true), bytes.dropFirst().allSatisfy({ allowed($0, first: false) }),
              bytes.count <= 64 else {
            throw TrustError(.invalidArgument,
                             "key name \"\(name)\" must start with lowercase alphanumeric characters and can include \"-\" or \"_\" after the first character")
        }
    }

    /// Stores an encrypted private key and its public half. An existing key of that name is kept and reported.
    public func storeKeyPair(name: String, encryptedPEM: String, publicKey: VerificationKey) throws(TrustError) {
        try Self.validate(name: name)
        guard !FileManager.default.fileExists(atPath: privateKeyPath(name)) else {
            throw TrustError(.conflict, "private key for \(name) already exists in \(privateDirectory)")
        }
        try write(Data(encryptedPEM.utf8), to: privateKeyPath(name), in: privateDirectory)
        try storePublicKey(name: name, publicKey)
    }

    public func storePublicKey(name: String, _ key: VerificationKey) throws(TrustError) {
        try Self.validate(name: name)
        try write(Data(key.pem.utf8), to: publicKeyPath(name), in: publicDirectory, mode: 0o644)
    }

    private func write(_ data: Data, to file: String, in directory: String, mode: mode_t = 0o600) throws(TrustError) {
        do {
            try PrivateFile.makeDirectory(path)
            try PrivateFile.makeDirectory(directory)
            try PrivateFile.write(data, to: file, mode: mode)
        } catch {
            throw TrustError(.internal, "cannot write \(error.description)")
        }
    }

    /// The encrypted PEM of a private key.
    public func privateKeyPEM(_ name: String) throws(TrustError) -> String {
        try Self.validate(name: name)
        guard let data = FileManager.default.contents(atPath: privateKeyPath(name)) else {
            throw TrustError(.notFound, "no private key named \(name) in \(privateDirectory)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The names of the private keys held, sorted.
    public func privateKeyNames() -> [String] {
        names(in: privateDirectory, suffix: ".key")
    }

    /// Every public key known by name (a damaged file is skipped).
    public func namedPublicKeys() -> [(name: String, key: VerificationKey)] {
        names(in: publicDirectory, suffix: ".pub").compactMap { name in
            guard let data = FileManager.default.contents(atPath: publicKeyPath(name)),
                  let key = try? VerificationKey(pem: String(decoding: data, as: UTF8.self)) else { return nil }
            return (name, key)
        }
    }

    private func names(in directory: String, suffix: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return entries.filter { $0.hasSuffix(suffix) && !$0.hasPrefix(".") }.map { String($0.dropLast(suffix.count)) }.sorted()
    }
}
