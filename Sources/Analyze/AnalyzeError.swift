import OCI

/// Why an analysis, a diff or a CI gate could not be made. Every case says its `ErrorKind`; `description` is one line
/// (quoted input is bounded), so a malformed layer or rules file never floods a terminal.
public enum AnalyzeError: Error, Sendable, Equatable, CustomStringConvertible, KindedError {
    /// The layer's tar does not hash to the diffID the image config claims for it.
    case diffIDMismatch(layer: Int, claimed: Digest, actual: Digest)
    /// The layer could not be opened or read as a tar (truncated, corrupt, not a tar); `cause` is the cause's kind.
    case unreadableLayer(layer: Int, diffID: Digest, message: String, cause: ErrorKind)
    /// A `.dive-ci` file or a threshold flag that cannot be understood.
    case invalidRules(String)

    public var description: String {
        switch self {
        case .diffIDMismatch(let layer, let claimed, let actual):
            return "layer \(layer) does not match its image: its tar has diffID \(actual), the image config says \(claimed)"
        case .unreadableLayer(let layer, let diffID, let message, _):
            return "layer \(layer) (\(diffID)): " + ErrorText.bounded(Self.oneLine(message), limit: 512)
        case .invalidRules(let message):
            return ErrorText.bounded(Self.oneLine(message), limit: 512)
        }
    }

    public var kind: ErrorKind {
        switch self {
        case .diffIDMismatch, .invalidRules: return .invalidArgument
        case .unreadableLayer(_, _, _, let cause): return cause
        }
    }

    private static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}
