// Hand-written for Strata from the OSV schema (https://ossf.github.io/osv-schema/): the fields the matcher reads.
// Decoding is tolerant: a field of the wrong type, or one bad element of an array, is dropped and the record kept;
// only a record that is not an object or has no string `id` is malformed.
import Foundation

/// One OSV vulnerability record, reduced to what matching and reporting use.
public struct OSVRecord: Sendable, Hashable, Codable {
    public var id: String
    public var modified: String?
    public var published: String?
    public var withdrawn: String?
    public var aliases: [String]
    public var related: [String]
    /// IDs this record was derived from (schema 1.7; Debian's DSA/DEBIAN-CVE records name their CVEs here).
    public var upstream: [String]
    public var summary: String?
    public var details: String?
    public var severity: [OSVSeverity]
    public var affected: [OSVAffected]
    public var references: [OSVReference]
    public var databaseSpecific: OSVSpecificFields?

    public init(
        id: String, modified: String? = nil, published: String? = nil, withdrawn: String? = nil, aliases: [String] = [],
        related: [String] = [], upstream: [String] = [], summary: String? = nil, details: String? = nil,
        severity: [OSVSeverity] = [], affected: [OSVAffected] = [], references: [OSVReference] = [],
        databaseSpecific: OSVSpecificFields? = nil
    ) {
        self.id = id
        self.modified = modified
        self.published = published
        self.withdrawn = withdrawn
        self.aliases = aliases
        self.related = related
        self.upstream = upstream
        self.summary = summary
        self.details = details
        self.severity = severity
        self.affected = affected
        self.references = references
        self.databaseSpecific = databaseSpecific
    }

    enum CodingKeys: String, CodingKey {
        case id, modified, published, withdrawn, aliases, related, upstream, summary, details, severity, affected, references
        case databaseSpecific = "database_specific"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard let id = try? container.decode(String.self, forKey: .id), !id.isEmpty else {
            throw DecodingError.dataCorrupted(.init(codingPath: [CodingKeys.id], debugDescription: "an OSV record needs an id"))
        }
        self.id = id
        modified = container.lenient(String.self, .modified)
        published = container.lenient(String.self, .published)
        withdrawn = container.lenient(String.self, .withdrawn)
        aliases = container.lenientArray(String.self, .aliases)
        related = container.lenientArray(String.self, .related)
        upstream = container.lenientArray(String.self, .upstream)
        summary = container.lenient(String.self, .summary)
        details = container.lenient(String.self, .details)
        severity = container.lenientArray(OSVSeverity.self, .severity)
        affected = container.lenientArray(OSVAffected.self, .affected)
        references = container.lenientArray(OSVReference.self, .references)
        databaseSpecific = container.lenient(OSVSpecificFields.self, .databaseSpecific)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encodeIfPresent(modified, forKey: .modified)
        try container.encodeIfPresent(published, forKey: .published)
        try container.encodeIfPresent(withdrawn, forKey: .withdrawn)
        if !aliases.isEmpty { try container.encode(aliases, forKey: .aliases) }
        if !related.isEmpty { try container.encode(related, forKey: .related) }
        if !upstream.isEmpty { try container.encode(upstream, forKey: .upstream) }
        try container.encodeIfPresent(summary, forKey: .summary)
        try container.encodeIfPresent(details, forKey: .details)
        if !severity.isEmpty { try container.encode(severity, forKey: .severity) }
        if !affected.isEmpty { try container.encode(affected, forKey: .affected) }
        if !references.isEmpty { try container.encode(references, forKey: .references) }
        try container.encodeIfPresent(databaseSpecific, forKey: .databaseSpecific)
    }
}

/// `severity[]`: a scoring system and its vector (`CVSS_V3`, `CVSS:3.1/AV:N/…`).
public struct OSVSeverity: Sendable, Hashable, Codable {
    public var type: String
    public var score: String

    public init(type: String, score: String) {
        self.type = type
        self.score = score
    }
}

/// `references[]`.
public struct OSVReference: Sendable, Hashable, Codable {
    public var type: String?
    public var url: String

    public init(type: String?, url: String) {
        self.type = type
        self.url = url
    }

    enum CodingKeys: String, CodingKey { case type, url }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        url = try container.decode(String.self, forKey: .url)
        type = container.lenient(String.self, .type)
    }
}

/// The keys of `database_specific` / `ecosystem_specific` objects Strata reads: GitHub's `severity`
/// ("LOW", "MODERATE", "HIGH", "CRITICAL") and Debian's `urgency` ("low", "medium", "high", "unimportant"…).
public struct OSVSpecificFields: Sendable, Hashable, Codable {
    public var severity: String?
    public var urgency: String?

    public init(severity: String? = nil, urgency: String? = nil) {
        self.severity = severity
        self.urgency = urgency
    }

    enum CodingKeys: String, CodingKey { case severity, urgency }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        severity = container.lenient(String.self, .severity)
        urgency = container.lenient(String.self, .urgency)
    }

    var isEmpty: Bool { severity == nil && urgency == nil }
}

/// `affected[].package`.
public struct OSVPackage: Sendable, Hashable, Codable {
    public var ecosystem: String
    public var name: String
    public var purl: String?

