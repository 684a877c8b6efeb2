import Foundation
import OCI

/// Which findings a scan reports, as trivy's flags choose them: `--severity`, `--ignore-unfixed`,
/// `--pkg-types os,library` and an ignore file (`--ignorefile`, `.trivyignore`'s format).
public struct FindingFilter: Sendable {
    /// The package kinds trivy's `--pkg-types` names.
    public enum PackageKind: String, Sendable, CaseIterable {
        case os, library
    }

    public var severities: Set<Severity>
    public var ignoreUnfixed: Bool
    public var packageKinds: Set<PackageKind>
    public var ignored: IgnoreList

    public init(severities: Set<Severity> = Set(Severity.allCases), ignoreUnfixed: Bool = false,
                packageKinds: Set<PackageKind> = Set(PackageKind.allCases), ignored: IgnoreList = IgnoreList()) {
        self.severities = severities
        self.ignoreUnfixed = ignoreUnfixed
        self.packageKinds = packageKinds
        self.ignored = ignored
    }

    /// Whether a package of this type is scanned at all.
    public func scans(_ type: PackageType) -> Bool {
        packageKinds.contains(type.isOSPackage ? .os : .library)
    }

    public func keeps(_ finding: VulnerabilityFinding, now: Date = Date()) -> Bool {
        guard severities.contains(finding.severity), scans(finding.package.type) else { return false }
        if ignoreUnfixed && finding.fixedVersion == nil { return false }
        return !ignored.ignores(finding, now: now)
    }

    /// `--severity CRITICAL,HIGH`: names separated by commas, any case; an unknown name is an error.
    public static func severities(_ list: String) throws -> Set<Severity> {
        var chosen = Set<Severity>()
        for item in list.split(separator: ",") {
            let name = item.trimmingCharacters(in: .whitespaces).uppercased()
            guard let severity = Severity(rawValue: name) else {
                throw ScanOptionError("unknown severity option: \(item) (one of UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL)")
            }
            chosen.insert(severity)
        }
        guard !chosen.isEmpty else { throw ScanOptionError("--severity needs at least one severity") }
        return chosen
    }

    /// `--pkg-types os,library`.
    public static func packageKinds(_ list: String) throws -> Set<PackageKind> {
        var chosen = Set<PackageKind>()
        for item in list.split(separator: ",") {
            let name = item.trimmingCharacters(in: .whitespaces).lowercased()
            guard let kind = PackageKind(rawValue: name) else {
                throw ScanOptionError("unknown package type: \(item) (one of os, library)")
            }
            chosen.insert(kind)
        }
        guard !chosen.isEmpty else { throw ScanOptionError("--pkg-types needs at least one type") }
        return chosen
    }
}

/// The IDs an ignore file names. The format is trivy's `.trivyignore`: one ID per line (a CVE, GHSA or any record
/// ID, matched against a finding's ID and its aliases), `#` comments, blank lines, and an optional
/// `exp:YYYY-MM-DD` after the ID after which the line no longer applies.
public struct IgnoreList: Sendable {
    public struct Entry: Sendable, Equatable {
        public var id: String
        public var expires: Date?
    }

    public var entries: [Entry]

    public init(entries: [Entry] = []) { self.entries = entries }

    public init(parsing text: String) throws {
        entries = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first
                .map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard !line.isEmpty else { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            var entry = Entry(id: String(fields[0]), expires: nil)
            for field in fields.dropFirst() where field.hasPrefix("exp:") {
                guard let date = Self.day(String(field.dropFirst(4))) else {
                    throw ScanOptionError("ignore file line \(number + 1): invalid expiry \(field.dropFirst(4)) (want exp:YYYY-MM-DD)")
                }
                entry.expires = date
            }
            entries.append(entry)
        }
    }

    public func ignores(_ finding: VulnerabilityFinding, now: Date = Date()) -> Bool {
        entries.contains { entry in
            if let expires = entry.expires, expires <= now { return false }
            return entry.id == finding.id || finding.aliases.contains(entry.id)
        }
    }

    private static func day(_ text: String) -> Date? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: day)),
              calendar.component(.day, from: date) == day else { return nil }
        return date
    }
}

/// A scan option that can't be used: one line, the kind `.invalidArgument`.
public struct ScanOptionError: Error, KindedError, Sendable, CustomStringConvertible {
    public let description: String
    public var kind: ErrorKind { .invalidArgument }
    public init(_ description: String) { self.description = description }
}
