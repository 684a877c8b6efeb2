import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// GETs a file at any http(s) URL through the registry client's HTTP stack, for `ADD <url>` and the like: the
/// same proxy choice (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY` from ``RegistryClientOptions/proxyEnvironment``),
/// the same TLS per host (system roots plus `<certsDirectory>/<host[:port]>/` CAs and client certificate, no
/// verification for hosts allowed to be insecure), timeouts, retries, user agent and exchange log as a
/// ``RegistryClient`` made with the same options. No credentials are ever sent.
///
///     let fetcher = HTTPFetcher(options: try RegistrySettings.load().clientOptions())
///     let size = try await fetcher.get("https://example.com/file.tar") { file in
///         var count = 0
///         for try await chunk in file.body { count += chunk.count }
///         return count
///     }
public struct HTTPFetcher: Sendable {
    public let options: RegistryClientOptions

    public init(options: RegistryClientOptions = RegistryClientOptions()) {
        self.options = options
    }

    /// GETs `url`, following redirects (at most 10, proxy and TLS chosen again for each host), and hands the
    /// response to `read` with its body unread. Connections are closed when `read` returns, so the ``RemoteFile``
    /// must not be kept beyond it.
    ///
    /// - Throws: ``RegistryError/unexpectedStatus(status:reason:)`` when the final status is not 2xx (`read` is
    ///   not called), ``RegistryError/transport(method:url:reason:)`` when no connection could be made, or
    ///   whatever `read` throws.
    @discardableResult
    public func get<Result>(_ url: String, _ read: (RemoteFile) async throws -> Result) async throws -> Result {
        let transport = HTTPTransport(options: options, credentials: AnonymousCredentials())
        let result: Result
        do {
            let request = RegistryRequest(method: .GET, url: url, registry: HTTPTransport.hostPort(of: url),
                                          streaming: true, authenticate: false)
            let response = try await transport.send(request)
            guard (200..<300).contains(response.status.code) else {
                await transport.drain(response)
                throw RegistryError.unexpectedStatus(status: Int(response.status.code), reason: response.status.reasonPhrase)
            }
            result = try await read(RemoteFile(url: url, response: response))
        } catch {
            try? await transport.shutdown()
            throw error
        }
        try? await transport.shutdown()
        return result
    }
}

/// A successful response of ``HTTPFetcher/get(_:_:)``: its headers, and its body as it streams in.
public struct RemoteFile: Sendable {
    /// The URL asked for (before any redirect).
    public let url: String
    public let status: Int
    /// The body in the chunks the network delivers (tens of KiB each), read once.
    public let body: Body
    private let headers: HTTPHeaders

    init(url: String, response: HTTPClientResponse) {
        self.url = url
        status = Int(response.status.code)
        headers = response.headers
        body = Body(response.body)
    }

    /// The first value of header `name` (case-insensitive), if sent.
    public func header(_ name: String) -> String? { headers.first(name: name) }

    /// `Last-Modified` as sent (an HTTP date), if any.
    public var lastModified: String? { header("Last-Modified") }

    /// `Content-Length`, when the server announced one.
    public var contentLength: Int64? { header("Content-Length").flatMap { Int64($0) } }

    /// The body's bytes, chunk by chunk.
    public struct Body: AsyncSequence, Sendable {
        public typealias Element = [UInt8]
        private let source: HTTPClientResponse.Body

        init(_ source: HTTPClientResponse.Body) { self.source = source }

        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(source.makeAsyncIterator()) }

        public struct AsyncIterator: AsyncIteratorProtocol {
            private var source: HTTPClientResponse.Body.AsyncIterator

            init(_ source: HTTPClientResponse.Body.AsyncIterator) { self.source = source }

            public mutating func next() async throws -> [UInt8]? {
                guard let buffer = try await source.next() else { return nil }
                return Array(buffer.readableBytesView)
            }
        }
    }
}
