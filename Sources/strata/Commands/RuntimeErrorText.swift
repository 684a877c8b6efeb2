import Foundation
import GRDB

/// One-line wording for errors that reach the top of a command unhandled.
enum RuntimeErrorText {
    static func describe(_ error: Error) -> String {
        if let error = error as? DatabaseError {
            // GRDB's description carries the SQL; the user needs only SQLite's reason.
            let reason = error.message ?? "SQLite error \(error.resultCode.rawValue)"
            return reason.contains("readonly") ? "the image store is read-only (\(reason))" : reason
        }
        return String(describing: error).replacingOccurrences(of: "\n", with: " ")
    }
}
