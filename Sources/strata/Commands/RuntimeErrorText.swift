import Foundation

/// One-line wording for errors that reach the top of a command unhandled.
enum RuntimeErrorText {
    static func describe(_ error: Error) -> String {
        String(describing: error).replacingOccurrences(of: "\n", with: " ")
    }
}
