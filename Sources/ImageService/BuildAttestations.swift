import Foundation
import GoText
import ImageBuilder
import OCI

/// `buildx build --provenance/--sbom/--attest`: the in-toto statements a build writes about each image it makes
/// (SLSA v1 provenance, an SPDX 2.3 SBOM), stored as BuildKit stores them (see `AttestationManifest`).
public struct BuildAttestations: Sendable, Hashable {
    /// BuildKit's provenance modes: `min` leaves out what may be sensitive (build arguments, labels, the secret and
    /// SSH ids), `max` has everything Strata records. Secret values are never read into provenance.
    public enum ProvenanceMode: String, Sendable, Hashable { case min, max }

    public var provenance: ProvenanceMode?
    public var sbom = false
    /// `builder-id=`: SLSA's `runDetails.builder.id` (buildx passes the CI run's URL).
    public var builderID: String?
    /// Strata's version: the provenance's `builder.version` and the SBOM's creator tool.
    public var builderVersion: String?

    public init(provenance: ProvenanceMode? = nil, sbom: Bool = false, builderID: String? = nil) {
        self.provenance = provenance
        self.sbom = sbom
        self.builderID = builderID
    }

    public var isEmpty: Bool { provenance == nil && !sbom }

    /// Parses buildx's spellings, later ones winning: each `--attest` value is a CSV record of `type=provenance|sbom`
    /// and parameters (`disabled=true`; provenance's `mode=min|max`, `builder-id=…`, `version=v1`); `--sbom` and
    /// `--provenance` take a boolean or the parameters of their type (`--provenance=mode=max`).
    public static func parse(attest: [String], sbom: String? = nil, provenance: String? = nil) throws -> BuildAttestations {
        var result = BuildAttestations()
        var records = attest
        for (type, value) in [("sbom", sbom), ("provenance", provenance)] {
            guard let value else { continue }
            switch GoStrconv.parseBool(value) {
            case true?: records.append("type=\(type)")
            case false?: records.append("type=\(type),disabled=true")
            case nil: records.append("type=\(type),\(value)")
            }
        }
        for record in records { try result.apply(record) }
        return result
    }

    private mutating func apply(_ record: String) throws {
        let fields: [String]
        do { fields = try GoCSVRecord.parse(record) } catch {
            throw ServiceError(.invalidArgument, "failed to parse attestation \(record): \(error)")
        }
        var type: String?
        var disabled = false
        var parameters: [(key: String, value: String)] = []
        for field in fields {
            guard let equals = field.firstIndex(of: "=") else {
                throw ServiceError(.invalidArgument, "invalid value \(field) in attestation \(record)")
            }
            let key = field[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = String(field[field.index(after: equals)...])
            switch key {
            case "type": type = value
            case "disabled":
                guard let flag = GoStrconv.parseBool(value) else {
                    throw ServiceError(.invalidArgument, "invalid value \(value) for disabled in attestation \(record)")
                }
                disabled = flag
            default: parameters.append((key, value))
            }
        }
        guard let type, !type.isEmpty else { throw ServiceError(.invalidArgument, "attestation type not specified: \(record)") }
        switch type {
        case "provenance":
            var mode = ProvenanceMode.min
            var builderID = self.builderID
            for (key, value) in parameters {
                switch key {
                case "mode":
                    if value == "false" { disabled = true; continue }
                    guard let parsed = ProvenanceMode(rawValue: value) else {
                        throw ServiceError(.invalidArgument, "invalid provenance mode \"\(value)\" (min or max)")
                    }
                    mode = parsed
                case "builder-id": builderID = value
                case "version":
                    guard value == "v1" else {
                        throw ServiceError(.invalidArgument, "provenance version \(value) is not supported (Strata writes SLSA v1)")
                    }
                default: throw ServiceError(.invalidArgument, "unknown provenance attestation parameter \(key)")
                }
            }
            provenance = disabled ? nil : mode
            self.builderID = builderID
        case "sbom":
            if let (key, _) = parameters.first {
                // BuildKit runs a generator image (and can scan the context or other stages); Strata's own catalogers
                // read the final image's layers.
                throw ServiceError(.invalidArgument, "sbom attestation parameter \(key) is not supported "
                                   + "(Strata's catalogers scan the final image)")
            }
            sbom = !disabled
        default:
            throw ServiceError(.invalidArgument, "unsupported attestation type \(GoQuote.quote(type)) (provenance or sbom)")
        }
    }
}
