import Foundation

/// What Strata releases before the in-memory sandbox left in the temporary directory: per-run scratch
/// (`strata-sandbox-*`: /etc/hosts copies), secret copies (`strata-secret-*`, in plain text) and read-write bind
/// copies (`strata-bind-*`), never removed when the build or run was killed. Nothing writes these names any more;
/// the first sandbox of each process removes those older than a minute (younger ones may still be in use by an
/// older binary running beside this one).
enum TemporaryLeftovers {
    static let prefixes = ["strata-sandbox-", "strata-secret-", "strata-bind-"]

    /// Runs the sweep once per process.
    static let swept: Void = sweep(NSTemporaryDirectory())

    static func sweep(_ directory: String, olderThan age: TimeInterval = 60) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        let cutoff = Date().addingTimeInterval(-age)
        for name in names where prefixes.contains(where: name.hasPrefix) {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  let modified = attributes[.modificationDate] as? Date, modified < cutoff else { continue }
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}
