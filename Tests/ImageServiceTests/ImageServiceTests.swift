import Foundation
import OCI
import Registry
import Store
import Testing
import Transport
@testable import ImageService

/// No credentials at all: every registry is anonymous.
struct NoCredentials: CredentialSource {
    func credentials(for registry: String) throws -> RegistryCredentials? { nil }
}

/// A service over a throw-away root, called directly: no binary, no process globals.
struct ServiceFixture {
    let directory: String
    let service: ImageService

    init() throws {
        directory = NSTemporaryDirectory() + "strata-service-tests-\(UUID().uuidString)"
        service = ImageService(environment: ServiceEnvironment(root: StoreRoot(path: directory), credentials: NoCredentials()))
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: directory) }
}

@Suite struct ImageServiceTests {
    @Test func servicesSharingAStoreOpenItOnce() throws {
        let fixture = try ServiceFixture()
        defer { fixture.cleanup() }
        let other = ImageService(environment: fixture.service.environment, sharing: fixture.service)
        #expect(try fixture.service.store() === other.store())
        #expect(try fixture.service.store().images().isEmpty)
    }

    @Test func pushOfAMissingTagIsNotFound() async throws {
        let fixture = try ServiceFixture()
        defer { fixture.cleanup() }
        do {
            _ = try await fixture.service.push(PushOptions(reference: try ImageReference("127.0.0.1:9/none/here:1")))
            Issue.record("push of a missing tag succeeded")
        } catch {
            #expect(ErrorKind.of(error) == .notFound)
            #expect("\(error)" == "An image does not exist locally with the tag: 127.0.0.1:9/none/here")
        }
    }

    @Test func pullFromAnUnreachableRegistryIsUnavailable() async throws {
        let fixture = try ServiceFixture()
        defer { fixture.cleanup() }
        var options = fixture.service.environment
        options.registryOptions.insecureRegistries = ["127.0.0.1:9"]
        let service = ImageService(environment: options)
        await #expect(throws: (any Error).self) {
            _ = try await service.pull(PullOptions(reference: try ImageReference("127.0.0.1:9/none/here:1")))
        }
        do {
            _ = try await service.pull(PullOptions(reference: try ImageReference("127.0.0.1:9/none/here:1")))
        } catch {
            #expect(ErrorKind.of(error) == .unavailable, "\(error)")
        }
    }
}
