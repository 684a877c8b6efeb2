// Hand-written for Strata from the CVSS v4.0 Specification (FIRST, §8 "CVSS v4.0 Scoring"): a vector's macro vector
// (the six equivalence classes EQ1…EQ6), that macro vector's score from the specification's table
// (CVSSv4MacroVectorScores.swift), lowered by the vector's mean severity distance from the highest-severity vectors of
// its macro vector, in proportion to the score available before the next lower macro vector. Floating-point, in
// the order of the specification's reference calculator, so that results agree to the tenth.

enum CVSSv4Score {
    static let mandatory = ["AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA"]
    static let allowed: [String: Set<String>] = [
        "AV": ["N", "A", "L", "P"], "AC": ["L", "H"], "AT": ["N", "P"], "PR": ["N", "L", "H"], "UI": ["N", "P", "A"],
        "VC": ["H", "L", "N"], "VI": ["H", "L", "N"], "VA": ["H", "L", "N"], "SC": ["H", "L", "N"], "SI": ["H", "L", "N"],
        "SA": ["H", "L", "N"], "E": ["X", "A", "P", "U"], "CR": ["X", "H", "M", "L"], "IR": ["X", "H", "M", "L"],
        "AR": ["X", "H", "M", "L"], "MAV": ["X", "N", "A", "L", "P"], "MAC": ["X", "L", "H"], "MAT": ["X", "N", "P"],
        "MPR": ["X", "N", "L", "H"], "MUI": ["X", "N", "P", "A"], "MVC": ["X", "H", "L", "N"], "MVI": ["X", "H", "L", "N"],
        "MVA": ["X", "H", "L", "N"], "MSC": ["X", "H", "L", "N"], "MSI": ["X", "S", "H", "L", "N"], "MSA": ["X", "S", "H", "L", "N"],
        "S": ["X", "N", "P"], "AU": ["X", "N", "Y"], "R": ["X", "A", "U", "I"], "V": ["X", "D", "C"], "RE": ["X", "L", "M", "H"],
        "U": ["X", "Clear", "Green", "Amber", "Red"],
    ]

    /// The highest-severity vectors of each level of each equivalence class (EQ3 and EQ6 together), from the
    /// specification's reference calculator.
    static let maxComposed: [Int: [Int: [String]]] = [
        1: [0: ["AV:N/PR:N/UI:N"], 1: ["AV:A/PR:N/UI:N", "AV:N/PR:L/UI:N", "AV:N/PR:N/UI:P"], 2: ["AV:P/PR:N/UI:N", "AV:A/PR:L/UI:P"]],
        2: [0: ["AC:L/AT:N"], 1: ["AC:H/AT:N", "AC:L/AT:P"]],
        4: [0: ["SC:H/SI:S/SA:S"], 1: ["SC:H/SI:H/SA:H"], 2: ["SC:L/SI:L/SA:L"]],
        5: [0: ["E:A"], 1: ["E:P"], 2: ["E:U"]],
    ]
    static let maxComposedEQ3EQ6: [Int: [Int: [String]]] = [
        0: [0: ["VC:H/VI:H/VA:H/CR:H/IR:H/AR:H"], 1: ["VC:H/VI:H/VA:L/CR:M/IR:M/AR:H", "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M"]],
        1: [0: ["VC:L/VI:H/VA:H/CR:H/IR:H/AR:H", "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H"],
            1: ["VC:L/VI:H/VA:L/CR:H/IR:M/AR:H", "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M", "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M",
                "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H", "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M"]],
        2: [1: ["VC:L/VI:L/VA:L/CR:H/IR:H/AR:H"]],
    ]
    /// The severity depth of each level (in steps of 0.1).
    static let maxSeverity: [Int: [Int: Double]] = [1: [0: 1, 1: 4, 2: 5], 2: [0: 1, 1: 2], 4: [0: 6, 1: 5, 2: 4], 5: [0: 1, 1: 1, 2: 1]]
    static let maxSeverityEQ3EQ6: [Int: [Int: Double]] = [0: [0: 7, 1: 6], 1: [0: 8, 1: 8], 2: [1: 10]]

    static let levels: [String: [String: Double]] = [
        "AV": ["N": 0.0, "A": 0.1, "L": 0.2, "P": 0.3], "PR": ["N": 0.0, "L": 0.1, "H": 0.2], "UI": ["N": 0.0, "P": 0.1, "A": 0.2],
        "AC": ["L": 0.0, "H": 0.1], "AT": ["N": 0.0, "P": 0.1],
        "VC": ["H": 0.0, "L": 0.1, "N": 0.2], "VI": ["H": 0.0, "L": 0.1, "N": 0.2], "VA": ["H": 0.0, "L": 0.1, "N": 0.2],
        "SC": ["H": 0.1, "L": 0.2, "N": 0.3], "SI": ["S": 0.0, "H": 0.1, "L": 0.2, "N": 0.3], "SA": ["S": 0.0, "H": 0.1, "L": 0.2, "N": 0.3],
        "CR": ["H": 0.0, "M": 0.1, "L": 0.2], "IR": ["H": 0.0, "M": 0.1, "L": 0.2], "AR": ["H": 0.0, "M": 0.1, "L": 0.2],
    ]