    public init(ecosystem: String, name: String, purl: String? = nil) {
        self.ecosystem = ecosystem
        self.name = name
        self.purl = purl
    }

    enum CodingKeys: String, CodingKey { case ecosystem, name, purl }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        ecosystem = try container.decode(String.self, forKey: .ecosystem)
        name = try container.decode(String.self, forKey: .name)
        purl = container.lenient(String.self, .purl)
    }
}

/// One `affected[]` entry: a package, its ranges and enumerated versions.
public struct OSVAffected: Sendable, Hashable, Codable {
    public var package: OSVPackage?
    public var severity: [OSVSeverity]
    public var ranges: [OSVRange]
    public var versions: [String]
    public var ecosystemSpecific: OSVSpecificFields?
    public var databaseSpecific: OSVSpecificFields?

    public init(
        package: OSVPackage?, severity: [OSVSeverity] = [], ranges: [OSVRange] = [], versions: [String] = [],
        ecosystemSpecific: OSVSpecificFields? = nil, databaseSpecific: OSVSpecificFields? = nil
    ) {
        self.package = package
        self.severity = severity
        self.ranges = ranges
        self.versions = versions
        self.ecosystemSpecific = ecosystemSpecific
        self.databaseSpecific = databaseSpecific
    }

    enum CodingKeys: String, CodingKey {
        case package, severity, ranges, versions
        case ecosystemSpecific = "ecosystem_specific"
        case databaseSpecific = "database_specific"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        package = container.lenient(OSVPackage.self, .package)
        severity = container.lenientArray(OSVSeverity.self, .severity)
        ranges = container.lenientArray(OSVRange.self, .ranges)
        versions = container.lenientArray(String.self, .versions)
        ecosystemSpecific = container.lenient(OSVSpecificFields.self, .ecosystemSpecific).flatMap { $0.isEmpty ? nil : $0 }
        databaseSpecific = container.lenient(OSVSpecificFields.self, .databaseSpecific).flatMap { $0.isEmpty ? nil : $0 }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(package, forKey: .package)
        if !severity.isEmpty { try container.encode(severity, forKey: .severity) }
        if !ranges.isEmpty { try container.encode(ranges, forKey: .ranges) }
        if !versions.isEmpty { try container.encode(versions, forKey: .versions) }
        try container.encodeIfPresent(ecosystemSpecific, forKey: .ecosystemSpecific)
        try container.encodeIfPresent(databaseSpecific, forKey: .databaseSpecific)
    }
}

/// `affected[].ranges[]`: `ECOSYSTEM`, `SEMVER` or `GIT`, and its events.
public struct OSVRange: Sendable, Hashable, Codable {
    public var type: String
    public var events: [OSVEvent]

    public init(type: String, events: [OSVEvent]) {
        self.type = type
        self.events = events
    }

    enum CodingKeys: String, CodingKey { case type, events }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(String.self, forKey: .type)
        events = container.lenientArray(OSVEvent.self, .events)
    }
}

/// One event of a range. An object with more than one of the four keys is invalid (the schema allows one) and
/// dropped.
public enum OSVEvent: Sendable, Hashable, Codable {
    case introduced(String), fixed(String), lastAffected(String), limit(String)

    enum CodingKeys: String, CodingKey {
        case introduced, fixed, limit
        case lastAffected = "last_affected"
    }

    public var version: String {
        switch self {
        case .introduced(let v), .fixed(let v), .lastAffected(let v), .limit(let v): return v
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        var found: [OSVEvent] = []
        if let v = container.lenient(String.self, .introduced) { found.append(.introduced(v)) }
        if let v = container.lenient(String.self, .fixed) { found.append(.fixed(v)) }
        if let v = container.lenient(String.self, .lastAffected) { found.append(.lastAffected(v)) }
        if let v = container.lenient(String.self, .limit) { found.append(.limit(v)) }
        guard found.count == 1, let event = found.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "an event has exactly one key"))
        }
        self = event
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .introduced(let v): try container.encode(v, forKey: .introduced)
        case .fixed(let v): try container.encode(v, forKey: .fixed)
        case .lastAffected(let v): try container.encode(v, forKey: .lastAffected)
        case .limit(let v): try container.encode(v, forKey: .limit)
        }
    }
}

/// Advances an unkeyed container past an element that failed to decode as what was asked.
private struct SkippedElement: Decodable {
    init(from decoder: any Decoder) throws {}
}

extension KeyedDecodingContainer {
    /// The value, or nil when absent, null or of another type.
    func lenient<T: Decodable>(_ type: T.Type, _ key: Key) -> T? {
        (try? decodeIfPresent(type, forKey: key)) ?? nil
    }

    /// The elements that decode; a non-array value gives none.
    func lenientArray<T: Decodable>(_ type: T.Type, _ key: Key) -> [T] {
        guard var elements = try? nestedUnkeyedContainer(forKey: key) else { return [] }
        var result: [T] = []
        while !elements.isAtEnd {
            if let element = try? elements.decode(type) {
                result.append(element)
            } else if (try? elements.decode(SkippedElement.self)) == nil {
                break
            }
        }
        return result
    }
}
