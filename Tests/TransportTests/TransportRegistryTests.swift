import Foundation
import OCI
import Registry
import Store
import Testing
@testable import Transport

/// A transport of the test's own, registered by prefix: parsing and opening go through it, nothing else changes.
@Suite struct TransportRegistryTests {
    /// `count:LABEL`: a destination that only counts what it receives.
    struct CountingTransport: ImageTransportKind {
        var prefix: String { "count" }
        func parse(_ rest: String, whole: String) throws(TransportNameError) -> any TransportEndpoint {
            guard !rest.isEmpty else { throw TransportNameError("count: needs a label") }
            return CountingEndpoint(label: rest)
        }
    }

    struct CountingEndpoint: TransportEndpoint {
        let label: String
        var description: String { "count:" + label }
        var destinationNames: [ImageReference]? { nil }
        func source(in context: CopyEndpoints) async throws -> any ImageSource {
            throw TransportError.unsupported("count: is write-only")
        }
        func destination(in context: CopyEndpoints) throws -> any ImageDestination { CountingDestination() }
    }

    final class CountingDestination: ImageDestination {
        var layers = 0, images = 0
        var layerDelivery: LayerDelivery { .asStored }
        func hasLayer(_ layer: TransportLayer) async throws -> Bool { false }
        func putLayer(_ layer: TransportLayer, from reader: VerifyingBlobReader) async throws {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
            defer { buffer.deallocate() }
            while try await reader.read(into: buffer) > 0 {}
            try reader.finish()
            layers += 1
        }
        func putImage(_ image: TransportImage) async throws -> Digest? { images += 1; return nil }
        func commit() async throws {}
        func abort() async {}
    }

    @Test func aRegisteredTransportParsesAndOpens() async throws {
        // Unregistered, `count:x` is a local name (like `busybox:x`); registered, it is the transport's.
        #expect(try TransportName("count:x") == .store("count:x"))
        let transports = TransportRegistry.standard.adding(CountingTransport())
        #expect(transports.prefixes.contains("count"))
        let name = try TransportName("count:x", transports: transports)
        #expect(name.description == "count:x")
        #expect(name == TransportName(endpoint: CountingEndpoint(label: "x")))
        #expect(name != TransportName(endpoint: CountingEndpoint(label: "y")))
        #expect(throws: TransportNameError.self) { try TransportName("count:", transports: transports) }
        // The standard prefixes still parse the same through the extended registry.
        #expect(try TransportName("oci:dir:tag", transports: transports) == .ociLayout(path: "dir", reference: "tag"))

        let fixture = try TransportFixture()
        defer { fixture.cleanup() }
        try fixture.importImage("counted", tag: "x/counted:1")
        let client = RegistryClient(options: RegistryClientOptions(), credentials: NoCredentialsForTests())
        defer { Task { try? await client.shutdown() } }
        let endpoints = CopyEndpoints(client: client, openStore: { fixture.store })
        defer { endpoints.close() }
        let destination = try endpoints.destination(name)
        let counting = try #require(destination as? CountingDestination)
        try await ImageCopier().copy(from: try endpoints.source(try TransportName("strata:x/counted:1", transports: transports)),
                                     to: counting)
        #expect(counting.layers == 1 && counting.images == 1)
    }
}

struct NoCredentialsForTests: CredentialSource {
    func credentials(for registry: String) throws -> RegistryCredentials? { nil }
}
