import Foundation
import OCI

/// Failures of the local store, worded as one line for the CLI.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    case noSuchImage(String)
    case noSuchContainer(String)
    case ambiguousImage(String)
    case system(String, errno: Int32)
    case digestMismatch(expected: String, actual: String)
    case blobMissing(String)
    case corrupt(String)
    case conflict(String)
    case invalid(String)
    /// The metadata database refused (SQLite's reason; `readOnly` when the root cannot be written).
    case database(String, readOnly: Bool)
    /// A layer whose tar does not hash to the diffID its image config claims.
    case layerMismatch(blob: String, claimed: String, actual: String)

    public var description: String {
        switch self {
        case .noSuchImage(let ref): return "No such image: \(ref)"
        case .noSuchContainer(let name): return "No such container: \(name)"
        case .ambiguousImage(let prefix): return "multiple IDs found with provided prefix: \(prefix)"
        case .system(let what, let code): return "\(what): \(String(cString: strerror(code)))"
        case .digestMismatch(let expected, let actual): return "digest mismatch: expected \(expected), got \(actual)"
        case .blobMissing(let digest): return "blob \(digest) is missing from the store"
        case .corrupt(let what): return "store is damaged: \(what)"
        case .conflict(let what): return what
        case .invalid(let what): return what
        case .database(let reason, let readOnly): return readOnly ? "the image store is read-only (\(reason))" : reason
        case .layerMismatch(let blob, let claimed, let actual):
            return "layer \(blob) does not match its image: its tar has diffID \(actual), the image config says \(claimed)"
        }
    }

    static func posix(_ what: String, _ code: Int32 = errno) -> StoreError { .system(what, errno: code) }
}

extension StoreError: KindedError {
    public var kind: ErrorKind {
        switch self {
        case .noSuchImage, .noSuchContainer, .blobMissing: .notFound
        case .ambiguousImage, .invalid, .layerMismatch: .invalidArgument
        case .conflict: .conflict
        case .database(_, let readOnly): readOnly ? .denied : .internal
        case .system, .digestMismatch, .corrupt: .internal
        }
    }
}
