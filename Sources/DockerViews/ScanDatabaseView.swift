import Format
import Foundation
import Scan

/// `strata scan db status`: where the database is, its records, and each source with its import date.
public enum ScanDatabaseView {
    public static func render(_ status: DatabaseStatus) -> String {
        let dates = ISO8601DateFormatter()
        var out = "Database: \(status.path)\nSchema: \(status.schemaVersion)\n"
        out += "Records: \(status.recordCount) (\(status.affectedPackageCount) affected packages)\n"
        out += "Last import: \(status.lastImport.map { dates.string(from: $0) } ?? "never")\n"
        guard !status.sources.isEmpty else { return out }
        var table = TabWriter(minWidth: 4, tabWidth: 1, padding: 2, padChar: " ")
        table.write("\nSOURCE\tRECORDS\tMALFORMED\tWITHDRAWN\tIMPORTED\tECOSYSTEMS\n")
        for source in status.sources {
            let ecosystems = source.ecosystems.count > 4
                ? source.ecosystems.prefix(4).joined(separator: ", ") + ", … (\(source.ecosystems.count))"
                : source.ecosystems.joined(separator: ", ")
            table.write("\(source.name)\t\(source.recordCount)\t\(source.malformedCount)\t\(source.withdrawnCount)\t"
                        + "\(dates.string(from: source.importedAt))\t\(ecosystems)\n")
        }
        return out + table.flush()
    }
}
