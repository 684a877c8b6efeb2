import Foundation
import OCI

/// A signature policy in containers-policy.json(5) form, for the `docker` transport: requirements by scope (an image
/// reference, a repository, a namespace, a registry host or a `*.domain` wildcard), else the transport's `""` entry,
/// else `default`. Every requirement of the scope chosen must be met.
public struct TrustPolicy: Sendable {
    public enum Requirement: Sendable, Hashable {
        case insecureAcceptAnything
        case reject
        /// Some signature, by one of `keys`, over the image's manifest digest, whose claimed identity satisfies `identity`.
        case sigstoreSigned(keys: [VerificationKey], identity: IdentityRule)
        /// A requirement this implementation cannot check (GPG `signedBy`, Fulcio certificates): it refuses.
        case unsupported(String)
    }

    /// How a signature's `docker-reference` must relate to the reference being used.
    public enum IdentityRule: Sendable, Hashable {
        case matchExact
        case matchRepoDigestOrExact
        case matchRepository
        case exactReference(String)
        case exactRepository(String)
        case remapIdentity(prefix: String, signedPrefix: String)
    }

    public var defaultRequirements: [Requirement]
    public var dockerScopes: [String: [Requirement]]

    public init(defaultRequirements: [Requirement], dockerScopes: [String: [Requirement]] = [:]) {
        self.defaultRequirements = defaultRequirements
        self.dockerScopes = dockerScopes
    }