    /// The score of the metrics after `CVSS:4.0/`; nil when a mandatory metric is missing or a value is unknown.
    static func score(_ text: Substring) -> Double? {
        var metrics: [String: String] = [:]
        for pair in text.split(separator: "/", omittingEmptySubsequences: false) {
            let parts = pair.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, metrics[String(parts[0])] == nil,
                  allowed[String(parts[0])]?.contains(String(parts[1])) == true else { return nil }
            metrics[String(parts[0])] = String(parts[1])
        }
        guard mandatory.allSatisfy({ metrics[$0] != nil }) else { return nil }
        return score(effective: { metric in
            let value = metrics[metric] ?? "X"
            if metric == "E", value == "X" { return "A" }
            if ["CR", "IR", "AR"].contains(metric), value == "X" { return "H" }
            if let modified = metrics["M" + metric], modified != "X" { return modified }
            return value
        })
    }

    private static func score(effective m: (String) -> String) -> Double {
        if ["VC", "VI", "VA", "SC", "SI", "SA"].allSatisfy({ m($0) == "N" }) { return 0 }
        let eq1 = m("AV") == "N" && m("PR") == "N" && m("UI") == "N" ? 0
            : (m("AV") == "N" || m("PR") == "N" || m("UI") == "N") && m("AV") != "P" ? 1 : 2
        let eq2 = m("AC") == "L" && m("AT") == "N" ? 0 : 1
        let eq3 = m("VC") == "H" && m("VI") == "H" ? 0 : (m("VC") == "H" || m("VI") == "H" || m("VA") == "H") ? 1 : 2
        let eq4 = m("MSI") == "S" || m("MSA") == "S" ? 0 : (m("SC") == "H" || m("SI") == "H" || m("SA") == "H") ? 1 : 2
        let eq5 = m("E") == "A" ? 0 : m("E") == "P" ? 1 : 2
        let eq6 = (m("CR") == "H" && m("VC") == "H") || (m("IR") == "H" && m("VI") == "H") || (m("AR") == "H" && m("VA") == "H") ? 0 : 1
        func lookup(_ e: [Int]) -> Double { macroVectorScores[e.map(String.init).joined()] ?? .nan }
        let classes = [eq1, eq2, eq3, eq4, eq5, eq6]
        guard var value = macroVectorScores[classes.map(String.init).joined()] else { return 0 }

        func lower(_ index: Int) -> [Int] {
            var next = classes
            next[index] += 1
            return next
        }
        let lowerEQ1 = lookup(lower(0)), lowerEQ2 = lookup(lower(1)), lowerEQ4 = lookup(lower(3)), lowerEQ5 = lookup(lower(4))
        let lowerEQ3EQ6: Double
        switch (eq3, eq6) {
        case (1, 1), (0, 1): lowerEQ3EQ6 = lookup(lower(2))
        case (1, 0): lowerEQ3EQ6 = lookup(lower(5))
        case (0, 0): lowerEQ3EQ6 = max(lookup(lower(5)), lookup(lower(2)))
        default: lowerEQ3EQ6 = lookup([eq1, eq2, eq3 + 1, eq4, eq5, eq6 + 1])
        }

        // The first highest-severity vector the vector is nowhere more severe than (else the last one).
        let eq36Maxes = maxComposedEQ3EQ6[eq3]?[eq6] ?? []
        var distances: [String: Double] = [:]
        search: for a in maxComposed[1]?[eq1] ?? [] {
            for b in maxComposed[2]?[eq2] ?? [] {
                for c in eq36Maxes {
                    for d in maxComposed[4]?[eq4] ?? [] {
                        for e in maxComposed[5]?[eq5] ?? [] {
                            var maxima: [String: String] = [:]
                            for pair in [a, b, c, d, e].joined(separator: "/").split(separator: "/") {
                                let parts = pair.split(separator: ":")
                                maxima[String(parts[0])] = String(parts[1])
                            }
                            distances = [:]
                            for metric in ["AV", "PR", "UI", "AC", "AT", "VC", "VI", "VA", "SC", "SI", "SA", "CR", "IR", "AR"] {
                                let table = metricLevels(metric)
                                distances[metric] = (table[m(metric)] ?? 0) - (table[maxima[metric] ?? ""] ?? 0)
                            }
                            if !distances.values.contains(where: { $0 < 0 }) { break search }
                        }
                    }
                }
            }
        }
        func d(_ metric: String) -> Double { distances[metric] ?? 0 }
        let distanceEQ1 = d("AV") + d("PR") + d("UI")
        let distanceEQ2 = d("AC") + d("AT")
        let distanceEQ3EQ6 = d("VC") + d("VI") + d("VA") + d("CR") + d("IR") + d("AR")
        let distanceEQ4 = d("SC") + d("SI") + d("SA")
        let step = 0.1
        var count = 0.0
        var total = [Double](repeating: 0, count: 5)
        let parts: [(available: Double, distance: Double, depth: Double)] = [
            (value - lowerEQ1, distanceEQ1, (maxSeverity[1]?[eq1] ?? 1) * step),
            (value - lowerEQ2, distanceEQ2, (maxSeverity[2]?[eq2] ?? 1) * step),
            (value - lowerEQ3EQ6, distanceEQ3EQ6, (maxSeverityEQ3EQ6[eq3]?[eq6] ?? 1) * step),
            (value - lowerEQ4, distanceEQ4, (maxSeverity[4]?[eq4] ?? 1) * step),
            (value - lowerEQ5, 0, 1),
        ]
        for (index, part) in parts.enumerated() where part.available >= 0 {
            count += 1
            total[index] = part.available * (part.distance / part.depth)
        }
        let mean = count == 0 ? 0 : (total[0] + total[1] + total[2] + total[3] + total[4]) / count
        value -= mean
        value = min(10, max(0, value))
        // Half up to a tenth, with the reference calculator's epsilon against representation error.
        return ((value + 1e-6) * 10).rounded(.toNearestOrAwayFromZero) / 10
    }

    private static func metricLevels(_ metric: String) -> [String: Double] { levels[metric] ?? [:] }
}
