import Foundation
import GoText
import OCI

/// docker's `--filter key=value` arguments, grouped by key in the order given.
public struct FilterArguments: Sendable, Equatable {
    public private(set) var values: [String: [String]] = [:]

    public init() {}

    /// Parses each `key=value`; a value without `=` is docker's "bad format of filter" error.
    public init(_ arguments: [String]) throws(FilterError) {
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "=") else {
                throw FilterError(message: "bad format of filter (expected name=value)", argument: argument)
            }
            let key = argument[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = argument[argument.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            values[key, default: []].append(value)
        }
    }

    public func contains(_ key: String) -> Bool { values[key] != nil }
    public subscript(key: String) -> [String] { values[key] ?? [] }

    public mutating func add(_ key: String, _ value: String) { values[key, default: []].append(value) }

    /// Rejects keys outside `allowed` with dockerd's wording.
    public func validate(allowed: Set<String>) throws(FilterError) {
        for key in values.keys.sorted() where !allowed.contains(key) {
            throw FilterError(message: "Invalid filter '\(key)'")
        }
    }

    /// `dangling=true|false` (and 1/0), as dockerd reads boolean filters.
    public func bool(_ key: String) throws(FilterError) -> Bool? {
        guard let list = values[key] else { return nil }
        var result: Bool?
        for value in list {
            switch value.lowercased() {
            case "true", "1": result = true
            case "false", "0": result = false
            default: throw FilterError(message: "Invalid filter '\(key)=[\(value)]'")
            }
        }
        return result
    }

    /// docker's label filter: every `label=k` or `label=k=v` must match.
    public func matchesLabels(_ labels: [String: String], key: String = "label") -> Bool {
        for condition in self[key] {
            let parts = condition.split(separator: "=", maxSplits: 1).map(String.init)
            guard let value = labels[parts[0]] else { return false }
            if parts.count == 2, value != parts[1] { return false }
        }
        for condition in self[key + "!"] {
            let parts = condition.split(separator: "=", maxSplits: 1).map(String.init)
            if let value = labels[parts[0]], parts.count == 1 || value == parts[1] { return false }
        }
        return true
    }
}

/// A rejected `--filter`, `--since` or `--until` value.
public struct FilterError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    /// The `--filter` value that could not be split, when that was the problem.
    public let argument: String?
    public init(message: String, argument: String? = nil) {
        self.message = message
        self.argument = argument
    }
    public var description: String { message }
}

/// docker's `GetTimestamp`: a Go duration (`10m`, `1h30m`, relative to now), an RFC 3339 time, a date,
/// or Unix seconds with an optional fraction. Returns Unix seconds.
public enum TimestampArgument {
    public static func parse(_ value: String, now: Double = Date().timeIntervalSince1970) throws(FilterError) -> Double {
        if let duration = GoDuration.seconds(value) { return now - duration }
        if let seconds = Double(value), !value.contains("e"), !value.contains("E") { return seconds }
        let layouts = ["yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSSZZZZZ", "yyyy-MM-dd'T'HH:mm:ssZZZZZ", "yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSS",
                       "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH", "yyyy-MM-dd"]
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone.current
        for layout in layouts {
            formatter.dateFormat = layout
            if let date = formatter.date(from: value) { return date.timeIntervalSince1970 }
        }
        throw FilterError(message: "failed to parse value as time or duration: \"\(value)\"")
    }
}

extension FilterError: KindedError {
    public var kind: ErrorKind { .invalidArgument }
}
