import ArgumentParser
import Foundation
import Trust

/// Content trust as docker users switch it: on with `DOCKER_CONTENT_TRUST=1` (or `STRATA_CONTENT_TRUST=1`), off again
/// for one command with `--disable-content-trust`; the policy is `--signature-policy FILE`, else the user's, else
/// the system's policy.json.
struct ContentTrustFlags: ParsableArguments {
    @Flag(name: .customLong("disable-content-trust"), help: "Skip image verification (default true)")
    var disableContentTrust = false
    @Option(name: .customLong("signature-policy"), help: "Signature policy file (containers-policy.json format)")
    var signaturePolicy: String?

    static func enabledByEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        for name in ["STRATA_CONTENT_TRUST", "DOCKER_CONTENT_TRUST"] {
            if let value = environment[name]?.lowercased(), ["1", "true", "t", "yes"].contains(value) { return true }
        }
        return false
    }

    /// The policy to enforce, or nil when content trust is off.
    func policy() throws -> TrustPolicy? {
        guard !disableContentTrust, Self.enabledByEnvironment() else { return nil }
        do {
            return try TrustPolicyFile.locate(explicit: signaturePolicy).load(required: signaturePolicy != nil)
        } catch {
            throw CLIError(message: "Error: \(error.description)")
        }
    }
}
