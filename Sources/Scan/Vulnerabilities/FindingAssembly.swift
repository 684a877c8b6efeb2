// Hand-written for Strata: turning the records that affect one package into findings. Records that are the same
// vulnerability (aliases of each other, or derived from the same single CVE: Debian's DSA and DEBIAN-CVE records,
// GHSA and PYSEC records of one CVE) become one finding named by the CVE; a record covering several CVEs (a DSA
// fixing four) is folded into the findings of those CVEs when they are present, and reported on its own otherwise.
// Severity comes from the highest CVSS version whose vector Strata scores, else the database's own rating (GitHub's
// severity), else Debian's urgency, else UNKNOWN.
import Foundation

enum FindingAssembly {
    static func findings(for package: CatalogedPackage, matches: [RecordMatch], scores: CVSSMemo = CVSSMemo()) -> [VulnerabilityFinding] {
        // Union-find over the matches: shared IDs/aliases, or the same single CVE.
        var parent = Array(matches.indices)
        func root(_ i: Int) -> Int {
            var i = i
            while parent[i] != i {
                parent[i] = parent[parent[i]]
                i = parent[i]
            }
            return i
        }
        func union(_ a: Int, _ b: Int) { parent[root(a)] = root(b) }

        let cves = matches.map { cveIDs(of: $0.record) }
        var ownerOfName: [String: Int] = [:]
        for (index, match) in matches.enumerated() {
            var names = Set([match.record.id] + match.record.aliases)
            if cves[index].count == 1 { names.formUnion(cves[index]) }
            for name in names {
                if let other = ownerOfName[name] { union(index, other) } else { ownerOfName[name] = index }
            }
        }
        var groups: [Int: [Int]] = [:]
        for index in matches.indices { groups[root(index), default: []].append(index) }

        // Groups about one CVE, by that CVE; groups spanning several are folded into those when they can be.
        var groupCVEs: [Int: Set<String>] = [:]
        var groupOfCVE: [String: Int] = [:]
        for (key, members) in groups {
            let set = members.reduce(into: Set<String>()) { $0.formUnion(cves[$1]) }
            groupCVEs[key] = set
            if set.count == 1, let cve = set.first { groupOfCVE[cve] = key }
        }
        var folded: [Int: [Int]] = [:]
        var outputs: [(members: [Int], cves: Set<String>, key: Int)] = []
        // A CVE no group is about alone, named by several multi-CVE groups: one finding, all their records.
        var orphans: [String: [Int]] = [:]
        for key in groups.keys.sorted() {
            guard let members = groups[key] else { continue }
            let set = groupCVEs[key] ?? []
            guard set.count > 1 else {
                outputs.append((members, set, key))
                continue
            }
            // Several CVEs: fold into the findings of those present, report the others one CVE each.
            for cve in set.sorted() {
                if let target = groupOfCVE[cve] { folded[target, default: []] += members } else { orphans[cve, default: []] += members }
            }
        }
        for cve in orphans.keys.sorted() { outputs.append((orphans[cve] ?? [], [cve], -1)) }
        return outputs.map { output in
            finding(package: package, members: output.members.map { matches[$0] },
                    folded: (folded[output.key] ?? []).map { matches[$0] }, cves: output.cves, scores: scores)
        }
    }

    private static func finding(package: CatalogedPackage, members: [RecordMatch], folded: [RecordMatch], cves: Set<String>,
                                scores: CVSSMemo) -> VulnerabilityFinding {
        let ordered = members.sorted { $0.record.id < $1.record.id }
        let id = cves.count == 1 ? cves.first ?? ordered[0].record.id : preferredID(ordered.map(\.record.id))
        var names: Set<String> = []
        for match in ordered {
            names.insert(match.record.id)
            names.formUnion(match.record.aliases)
            if cveIDs(of: match.record).count == 1 { names.formUnion(match.record.upstream) }
        }
        names.formUnion(folded.map(\.record.id))
        names.remove(id)

        let scheme = ordered.lazy.compactMap(\.scheme).first
        var fixed: String?
        for candidate in (ordered + folded).compactMap(\.fixedVersion) {
            guard let current = fixed else { fixed = candidate; continue }
            if let scheme, let order = scheme.compare(candidate, current), order > 0 { fixed = candidate }
        }

        let rated = ordered.map { (match: $0, rating: rating(of: $0, scores: scores)) }
        let best = rated.max { ($0.rating.severity, $0.rating.score ?? -1) < ($1.rating.severity, $1.rating.score ?? -1) }
        var references: [String] = []
        var seen: Set<String> = []
        for reference in (ordered + folded).flatMap(\.record.references) where seen.insert(reference.url).inserted {
            references.append(reference.url)
        }
        let summary = ordered.lazy.compactMap { $0.record.summary.flatMap { $0.isEmpty ? nil : $0 } }.first
            ?? folded.lazy.compactMap(\.record.summary).first
        let details = ordered.lazy.compactMap { $0.record.details.flatMap { $0.isEmpty ? nil : $0 } }.first
        return VulnerabilityFinding(
            id: id, aliases: names.sorted(), package: package, installedVersion: package.version, fixedVersion: fixed,
            severity: best?.rating.severity ?? .unknown, cvssScore: best?.rating.score, cvssVector: best?.rating.vector,
            title: summary ?? details.map(firstLine), description: details, references: references,
            ecosystem: ordered[0].ecosystem)
    }

