import Foundation
import GoText
import OCI

/// One entry of a registry error body (`{"errors":[{"code":...,"message":...,"detail":...}]}`).
public struct RegistryErrorEntry: Sendable, Equatable, CustomStringConvertible {
    /// The code as sent, e.g. `MANIFEST_UNKNOWN`.
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// distribution's errcode codes and default messages; an unlisted code prints as `unknown`.
    static let knownCodes: [String: String] = [
        "UNKNOWN": "unknown error", "UNSUPPORTED": "The operation is unsupported.",
        "UNAUTHORIZED": "authentication required", "DENIED": "requested access to the resource is denied",
        "UNAVAILABLE": "service unavailable", "TOOMANYREQUESTS": "too many requests",
        "DIGEST_INVALID": "provided digest did not match uploaded content", "SIZE_INVALID": "provided length did not match content length",
        "NAME_INVALID": "invalid repository name", "TAG_INVALID": "manifest tag did not match URI",
        "NAME_UNKNOWN": "repository name not known to registry", "MANIFEST_UNKNOWN": "manifest unknown",
        "MANIFEST_INVALID": "manifest invalid", "MANIFEST_UNVERIFIED": "manifest failed signature verification",
        "MANIFEST_BLOB_UNKNOWN": "blob unknown to registry", "BLOB_UNKNOWN": "blob unknown to registry",
        "BLOB_UPLOAD_UNKNOWN": "blob upload unknown to registry", "BLOB_UPLOAD_INVALID": "blob upload invalid",
        "PAGINATION_NUMBER_INVALID": "invalid number of results requested", "RANGE_INVALID": "invalid content range",
    ]

    /// distribution's `errcode.Error.Error()`: the code lowercased with spaces, then the message.
    public var description: String {
        let known = RegistryErrorEntry.knownCodes[code] != nil ? code : "UNKNOWN"
        return known.lowercased().replacingOccurrences(of: "_", with: " ") + ": " + message
    }
}

/// Everything the registry client can fail with. Descriptions are one line, docker's wording where docker
/// has one, and never contain credentials or tokens.
public enum RegistryError: Error, Sendable, CustomStringConvertible {
    /// A registry error body (only the first entry is printed, as docker does).
    case api(status: Int, errors: [RegistryErrorEntry])
    /// A 4xx whose body is not an error document (distribution's UnexpectedHTTPResponseError).
    case unexpectedResponse(status: Int, parseError: String, body: String)
    /// A status with no meaning here, e.g. a 5xx after all retries.
    case unexpectedStatus(status: Int, reason: String)
    /// `docker pull` of a missing tag/digest.
    case manifestNotFound(name: String, cause: RegistryErrorEntry)
    case repositoryNotFound(name: String, cause: RegistryErrorEntry)
    case pullAccessDenied(name: String, cause: RegistryErrorEntry)
    case manifestDigestMismatch(expected: Digest)
    case blobDigestMismatch(expected: Digest)
    case blobSizeMismatch(digest: Digest, expected: Int64, actual: Int64)
    case unsupportedManifest(mediaType: String)
    /// Connection-level failure: `Get "URL": reason`.
    case transport(method: String, url: String, reason: String)
    /// A response body ended before its announced length (retried, then surfaced).
    case truncated(url: String)
    case invalidResponse(String)
    case certificates(String)
    case loginFailed(url: String, status: Int, reason: String)
    case tooLarge(url: String, limit: Int)
    /// A Basic-auth registry and no login for it (docker's auth.ErrNoBasicAuthCredentials).
    case noBasicAuthCredentials
    /// Authentication failed inside a request (credentials missing, token refused): `Method "URL": cause`.
    case authorization(method: String, url: String, cause: String)
    /// Credentials held back from a URL without TLS on a host that is neither loopback nor an insecure registry,
    /// or from a redirect to another host (see ``CredentialRefusal``).
    case credentialsRefused(CredentialRefusal)

    public var description: String {
        switch self {
        case .api(let status, let errors):
            guard let first = errors.first else { return "received unexpected HTTP status: \(status)" }
            return first.description
        case .unexpectedResponse(let status, let parseError, let body):
            return "error parsing HTTP \(status) response body: \(parseError): \(GoQuote.quote(body))"
        case .unexpectedStatus(let status, let reason):
            return "received unexpected HTTP status: \(status) \(reason)"
        case .manifestNotFound(let name, let cause):
            return "manifest for \(name) not found: \(cause)"
        case .repositoryNotFound(let name, let cause):
            return "repository \(name) not found: \(cause)"
        case .pullAccessDenied(let name, let cause):
            return "pull access denied for \(name), repository does not exist or may require 'docker login': \(cause)"
        case .manifestDigestMismatch(let expected):
            return "manifest verification failed for digest \(expected)"
        case .blobDigestMismatch(let expected):
            return "filesystem layer verification failed for digest \(expected)"
        case .blobSizeMismatch(let digest, let expected, let actual):
            return "blob \(digest) size mismatch: expected \(expected) bytes, got \(actual)"
        case .unsupportedManifest(let mediaType):
            return "unsupported manifest media type \(mediaType): Docker Image manifest version 2, schema 1 is not supported"
        case .transport(let method, let url, let reason):
            return "\(method) \"\(Redaction.url(url))\": \(reason)"
        case .truncated(let url):
            return "unexpected EOF reading \(Redaction.url(url))"
        case .invalidResponse(let text), .certificates(let text):
            return text
        case .loginFailed(let url, let status, let reason):
            return "login attempt to \(url) failed with status: \(status) \(reason)"
        case .tooLarge(let url, let limit):
            return "response from \(Redaction.url(url)) exceeds \(limit) bytes"
        case .noBasicAuthCredentials:
            return "no basic auth credentials"
        case .authorization(let method, let url, let cause):
            return "\(method) \"\(Redaction.url(url))\": \(cause)"
        case .credentialsRefused(let refusal):
            return refusal.description
        }
    }

