import Foundation
import GoText
import OCI
@testable import Registry
import Testing

/// Collects the verbose log lines of a client.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}

func testOptions(_ log: LogLines? = nil, chunk: Int? = nil) -> RegistryClientOptions {
    var sink: (@Sendable (String) -> Void)?
    let echo = ProcessInfo.processInfo.environment["REGISTRY_TEST_LOG"] != nil
    if let log { sink = { if echo { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }; log.append($0) } } else if echo { sink = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) } }
    return RegistryClientOptions(connectTimeout: .seconds(5), requestTimeout: .seconds(20), maxAttempts: 3,
                                 retryBaseDelay: .milliseconds(10), forcedChunkSize: chunk, log: sink, proxyEnvironment: [:])
}

func readAll(_ stream: RegistryBlobStream) async throws -> [UInt8] {
    var out: [UInt8] = []
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 10_000, alignment: 1)
    defer { buffer.deallocate() }
    while true {
        let n = try await stream.read(into: buffer)
        if n == 0 { return out }
        out += buffer[..<n]
    }
}

@Suite(.serialized) struct RegistryLoopbackTests {
    @Test func pushPullTagsMountDeleteAgainstDistribution() async throws {
        guard let registry = try LocalRegistry.startIfAvailable() else { return }
        defer { registry.stop() }
        let log = LogLines()
        let client = RegistryClient(options: testOptions(log))
        let chunked = RegistryClient(options: testOptions(chunk: 64 << 10))
        do {
            let repo = RegistryRepository(registry: registry.host, path: "strata/test")
            let config = Array(#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#.utf8)
            let configDigest = Digest.sha256(config)
            let layer = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7919 >> 3) }
            let layerDigest = Digest.sha256(layer)

            // Monolithic, then HEAD-skip.
            #expect(try await client.uploadBlob(repo, digest: configDigest, size: Int64(config.count), mountFrom: nil) {
                DataUploadBody(config)
            } == .uploaded)
            #expect(try await client.uploadBlob(repo, digest: configDigest, size: Int64(config.count), mountFrom: nil) {
                DataUploadBody(config)
            } == .existed)
            // Chunked (5 PATCHes of 64 KiB), then a cross-repo mount.
            #expect(try await chunked.uploadBlob(repo, digest: layerDigest, size: Int64(layer.count), mountFrom: nil) {
                DataUploadBody(layer)
            } == .uploaded)
            #expect(try await client.blobSize(repo, digest: layerDigest) == Int64(layer.count))
            let other = RegistryRepository(registry: registry.host, path: "strata/other")
            #expect(try await client.uploadBlob(other, digest: layerDigest, size: Int64(layer.count), mountFrom: repo) {
                DataUploadBody(layer)
            } == .mounted)
            #expect(try await client.blobSize(other, digest: layerDigest) == Int64(layer.count))

            // Pull the blob back, verified.
            let stream = try await client.openBlob(other, digest: layerDigest, size: Int64(layer.count))
            #expect(try await readAll(stream) == layer)

            // Manifests of each flavour.
            let oci = ImageManifest(mediaType: MediaType.ociManifest,
                                    config: Descriptor(mediaType: MediaType.ociConfig, digest: configDigest, size: Int64(config.count)),
                                    layers: [Descriptor(mediaType: MediaType.ociLayerGzip, digest: layerDigest, size: Int64(layer.count))])
            let ociData = GoJSON.encode(oci)
            let ociDigest = try await client.putManifest(repo, reference: "v1", data: ociData, mediaType: MediaType.ociManifest)
            #expect(ociDigest == Digest.sha256(ociData))
            var docker = oci
            docker.mediaType = MediaType.dockerManifest
            docker.config.mediaType = MediaType.dockerConfig
            docker.layers[0].mediaType = MediaType.dockerLayerGzip
            let dockerData = GoJSON.encode(docker)
            let dockerDigest = try await client.putManifest(repo, reference: "docker", data: dockerData, mediaType: MediaType.dockerManifest)
            let index = ImageIndex(mediaType: MediaType.ociIndex, manifests: [
                Descriptor(mediaType: MediaType.ociManifest, digest: ociDigest, size: Int64(ociData.count),
                           platform: Platform(os: "linux", architecture: "amd64")),
            ])
            let indexData = GoJSON.encode(index)
            let indexDigest = try await client.putManifest(repo, reference: "index", data: indexData, mediaType: MediaType.ociIndex)

            let gotOCI = try await client.manifest(repo, reference: "v1", accept: [MediaType.ociManifest])
            #expect(gotOCI.mediaType == MediaType.ociManifest && gotOCI.data == ociData && gotOCI.digest == ociDigest)
            let gotDocker = try await client.manifest(repo, reference: "docker", accept: [MediaType.dockerManifest])
            #expect(gotDocker.mediaType == MediaType.dockerManifest && gotDocker.digest == dockerDigest)
            let gotIndex = try await client.manifest(repo, reference: "index")
            #expect(gotIndex.mediaType == MediaType.ociIndex && gotIndex.digest == indexDigest)
            let byDigest = try await client.manifest(repo, reference: ociDigest.description)
            #expect(byDigest.data == ociData)
            #expect(try await client.manifestDescriptor(repo, reference: "v1")
                == Descriptor(mediaType: MediaType.ociManifest, digest: ociDigest, size: Int64(ociData.count)))
            #expect(try await client.manifestDescriptor(repo, reference: "docker")?.mediaType == MediaType.dockerManifest)
            #expect(try await client.manifestDescriptor(repo, reference: "nosuch") == nil)

            // A missing tag prints docker's text.
            do {
                _ = try await client.manifest(repo, reference: "nosuch")
                Issue.record("missing tag fetched")
            } catch {
                #expect("\(error)" == "manifest for \(registry.host)/strata/test:nosuch not found: manifest unknown: manifest unknown")
            }

            // Tags, paginated two at a time.
            for tag in ["t1", "t2", "t3"] {
                _ = try await client.putManifest(repo, reference: tag, data: ociData, mediaType: MediaType.ociManifest)
            }
            let expectedTags = ["docker", "index", "t1", "t2", "t3", "v1"]
            // distribution 2.8.2 ignores `n` and sends no Link; paging itself is covered by LinkAndURLTests.
            #expect(try await client.tags(repo, pageSize: 2).sorted() == expectedTags)
            #expect(try await client.tags(repo).sorted() == expectedTags)

            // Referrers: distribution 2.8 has no API, so the tag schema answers.
            #expect(try await client.referrers(repo, digest: ociDigest).manifests.isEmpty)
            let referrer = Descriptor(mediaType: MediaType.ociManifest, digest: dockerDigest, size: Int64(dockerData.count),
                                      artifactType: "application/vnd.example.sig")
            let tagIndex = GoJSON.encode(ImageIndex(manifests: [referrer]))
            _ = try await client.putManifest(repo, reference: "sha256-" + ociDigest.encoded, data: tagIndex, mediaType: MediaType.ociIndex)
            #expect(try await client.referrers(repo, digest: ociDigest).manifests.map(\.digest) == [dockerDigest])
            #expect(try await client.referrers(repo, digest: ociDigest, artifactType: "application/vnd.example.sig").manifests.count == 1)
            #expect(try await client.referrers(repo, digest: ociDigest, artifactType: "other/type").manifests.isEmpty)

            // Deletes.
            try await client.deleteManifest(repo, digest: dockerDigest)
            #expect(try await client.manifestDescriptor(repo, reference: dockerDigest.description) == nil)
            try await client.deleteBlob(other, digest: layerDigest)
            #expect(try await client.blobSize(other, digest: layerDigest) == nil)

            #expect(log.all.contains { $0.hasPrefix("--> PUT ") })
            #expect(log.all.contains { $0.hasPrefix("<-- 201 PUT ") })
        } catch {
            try? await client.shutdown()
            try? await chunked.shutdown()
            throw error
        }
        try await client.shutdown()
        try await chunked.shutdown()
    }

    @Test func droppedConnectionResumesWithRange() async throws {
        let size = 200_000
        let server = try FaultServer(mode: "drop", blobSize: size)
        defer { server.stop() }
        let log = LogLines()
        let client = RegistryClient(options: testOptions(log))
        let blob = FaultServer.blob(size: size)
        let repo = RegistryRepository(registry: "127.0.0.1:\(server.port)", path: "t")
        let stream = try await client.openBlob(repo, digest: Digest.sha256(blob), size: Int64(size))
        let got = try await readAll(stream)
        #expect(got == blob)
        let ranges = try await rangesSeen(client, server.port)
        #expect(ranges.hasPrefix("none,bytes="))
        try await client.shutdown()
    }

    @Test func serverIgnoringRangeIsReadFromTheStart() async throws {
        let size = 150_000
        let server = try FaultServer(mode: "norange", blobSize: size)
        defer { server.stop() }
        let client = RegistryClient(options: testOptions())
        let blob = FaultServer.blob(size: size)
        let repo = RegistryRepository(registry: "127.0.0.1:\(server.port)", path: "t")
        let stream = try await client.openBlob(repo, digest: Digest.sha256(blob), size: nil)
        #expect(try await readAll(stream) == blob)
        try await client.shutdown()
    }

    @Test func corruptedBlobFailsVerification() async throws {
        let size = 100_000
        let server = try FaultServer(mode: "corrupt", blobSize: size)
        defer { server.stop() }
        let client = RegistryClient(options: testOptions())
        let digest = Digest.sha256(FaultServer.blob(size: size))
        let repo = RegistryRepository(registry: "127.0.0.1:\(server.port)", path: "t")
        let stream = try await client.openBlob(repo, digest: digest, size: Int64(size))
        do {
            _ = try await readAll(stream)
            Issue.record("corrupted blob accepted")
        } catch {
            #expect("\(error)" == "filesystem layer verification failed for digest \(digest)")
        }
        try await client.shutdown()
    }

    func rangesSeen(_ client: RegistryClient, _ port: Int) async throws -> String {
        let request = RegistryRequest(method: .GET, url: "http://127.0.0.1:\(port)/ranges", registry: "x")
        let response = try await client.transport.send(request)
        return String(decoding: try await client.transport.collect(response, limit: 1 << 16, url: request.url), as: UTF8.self)
    }
}
