import Foundation
import Testing
@testable import Registry

/// `HTTPFetcher` (ADD <url>'s download) against the registry double acting as the HTTP proxy: the hosts are not
/// loopback by name, so only a request that went through the proxy can reach them.
@Suite(.serialized) struct HTTPFetcherTests {
    @Test func getsThroughTheProxyAndFollowsRedirects() async throws {
        let server = try RealmDouble(challenge: "basic")
        defer { server.stop() }
        let fetcher = HTTPFetcher(options: server.options())
        let (body, lastModified, length) = try await fetcher.get("http://files.test:\(server.port)/moved") { file in
            var bytes: [UInt8] = []
            for try await chunk in file.body { bytes += chunk }
            return (bytes, file.lastModified, file.contentLength)
        }
        #expect(String(decoding: body, as: UTF8.self) == RealmDouble.blob)
        #expect(lastModified == "Wed, 01 Jan 2020 03:04:05 GMT")
        #expect(length == Int64(RealmDouble.blob.utf8.count))
        let seen = try await server.requests().filter { $0.method == "GET" }.map(\.description)
        #expect(seen == ["GET files.test:\(server.port)/moved", "GET cdn.test:\(server.port)/blob"])
    }

    @Test func aStatusOtherThan2xxIsAnErrorAndTheBodyIsNotHandedOver() async throws {
        let server = try RealmDouble(challenge: "basic")
        defer { server.stop() }
        let fetcher = HTTPFetcher(options: server.options())
        do {
            try await fetcher.get("http://other.test:\(server.port)/file") { _ in Issue.record("an error response was handed over") }
            Issue.record("a 401 was fetched")
        } catch RegistryError.unexpectedStatus(let status, _) {
            #expect(status == 401)
        }
    }

    @Test func noProxyMeansNoProxy() async throws {
        let server = try RealmDouble(challenge: "basic")
        defer { server.stop() }
        var options = server.options()
        options.proxyEnvironment["NO_PROXY"] = "files.test"
        await #expect(throws: RegistryError.self) {
            try await HTTPFetcher(options: options).get("http://files.test:\(server.port)/moved") { _ in }
        }
        #expect(try await server.requests().isEmpty)
    }
}
