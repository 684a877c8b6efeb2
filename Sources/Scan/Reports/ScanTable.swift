/// The human-readable scan report, laid out like trivy's table: per target a heading, the totals by severity, and
/// a box-drawn table of Library, Vulnerability, Severity, Status, Installed Version, Fixed Version, Title (the
/// title cut to 40 columns, the advisory link on the line below) and, beyond trivy, the Layer that brought the
/// package in (its short diffID, the `history` command below). A library's name is printed on its first row only.
public enum ScanTable {
    static let headers = ["Library", "Vulnerability", "Severity", "Status", "Installed Version", "Fixed Version", "Title", "Layer"]
    static let titleWidth = 40
    static let layerWidth = 24

    public static func render(findings: [VulnerabilityFinding], image: ScannedImage, os: OSIdentity?) -> String {
        var out = ""
        for target in ScanTarget.group(findings, image: image, os: os) {
            out += "\n" + target.name + "\n" + String(repeating: "=", count: displayWidth(target.name)) + "\n"
            let counts = Severity.allCases.map { severity in
                "\(severity.rawValue): \(target.findings.filter { $0.severity == severity }.count)"
            }
            out += "Total: \(target.findings.count) (\(counts.joined(separator: ", ")))\n"
            guard !target.findings.isEmpty else { continue }
            out += "\n" + table(rows(target.findings))
        }
        return out
    }

    /// Each finding is one row of cells, each cell one or more lines.
    private static func rows(_ findings: [VulnerabilityFinding]) -> [[[String]]] {
        var previousLibrary: String?
        return findings.map { finding in
            let library = finding.package.name
            let shownLibrary = library == previousLibrary ? "" : library
            previousLibrary = library
            var title = [truncate(finding.title ?? finding.id, to: titleWidth)]
            let link = finding.references.first { $0.hasPrefix("https://") || $0.hasPrefix("http://") }
                ?? "https://osv.dev/vulnerability/" + finding.id
            title.append(truncate(link, to: titleWidth))
            var layer: [String] = []
            if let origin = finding.package.layer {
                layer.append(origin.diffID.algorithm + ":" + origin.diffID.shortID)
                if let command = origin.createdBy, !command.isEmpty { layer.append(truncate(command, to: layerWidth)) }
            }
            return [[shownLibrary], [finding.id], [finding.severity.rawValue], [finding.fixedVersion == nil ? "affected" : "fixed"],
                    [finding.installedVersion], [finding.fixedVersion ?? ""], title, layer.isEmpty ? [""] : layer]
        }
    }

    private static func table(_ rows: [[[String]]]) -> String {
        var widths = headers.map(displayWidth)
        for row in rows {
            for (column, cell) in row.enumerated() {
                widths[column] = max(widths[column], cell.map(displayWidth).max() ?? 0)
            }
        }
        func rule(_ left: String, _ middle: String, _ right: String) -> String {
            left + widths.map { String(repeating: "─", count: $0 + 2) }.joined(separator: middle) + right + "\n"
        }
        func line(_ cells: [String], centered: Bool) -> String {
            "│" + zip(cells, widths).map { cell, width in
                let gap = width - displayWidth(cell)
                let before = centered ? gap / 2 : 0
                return " " + String(repeating: " ", count: before) + cell + String(repeating: " ", count: gap - before) + " "
            }.joined(separator: "│") + "│\n"
        }
        var out = rule("┌", "┬", "┐") + line(headers, centered: true) + rule("├", "┼", "┤")
        for (index, row) in rows.enumerated() {
            let height = row.map(\.count).max() ?? 1
            for lineIndex in 0..<height {
                out += line(row.map { lineIndex < $0.count ? $0[lineIndex] : "" }, centered: false)
            }
            out += index == rows.count - 1 ? rule("└", "┴", "┘") : rule("├", "┼", "┤")
        }
        return out
    }

    private static func truncate(_ text: String, to width: Int) -> String {
        let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        guard displayWidth(flat) > width else { return flat }
        var result = ""
        var used = 0
        for character in flat {
            let columns = columns(of: character)
            if used + columns > width - 1 { break }
            result.append(character)
            used += columns
        }
        return result + "…"
    }

    /// Terminal columns: East Asian wide and emoji characters take two.
    static func displayWidth(_ text: String) -> Int {
        text.reduce(0) { $0 + columns(of: $1) }
    }

    private static func columns(of character: Character) -> Int {
        guard let scalar = character.unicodeScalars.first else { return 0 }
        switch scalar.value {
        case 0x1100...0x115F, 0x2E80...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
             0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
            return 2
        default:
            return 1
        }
    }
}