    /// Among several IDs with no single CVE: a GHSA first (the most widely cross-referenced), else the smallest.
    private static func preferredID(_ ids: [String]) -> String {
        ids.first { $0.hasPrefix("GHSA-") } ?? ids.min() ?? ""
    }

    private static func firstLine(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? text
        return line.count > 200 ? String(line.prefix(200)) + "…" : line
    }

    /// `CVE-YYYY-N` IDs a record names: its own ID, aliases and upstream, with distribution prefixes
    /// (`DEBIAN-CVE-…`, `UBUNTU-CVE-…`, `ALPINE-CVE-…`) reduced to the CVE.
    static func cveIDs(of record: OSVRecord) -> Set<String> {
        var result: Set<String> = []
        for name in [record.id] + record.aliases + record.upstream {
            guard let range = name.range(of: "CVE-") else { continue }
            let prefix = name[..<range.lowerBound]
            guard prefix.isEmpty || prefix.hasSuffix("-") else { continue }
            let cve = name[range.lowerBound...]
            let parts = cve.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[1].count == 4, parts[1].allSatisfy(\.isASCII), parts[1].allSatisfy(\.isNumber),
                  !parts[2].isEmpty, parts[2].allSatisfy({ $0.isASCII && $0.isNumber }) else { continue }
            result.insert(String(cve))
        }
        return result
    }

    struct Rating {
        var severity: Severity
        var score: Double?
        var vector: String?
    }

    /// The record's severity for this package (see the file comment for the order of sources).
    static func rating(of match: RecordMatch, scores: CVSSMemo = CVSSMemo()) -> Rating {
        let vectors = match.record.severity + match.entries.flatMap(\.severity)
        let scored = vectors.compactMap { scores.score($0.score) }
        if let best = scored.max(by: { ($0.version, $0.baseScore) < ($1.version, $1.baseScore) }) {
            return Rating(severity: Severity(cvssScore: best.baseScore), score: best.baseScore, vector: best.vector)
        }
        let ratings = [match.record.databaseSpecific?.severity]
            + match.entries.flatMap { [$0.databaseSpecific?.severity, $0.ecosystemSpecific?.severity] }
        if let severity = ratings.compactMap({ $0.flatMap(databaseSeverity) }).max() {
            return Rating(severity: severity)
        }
        let urgencies = match.entries.flatMap { [$0.ecosystemSpecific?.urgency, $0.databaseSpecific?.urgency] }
        if let severity = urgencies.compactMap({ $0.flatMap(debianUrgency) }).max() {
            return Rating(severity: severity)
        }
        return Rating(severity: .unknown)
    }

    /// GitHub's LOW/MODERATE/HIGH/CRITICAL (and the same words in other databases; Red Hat's Important is HIGH).
    static func databaseSeverity(_ text: String) -> Severity? {
        switch text.uppercased() {
        case "LOW": return .low
        case "MODERATE", "MEDIUM": return .medium
        case "HIGH", "IMPORTANT": return .high
        case "CRITICAL": return .critical
        default: return nil
        }
    }

    /// Debian's urgency (`low`, `medium`, `high`, `unimportant`; a trailing `*` or `**` marks a guess).
    static func debianUrgency(_ text: String) -> Severity? {
        var word = Substring(text.lowercased())
        while word.hasSuffix("*") { word = word.dropLast() }
        switch word.trimmingCharacters(in: .whitespaces) {
        case "unimportant", "low": return .low
        case "medium": return .medium
        case "high": return .high
        default: return nil
        }
    }
}

/// CVSS scores by vector for one matching run: advisories of one source package share vectors, and each is
/// matched once per binary package built from it.
final class CVSSMemo {
    private var scores: [String: CVSSScore?] = [:]

    func score(_ vector: String) -> CVSSScore? {
        if let known = scores[vector] { return known }
        let computed = CVSSScore(vector: vector)
        scores[vector] = computed
        return computed
    }
}
