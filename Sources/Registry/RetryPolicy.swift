import Foundation
import Synchronization
import AsyncHTTPClient
import NIOCore
import NIOSSL

/// When and how long to wait before another attempt: exponential backoff with jitter, `Retry-After` honoured.
struct RetryPolicy: Sendable {
    var maxAttempts: Int
    var baseDelay: Duration
    var maxDelay: Duration

    /// Statuses worth another attempt: throttling, timeouts and server errors (501/505 are permanent).
    static func isRetryable(status: Int) -> Bool {
        status == 429 || status == 408 || (status >= 500 && status != 501 && status != 505)
    }

    /// Connection-level failures worth another attempt: resets, refused/closed connections, timeouts.
    static func isRetryable(error: any Error) -> Bool {
        if error is CancellationError || HTTPTransport.isConnectionRefused(error) { return false }
        if let error = error as? HTTPClientError {
            switch error {
            case .remoteConnectionClosed, .readTimeout, .writeTimeout, .connectTimeout, .tlsHandshakeTimeout,
                 .getConnectionFromPoolTimeout, .deadlineExceeded, .httpProxyHandshakeTimeout:
                return true
            default:
                return false
            }
        }
        if error is IOError || error is ChannelError { return true }
        if let error = error as? NIOSSLError, case .uncleanShutdown = error { return true }
        if let error = error as? RegistryError, case .truncated = error { return true }
        // NIO's connection errors (refused, unreachable) wrap the underlying IOError.
        return String(describing: type(of: error)).contains("NIOConnectionError")
    }

    /// The pause before attempt `attempt + 1` (attempt counts from 1): `Retry-After` when given (capped),
    /// else base·2^(attempt-1) capped, scaled by a random factor in [0.5, 1].
    func delay(afterAttempt attempt: Int, retryAfter: Duration? = nil, random: Double = Double.random(in: 0.5...1)) -> Duration {
        if let retryAfter { return min(retryAfter, maxDelay) }
        let exponent = min(max(attempt - 1, 0), 30)
        let raw = baseDelay * (1 << exponent)
        return min(raw, maxDelay) * random
    }

    /// `Retry-After: <seconds>`; HTTP-date forms are ignored (the backoff applies instead).
    static func retryAfter(_ header: String?) -> Duration? {
        guard let header, let seconds = Int(header.trimming(" \t")), seconds >= 0 else { return nil }
        return .seconds(seconds)
    }
}

/// Retries left to one client, shared by every level that retries (a request, an upload restart, a resumed
/// download) so that they cannot multiply into a storm against a registry that fails for good. Each retry
/// spends one and nothing earns one back: a server that answers every resume and then stalls again (a 200 to a
/// Range request, a few bytes, silence) would otherwise keep a pull retrying forever.
final class RetryBudget: Sendable {
    private let capacity: Int
    private let left: Mutex<Int>

    init(capacity: Int) {
        self.capacity = max(capacity, 0)
        left = Mutex(self.capacity)
    }

    /// Takes one retry; false when none is left.
    func spend() -> Bool {
        left.withLock { left in
            guard left > 0 else { return false }
            left -= 1
            return true
        }
    }

    var isSpent: Bool { left.withLock { $0 == 0 } }
}

/// RFC 8288 `Link` header: the target of `rel="next"`, as registries paginate tag lists.
enum LinkHeader {
    static func next(_ values: [String]) -> String? {
        for value in values {
            for part in splitOutsideBrackets(value) {
                let trimmed = part.trimming(" \t")
                guard trimmed.hasPrefix("<"), let close = trimmed.firstIndex(of: ">") else { continue }
                let target = String(trimmed[trimmed.index(after: trimmed.startIndex)..<close])
                let params = trimmed[trimmed.index(after: close)...].split(separator: ";")
                for param in params {
                    let kv = param.split(separator: "=", maxSplits: 1)
                    guard kv.count == 2, kv[0].trimming(" \t").lowercased() == "rel" else { continue }
                    let rels = kv[1].trimming(" \t\"").lowercased().split(separator: " ")
                    if rels.contains("next") { return target }
                }
            }
        }
        return nil
    }

    /// Splits on commas that are not inside `<...>` (URLs may hold commas).
    private static func splitOutsideBrackets(_ value: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var inBrackets = false
        for c in value {
            if c == "<" { inBrackets = true } else if c == ">" { inBrackets = false }
            if c == ",", !inBrackets {
                parts.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        parts.append(current)
        return parts
    }
}

extension Substring {
    func trimming(_ set: String) -> String { String(self).trimming(set) }
}
