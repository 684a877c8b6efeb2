import Foundation
import Testing

/// Compares strata's output with docker's where IDs, timestamps and ages legitimately differ:
/// each docker line becomes a pattern in which those tokens are wildcards and column padding
/// (runs of 2+ spaces) may vary in width; everything else must be identical.
enum OutputShape {
    // Variable tokens, longest alternatives first.
    private static var variable: Regex<Substring> { #/sha256:[0-9a-f]{64}|\b[0-9a-f]{64}\b|\b[0-9a-f]{12}\b|(?:Less than a second|About a minute|About an hour|\d+ (?:second|minute|hour|day|week|month|year)s?) ago|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} [A-Z]+|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)/# }

    private static var wildcards: [(Regex<Substring>, String)] { [
        (#/^sha256:[0-9a-f]{64}$/#, "sha256:[0-9a-f]{64}"),
        (#/^[0-9a-f]{64}$/#, "[0-9a-f]{64}"),
        (#/^[0-9a-f]{12}$/#, "[0-9a-f]{12}"),
        (#/ ago$/#, "(?:Less than a second|About a minute|About an hour|\\d+ (?:second|minute|hour|day|week|month|year)s?) ago"),
        (#/ UTC$|[+-]\d{4} [A-Z]+$/#, "\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d [+-]\\d{4} [A-Z]+"),
        (#/T\d/#, "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?(?:Z|[+-]\\d\\d:\\d\\d)"),
    ] }

    /// The regex source that `line` (a line of docker output) stands for.
    static func pattern(for line: String) -> String {
        var out = ""
        var rest = line[...]
        while let m = rest.firstMatch(of: variable) {
            out += literal(rest[rest.startIndex..<m.range.lowerBound])
            let token = String(m.output)
            out += wildcards.first { token.contains($0.0) }?.1 ?? NSRegularExpression.escapedPattern(for: token)
            rest = rest[m.range.upperBound...]
        }
        return out + literal(rest)
    }

    private static func literal(_ text: Substring) -> String {
        // Column padding depends on the widest cell, which may be a variable one: allow any width >= 2.
        text.split(separator: #/ {2,}/#, omittingEmptySubsequences: false)
            .map { NSRegularExpression.escapedPattern(for: String($0)) }
            .joined(separator: " {2,}")
    }

    /// Problems found when comparing `strata`'s output with `docker`'s (empty when the shapes agree).
    static func differences(strata: String, docker: String) -> [String] {
        var problems: [String] = []
        if strata.hasSuffix("\n") != docker.hasSuffix("\n") {
            problems.append("trailing newline differs (docker: \(docker.hasSuffix("\n")))")
        }
        let s = strata.split(separator: "\n", omittingEmptySubsequences: false)
        let d = docker.split(separator: "\n", omittingEmptySubsequences: false)
        if s.count != d.count { problems.append("line count: strata \(s.count), docker \(d.count)") }
        for (index, (sl, dl)) in zip(s, d).enumerated() {
            let source = "^" + pattern(for: String(dl)) + "$"
            guard let regex = try? Regex(source) else {
                problems.append("line \(index + 1): cannot build pattern \(source)")
                continue
            }
            if String(sl).wholeMatch(of: regex) == nil {
                problems.append("line \(index + 1):\n  strata: \(sl.debugDescription)\n  docker: \(dl.debugDescription)")
            }
        }
        return problems
    }
}

/// Records an issue unless strata's and docker's outputs have the same shape (see `OutputShape`).
func expectSameShape(_ strata: CommandResult, _ docker: CommandResult, _ what: String,
                     sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(strata.status == docker.status, "\(what): exit status", sourceLocation: sourceLocation)
    let problems = OutputShape.differences(strata: strata.stdout, docker: docker.stdout)
    #expect(problems.isEmpty, "\(what): stdout shape differs from docker's\n\(problems.joined(separator: "\n"))\n--- strata ---\n\(strata.stdout)--- docker ---\n\(docker.stdout)",
            sourceLocation: sourceLocation)
}

/// Records an issue unless stdout, stderr and exit status are byte-identical to docker's.
func expectIdentical(_ strata: CommandResult, _ docker: CommandResult, _ what: String,
                     sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(strata.stdout == docker.stdout, "\(what): stdout\n  strata: \(strata.stdout.debugDescription)\n  docker: \(docker.stdout.debugDescription)",
            sourceLocation: sourceLocation)
    #expect(strata.stderr == docker.stderr, "\(what): stderr\n  strata: \(strata.stderr.debugDescription)\n  docker: \(docker.stderr.debugDescription)",
            sourceLocation: sourceLocation)
    #expect(strata.status == docker.status, "\(what): exit status strata \(strata.status), docker \(docker.status)",
            sourceLocation: sourceLocation)
}

/// docker's size formatting (go-units HumanSizeWithPrecision: SI units, %.<precision>g).
func dockerHumanSize(_ bytes: Int, precision: Int = 4) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
    var size = Double(bytes)
    var unit = 0
    while size >= 1000, unit < units.count - 1 { size /= 1000; unit += 1 }
    return String(format: "%.\(precision)g", size) + units[unit]
}
