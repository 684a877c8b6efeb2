import OCI
/// Where an instruction sits in its Dockerfile: the first and last physical line (1-based), including
/// continuation lines and heredoc bodies.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var endLine: Int

    public init(line: Int, endLine: Int) {
        self.line = line
        self.endLine = endLine
    }

    public var description: String { line == endLine ? "\(line)" : "\(line)-\(endLine)" }
}

/// A Dockerfile that cannot be parsed, or an instruction whose arguments cannot be interpreted or expanded.
/// Printed as BuildKit prints it: `Dockerfile:12: unknown instruction: COPPY`.
public struct DockerfileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The message without file or line, worded as BuildKit 20.10 words it where it has an equivalent.
    public var message: String
    /// Where the error is, when it belongs to a line (expansion errors get one through `located(at:)`).
    public var location: SourceLocation?
    public var fileName: String

    public init(_ message: String, location: SourceLocation? = nil, fileName: String = "Dockerfile") {
        self.message = ErrorText.bounded(message)
        self.location = location
        self.fileName = fileName
    }

    /// The first line of the error, 1-based.
    public var line: Int? { location?.line }

    public var description: String {
        guard let location else { return "\(fileName): \(message)" }
        return "\(fileName):\(location.line): \(message)"
    }

    /// This error attributed to `location` unless it already has one.
    public func located(at location: SourceLocation, fileName: String? = nil) -> DockerfileError {
        var copy = self
        if copy.location == nil { copy.location = location }
        if let fileName { copy.fileName = fileName }
        return copy
    }
}

/// A non-fatal remark BuildKit prints while parsing (empty continuation lines).
public struct DockerfileWarning: Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var location: SourceLocation

    public var description: String { message }
}

extension DockerfileError: KindedError {
    public var kind: ErrorKind { .invalidArgument }
}