    /// Parses a policy file; relative `keyPath`s are resolved against `directory` (the file's own).
    public init(data: Data, directory: String) throws(TrustError) {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TrustError(.invalidArgument, "invalid signature policy: not a JSON object")
        }
        guard let defaults = object["default"] as? [Any] else {
            throw TrustError(.invalidArgument, "invalid signature policy: \"default\" is missing")
        }
        defaultRequirements = try Self.requirements(defaults, scope: "default", directory: directory)
        dockerScopes = [:]
        if let transports = object["transports"] as? [String: Any], let docker = transports["docker"] {
            guard let scopes = docker as? [String: Any] else {
                throw TrustError(.invalidArgument, "invalid signature policy: transports.docker is not an object")
            }
            for (scope, value) in scopes {
                guard let list = value as? [Any] else {
                    throw TrustError(.invalidArgument, "invalid signature policy: scope \"\(scope)\" is not a list of requirements")
                }
                dockerScopes[scope] = try Self.requirements(list, scope: scope, directory: directory)
            }
        }
    }

    /// The scope that applies to `reference` and its requirements.
    public func requirements(for reference: ImageReference) -> (scope: String, requirements: [Requirement]) {
        for scope in Self.candidateScopes(for: reference) {
            if let found = dockerScopes[scope] { return (scope, found) }
        }
        return ("default", defaultRequirements)
    }

    /// Most specific first: the reference itself, the repository, each enclosing namespace, the host, wildcards of
    /// the host's domains, then the transport default `""`.
    static func candidateScopes(for reference: ImageReference) -> [String] {
        var scopes: [String] = []
        if reference.tag != nil || reference.digest != nil { scopes.append(reference.description) }
        var name = reference.name
        while true {
            scopes.append(name)
            guard let slash = name.lastIndex(of: "/") else { break }
            name = String(name[..<slash])
        }
        let host = reference.domain.split(separator: ":").first.map(String.init) ?? reference.domain
        var labels = host.split(separator: ".").map(String.init)
        while labels.count > 1 {
            labels.removeFirst()
            scopes.append("*." + labels.joined(separator: "."))
        }
        scopes.append("")
        return scopes
    }

    static func requirements(_ list: [Any], scope: String, directory: String) throws(TrustError) -> [Requirement] {
        guard !list.isEmpty else {
            throw TrustError(.invalidArgument, "invalid signature policy: scope \"\(scope)\" has no requirements")
        }
        var result: [Requirement] = []
        for item in list {
            guard let fields = item as? [String: Any], let type = fields["type"] as? String else {
                throw TrustError(.invalidArgument, "invalid signature policy: a requirement of \"\(scope)\" has no type")
            }
            switch type {
            case "insecureAcceptAnything": result.append(.insecureAcceptAnything)
            case "reject": result.append(.reject)
            case "signedBy": result.append(.unsupported("signedBy (GPG signatures) is not supported; use sigstoreSigned"))
            case "sigstoreSigned":
                if fields["fulcio"] != nil || fields["rekorPublicKeyPath"] != nil || fields["rekorPublicKeyData"] != nil {
                    result.append(.unsupported("sigstoreSigned with Fulcio or Rekor is not supported; give keyPath or keyData"))
                    continue
                }
                let keys = try Self.keys(fields, scope: scope, directory: directory)
                let identity = try Self.identity(fields["signedIdentity"], scope: scope)
                result.append(.sigstoreSigned(keys: keys, identity: identity))
            default:
                throw TrustError(.invalidArgument, "invalid signature policy: unknown requirement type \"\(type)\" in \"\(scope)\"")
            }
        }
        return result
    }

    private static func keys(_ fields: [String: Any], scope: String, directory: String) throws(TrustError) -> [VerificationKey] {
        var pems: [String] = []
        var given = 0
        func read(_ path: String) throws(TrustError) -> String {
            let full = path.hasPrefix("/") ? path : directory + "/" + path
            guard let data = FileManager.default.contents(atPath: full) else {
                throw TrustError(.invalidArgument, "signature policy scope \"\(scope)\": cannot read key file \(full)")
            }
            return String(decoding: data, as: UTF8.self)
        }
        func decode(_ base64: String) throws(TrustError) -> String {
            guard let data = Data(base64Encoded: base64) else {
                throw TrustError(.invalidArgument, "signature policy scope \"\(scope)\": keyData is not base64")
            }
            return String(decoding: data, as: UTF8.self)
        }
        if let path = fields["keyPath"] as? String { given += 1; pems.append(try read(path)) }
        if let paths = fields["keyPaths"] as? [String] { given += 1; for path in paths { pems.append(try read(path)) } }
        if let data = fields["keyData"] as? String { given += 1; pems.append(try decode(data)) }
        if let datas = fields["keyDatas"] as? [String] { given += 1; for data in datas { pems.append(try decode(data)) } }
        guard given == 1, !pems.isEmpty else {
            throw TrustError(.invalidArgument,
                             "signature policy scope \"\(scope)\": sigstoreSigned needs exactly one of keyPath, keyPaths, keyData, keyDatas")
        }
        var keys: [VerificationKey] = []
        for pem in pems {
            do { keys.append(try VerificationKey(pem: pem)) } catch {
                throw TrustError(.invalidArgument, "signature policy scope \"\(scope)\": \(error.description)")
            }
        }
        return keys
    }

    private static func identity(_ value: Any?, scope: String) throws(TrustError) -> IdentityRule {
        guard let value else { return .matchRepoDigestOrExact }
        guard let fields = value as? [String: Any], let type = fields["type"] as? String else {
            throw TrustError(.invalidArgument, "signature policy scope \"\(scope)\": signedIdentity has no type")
        }
        switch type {
        case "matchExact": return .matchExact
        case "matchRepoDigestOrExact": return .matchRepoDigestOrExact
        case "matchRepository": return .matchRepository
        case "exactReference":
            guard let reference = fields["dockerReference"] as? String else { break }
            return .exactReference(reference)
        case "exactRepository":
            guard let repository = fields["dockerRepository"] as? String else { break }
            return .exactRepository(repository)
        case "remapIdentity":
            guard let prefix = fields["prefix"] as? String, let signedPrefix = fields["signedPrefix"] as? String else { break }
            return .remapIdentity(prefix: prefix, signedPrefix: signedPrefix)
        default:
            throw TrustError(.invalidArgument, "signature policy scope \"\(scope)\": unknown signedIdentity type \"\(type)\"")
        }
        throw TrustError(.invalidArgument, "signature policy scope \"\(scope)\": signedIdentity \(type) is missing its fields")
    }
}

extension TrustPolicy.IdentityRule {
    /// Whether a signature claiming `signed` (its `docker-reference`) may stand for `reference`.
    public func accepts(signed: String, for reference: ImageReference) -> Bool {
        guard let claimed = try? ImageReference(signed) else { return false }
        switch self {
        case .matchExact:
            return claimed == reference
        case .matchRepoDigestOrExact:
            return reference.digest != nil ? claimed.name == reference.name : claimed == reference
        case .matchRepository:
            return claimed.name == reference.name
        case .exactReference(let text):
            guard let wanted = try? ImageReference(text) else { return false }
            return claimed == wanted
        case .exactRepository(let text):
            guard let wanted = try? ImageReference(text) else { return false }
            return claimed.name == wanted.name
        case .remapIdentity(let prefix, let signedPrefix):
            let name = reference.description
            var remapped = reference
            if name == prefix || name.hasPrefix(prefix + "/") || name.hasPrefix(prefix + ":") || name.hasPrefix(prefix + "@"),
               let mapped = try? ImageReference(signedPrefix + name.dropFirst(prefix.count)) {
                remapped = mapped
            }
            return TrustPolicy.IdentityRule.matchRepoDigestOrExact.accepts(signed: signed, for: remapped)
        }
    }
}
