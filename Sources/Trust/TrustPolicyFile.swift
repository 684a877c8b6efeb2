import Foundation
import OCI
import Registry

/// The policy file in effect (`--signature-policy`, else `~/.config/strata/policy.json`, else
/// `/etc/strata/policy.json`), and the edits `trust signer add|remove` make to it: a repository's trusted keys are
/// the `keyDatas` of one `sigstoreSigned` requirement in its scope, so any one signer's signature suffices.
public struct TrustPolicyFile: Sendable {
    public let path: String
    public static let systemPath = "/etc/strata/policy.json"
    /// Used when no file exists: accept anything, as containers/image's shipped default does.
    public static let permissive = TrustPolicy(defaultRequirements: [.insecureAcceptAnything])

    public init(path: String) { self.path = path }

    /// The explicit path, else the user's file if it exists, else the system's if it exists, else the user's (to
    /// be created by an edit).
    public static func locate(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> TrustPolicyFile {
        if let explicit, !explicit.isEmpty { return TrustPolicyFile(path: explicit) }
        let user = RegistrySettings.userConfigDirectory(environment: environment).map { $0 + "/policy.json" }
        if let user, FileManager.default.fileExists(atPath: user) { return TrustPolicyFile(path: user) }
        if FileManager.default.fileExists(atPath: systemPath) { return TrustPolicyFile(path: systemPath) }
        return TrustPolicyFile(path: user ?? systemPath)
    }

    public var exists: Bool { FileManager.default.fileExists(atPath: path) }

    /// The policy; a missing file is the permissive default unless `required` (an explicit path).
    public func load(required: Bool = false) throws(TrustError) -> TrustPolicy {
        guard let data = FileManager.default.contents(atPath: path) else {
            if required || exists { throw TrustError(.invalidArgument, "cannot read signature policy \(path)") }
            return Self.permissive
        }
        do { return try TrustPolicy(data: data, directory: (path as NSString).deletingLastPathComponent) } catch {
            throw TrustError(error.kind, "\(path): \(error.description)")
        }
    }

    /// Adds `key` to the keys trusted for `repository`. Returns false when it was already there.
    @discardableResult
    public func addSigner(_ key: VerificationKey, repository: ImageReference) throws(TrustError) -> Bool {
        try edit { scopes in
            let scope = repository.name
            var requirements = scopes[scope] as? [[String: Any]] ?? []
            let encoded = Data(key.pem.utf8).base64EncodedString()
            if let index = requirements.firstIndex(where: { ($0["type"] as? String) == "sigstoreSigned" && $0["keyDatas"] != nil }) {
                var datas = requirements[index]["keyDatas"] as? [String] ?? []
                if datas.compactMap(Self.key(fromBase64:)).contains(key) { return false }
                datas.append(encoded)
                requirements[index]["keyDatas"] = datas
            } else {
                requirements.removeAll { ($0["type"] as? String) == "insecureAcceptAnything" }
                requirements.append(["type": "sigstoreSigned", "keyDatas": [encoded],
                                     "signedIdentity": ["type": "matchRepository"]])
            }
            scopes[scope] = requirements
            return true
        }
    }

    /// Removes `key` from the keys trusted for `repository`; the requirement goes when no key is left, and the scope
    /// when no requirement is. Returns false when the key was not trusted there.
    @discardableResult
    public func removeSigner(_ key: VerificationKey, repository: ImageReference) throws(TrustError) -> Bool {
        try edit { scopes in
            let scope = repository.name
            guard var requirements = scopes[scope] as? [[String: Any]] else { return false }
            var removed = false
            for index in requirements.indices where (requirements[index]["type"] as? String) == "sigstoreSigned" {
                guard let datas = requirements[index]["keyDatas"] as? [String] else { continue }
                let kept = datas.filter { Self.key(fromBase64: $0) != key }
                if kept.count != datas.count { removed = true }
                requirements[index]["keyDatas"] = kept
            }
            requirements.removeAll { ($0["keyDatas"] as? [String])?.isEmpty == true }
            if requirements.isEmpty { scopes[scope] = nil } else { scopes[scope] = requirements }
            return removed
        }
    }

    private static func key(fromBase64 text: String) -> VerificationKey? {
        Data(base64Encoded: text).flatMap { try? VerificationKey(pem: String(decoding: $0, as: UTF8.self)) }
    }

    /// Reads the file (or starts from accept-anything), lets `change` edit the docker scopes, checks that the
    /// result still parses, and writes it back atomically.
    private func edit(_ change: (inout [String: Any]) throws(TrustError) -> Bool) throws(TrustError) -> Bool {
        var document: [String: Any] = ["default": [["type": "insecureAcceptAnything"]]]
        if let data = FileManager.default.contents(atPath: path) {
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw TrustError(.invalidArgument, "\(path): invalid signature policy: not a JSON object")
            }
            document = object
        }
        var transports = document["transports"] as? [String: Any] ?? [:]
        var docker = transports["docker"] as? [String: Any] ?? [:]
        let changed = try change(&docker)
        guard changed else { return false }
        transports["docker"] = docker
        document["transports"] = transports
        guard let data = try? JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys]) else {
            throw TrustError(.internal, "cannot encode the signature policy")
        }
        do { _ = try TrustPolicy(data: data, directory: (path as NSString).deletingLastPathComponent) } catch {
            throw TrustError(.invalidArgument, "\(path): the edited policy would not be valid: \(error.description)")
        }
        do {
            try PrivateFile.makeDirectory((path as NSString).deletingLastPathComponent)
            try PrivateFile.write(data + Data("\n".utf8), to: path, mode: 0o644)
        } catch {
            throw TrustError(.internal, "cannot write \(error.description)")
        }
        return true
    }
}