    /// The first registry error code, when the registry sent one.
    public var code: String? {
        switch self {
        case .api(_, let errors): errors.first?.code
        case .manifestNotFound(_, let c), .repositoryNotFound(_, let c), .pullAccessDenied(_, let c): c.code
        default: nil
        }
    }

    /// HTTP status behind the error, when there was one.
    public var status: Int? {
        switch self {
        case .api(let s, _), .unexpectedResponse(let s, _, _), .unexpectedStatus(let s, _), .loginFailed(_, let s, _): s
        default: nil
        }
    }
}

/// Turns an error response into a ``RegistryError`` the way distribution's client does.
enum ErrorResponse {
    static func map(status: Int, reason: String, body: Data, challenges: [AuthChallenge]) -> RegistryError {
        guard status >= 400 && status < 500 else { return .unexpectedStatus(status: status, reason: reason) }
        // RFC 6750 errors in the Bearer challenge take precedence.
        for challenge in challenges where challenge.scheme == "bearer" {
            let code: String
            switch challenge.parameters["error"] {
            case "invalid_token": code = "UNAUTHORIZED"
            case "insufficient_scope": code = "DENIED"
            default: continue
            }
            let message = challenge.parameters["error_description"].flatMap { $0.isEmpty ? nil : $0 }
                ?? RegistryErrorEntry.knownCodes[code]!
            var errors = [RegistryErrorEntry(code: code, message: message)]
            if case .api(_, let more) = parse(status: status, body: body) { errors += more }
            return .api(status: status, errors: errors)
        }
        let parsed = parse(status: status, body: body)
        if case .unexpectedResponse = parsed, status == 401 {
            return .api(status: 401, errors: [RegistryErrorEntry(code: "UNAUTHORIZED", message: "authentication required")])
        }
        return parsed
    }

    static func parse(status: Int, body: Data) -> RegistryError {
        let text = String(decoding: body, as: UTF8.self)
        guard let json = try? JSONSerialization.jsonObject(with: body) else {
            let reason = body.isEmpty ? "unexpected end of JSON input" : "invalid character in JSON"
            return .unexpectedResponse(status: status, parseError: reason, body: text)
        }
        // Older token servers: {"details": "..."}.
        if let object = json as? [String: Any], let details = object["details"] as? String, !details.isEmpty {
            let code = status == 401 ? "UNAUTHORIZED" : status == 429 ? "TOOMANYREQUESTS" : "UNKNOWN"
            return .api(status: status, errors: [RegistryErrorEntry(code: code, message: details)])
        }
        guard let object = json as? [String: Any], let list = object["errors"] as? [[String: Any]], !list.isEmpty else {
            return .unexpectedResponse(status: status, parseError: "no error details found in HTTP response body", body: text)
        }
        return .api(status: status, errors: list.map { entry in
            let code = entry["code"] as? String ?? "UNKNOWN"
            let message = (entry["message"] as? String).flatMap { $0.isEmpty ? nil : $0 }
                ?? RegistryErrorEntry.knownCodes[code] ?? "unknown error"
            return RegistryErrorEntry(code: code, message: message)
        })
    }
}

extension RegistryError: KindedError {
    public var kind: ErrorKind {
        switch self {
        case .api(let status, let errors):
            return Self.kind(code: errors.first?.code, status: status)
        case .unexpectedResponse(let status, _, _), .unexpectedStatus(let status, _):
            return Self.kind(code: nil, status: status)
        case .loginFailed(_, let status, _):
            return Self.kind(code: nil, status: status)
        case .manifestNotFound, .repositoryNotFound: return .notFound
        case .pullAccessDenied, .credentialsRefused: return .denied
        case .noBasicAuthCredentials, .authorization: return .unauthorized
        case .unsupportedManifest, .tooLarge, .certificates: return .invalidArgument
        // A registry that sends bytes other than it promised, or drops the connection, may do better later.
        case .manifestDigestMismatch, .blobDigestMismatch, .blobSizeMismatch, .transport, .truncated, .invalidResponse:
            return .unavailable
        }
    }

    /// The distribution spec's error codes first, then the HTTP status.
    static func kind(code: String?, status: Int) -> ErrorKind {
        switch code {
        case "UNAUTHORIZED": return .unauthorized
        case "DENIED": return .denied
        case "NAME_UNKNOWN", "MANIFEST_UNKNOWN", "BLOB_UNKNOWN", "BLOB_UPLOAD_UNKNOWN": return .notFound
        case "NAME_INVALID", "TAG_INVALID", "MANIFEST_INVALID", "MANIFEST_BLOB_UNKNOWN", "DIGEST_INVALID", "SIZE_INVALID",
             "BLOB_UPLOAD_INVALID", "RANGE_INVALID", "MANIFEST_UNVERIFIED", "PAGINATION_NUMBER_INVALID":
            return .invalidArgument
        case "TOOMANYREQUESTS", "UNAVAILABLE": return .unavailable
        default: break
        }
        switch status {
        case 401: return .unauthorized
        case 403: return .denied
        case 404: return .notFound
        case 409: return .conflict
        case 429, 500...: return .unavailable
        case 400..<500: return .invalidArgument
        default: return .internal
        }
    }
}
