import Analyze
import Format
import Foundation
import Scan

/// `strata image analyze` as text: dive's layer list (size, changes, command), its "Image Details" numbers and
/// inefficient files, and with `--ci` the rule results in dive's CI wording.
public enum ImageAnalysisView {
    public static func render(name: String, imageID: String, analysis: ImageAnalysis, evaluation: CIEvaluation?) -> String {
        var out = "Image: \(name) (\(imageID))\n\nLayers:\n"
        var table = TabWriter(minWidth: 4, tabWidth: 1, padding: 2, padChar: " ")
        table.write("  #\tSIZE\tADDED\tMODIFIED\tREMOVED\tCOMMAND\n")
        for layer in analysis.layers {
            let command = layer.command.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\t", with: " ")
            table.write("  \(layer.index)\t\(HumanUnits.humanSize(bytes: layer.sizeBytes, precision: 3))\t"
                        + "\(layer.added.count)\t\(layer.modified.count)\t\(layer.removed.count)\t\(truncated(command, 80))\n")
        }
        out += table.flush()
        out += "\nImage details:\n"
        out += "  efficiency: \(String(format: "%.4f", analysis.efficiency * 100)) %\n"
        out += "  wastedBytes: \(analysis.wastedBytes) bytes (\(HumanUnits.humanSize(bytes: analysis.wastedBytes, precision: 3)))\n"
        let percent = analysis.userWastedPercent.map { String(format: "%.4f %%", $0 * 100) } ?? "n/a (no bytes above the base layer)"
        out += "  userWastedPercent: \(percent)\n"
        if let duplicates = analysis.duplicateBytes {
            out += "  duplicateBytes: \(duplicates) bytes (\(HumanUnits.humanSize(bytes: duplicates, precision: 3)))\n"
        }
        if !analysis.inefficientFiles.isEmpty {
            out += "\nInefficient files (\(analysis.inefficientFileCount) in all, the largest shown):\n"
            var files = TabWriter(minWidth: 4, tabWidth: 1, padding: 2, padChar: " ")
            files.write("  COUNT\tWASTED SPACE\tFILE PATH\n")
            for file in analysis.inefficientFiles {
                files.write("  \(file.count)\t\(HumanUnits.humanSize(bytes: file.wastedBytes, precision: 3))\t\(file.path)\n")
            }
            out += files.flush()
        }
        if let evaluation {
            out += "\nResults:\n"
            for result in evaluation.results { out += result.line + "\n" }
            out += "Result: \(evaluation.summary)\n"
        }
        return out
    }

    /// `image analyze --format json`: the analysis, with the CI verdict when one was asked for.
    public static func json(name: String, imageID: String, analysis: ImageAnalysis, evaluation: CIEvaluation?) throws -> String {
        struct Document: Encodable {
            var image: String
            var id: String
            var analysis: ImageAnalysis
            var ci: CIEvaluation?
        }
        return try encode(Document(image: name, id: imageID, analysis: analysis, ci: evaluation))
    }

    static func truncated(_ text: String, _ width: Int) -> String {
        text.count <= width ? text : String(text.prefix(width - 1)) + "…"
    }

    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }
}

/// `strata image diff` as text: files (A added, D deleted, C changed, as `docker diff` marks them) then packages.
public enum ImageDiffView {
    public static func render(old: String, new: String, files: ImageDiff, packages: PackageDifference) -> String {
        var out = "--- \(old)\n+++ \(new)\n\nFiles: \(files.added.count) added, \(files.removed.count) removed, \(files.changed.count) changed\n"
        var lines: [(String, String)] = files.added.map { ($0.path, "A \($0.path)") }
            + files.removed.map { ($0.path, "D \($0.path)") }
            + files.changed.map { ($0.path, "C \($0.path) (\($0.changes.map(\.rawValue).joined(separator: ", ")))") }
        lines.sort { $0.0 < $1.0 }
        for line in lines { out += line.1 + "\n" }
        out += "\nPackages: \(packages.added.count) added, \(packages.removed.count) removed, \(packages.changed.count) changed\n"
        var table = TabWriter(minWidth: 4, tabWidth: 1, padding: 2, padChar: " ")
        if !(packages.added.isEmpty && packages.removed.isEmpty && packages.changed.isEmpty) {
            table.write("\tNAME\tTYPE\tOLD\tNEW\n")
        }
        for package in packages.added { table.write("+\t\(package.name)\t\(package.type.rawValue)\t\t\(package.version)\n") }
        for package in packages.removed { table.write("-\t\(package.name)\t\(package.type.rawValue)\t\(package.version)\t\n") }
        for change in packages.changed {
            table.write("~\t\(change.new.name)\t\(change.new.type.rawValue)\t\(change.old.version)\t\(change.new.version)\n")
        }
        out += table.flush()
        return out
    }

    public static func json(old: String, new: String, files: ImageDiff, packages: PackageDifference) throws -> String {
        struct Document: Encodable {
            var old: String
            var new: String
            var files: ImageDiff
            var packages: PackageDifference
        }
        return try ImageAnalysisView.encode(Document(old: old, new: new, files: files, packages: packages))
    }
}
