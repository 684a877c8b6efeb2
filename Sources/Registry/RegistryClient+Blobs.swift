import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OCI

extension RegistryClient {
    /// HEAD a blob: its size, or nil when the repository does not have it.
    public func blobSize(_ repo: RegistryRepository, digest: Digest) async throws -> Int64? {
        try await blobSize(repo, digest: digest, scopes: [repo.scope("pull")])
    }

    func blobSize(_ repo: RegistryRepository, digest: Digest, scopes: [String]) async throws -> Int64? {
        let request = try await self.request(.HEAD, repo, "blobs/" + digest.description, scopes: scopes)
        let response = try await transport.send(request)
        // A response body can be read once: error(for:) reads it, so it is drained only on the other paths.
        switch response.status {
        case .ok:
            await transport.drain(response)
            return response.headers.first(name: "Content-Length").flatMap { Int64($0) } ?? 0
        case .notFound:
            await transport.drain(response)
            return nil
        default:
            throw await transport.error(for: response, url: request.url)
        }
    }

    /// GET a blob as a verified stream (see ``RegistryBlobStream``).
    public func openBlob(_ repo: RegistryRepository, digest: Digest, size: Int64?) async throws -> RegistryBlobStream {
        var request = try await self.request(.GET, repo, "blobs/" + digest.description, scopes: [repo.scope("pull")])
        request.streaming = true
        let response = try await transport.send(request)
        guard response.status == .ok else { throw await transport.error(for: response, url: request.url) }
        return RegistryBlobStream(digest: digest, size: size, transport: transport, request: request, response: response)
    }

    /// The platform of an image manifest, read from its config (what docker shows in `Descriptor.platform`).
    public func platform(of manifest: FetchedManifest, in repository: RegistryRepository) async throws -> Platform {
        let parsed = try JSONDecoder().decode(ImageManifest.self, from: manifest.data)
        let data = try await smallBlob(repository, descriptor: parsed.config)
        return try JSONDecoder().decode(ImageConfig.self, from: data).platform
    }

    /// A small blob (a config, a signature payload) read whole and verified against its descriptor's digest and size;
    /// a descriptor larger than `limit` is refused before anything is fetched.
    public func smallBlob(_ repo: RegistryRepository, descriptor: Descriptor, limit: Int64 = 16 << 20) async throws -> Data {
        guard descriptor.size >= 0, descriptor.size <= limit else {
            throw RegistryError.invalidResponse("blob \(descriptor.digest) is \(descriptor.size) bytes, more than the \(limit) allowed")
        }
        let stream = try await openBlob(repo, digest: descriptor.digest, size: descriptor.size)
        defer { stream.close() }
        var data = Data(capacity: Int(descriptor.size))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try await stream.read(into: buffer)
            if count == 0 { break }
            data.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
        return data
    }

    /// Puts a blob into `repo`: skipped when HEAD finds it, mounted from `mountFrom` (same registry) when the
    /// registry agrees, else uploaded in one PUT or in PATCH chunks (``RegistryClientOptions/forcedChunkSize``,
    /// raised to the registry's `OCI-Chunk-Min-Length`). A failed upload restarts from byte 0 with a fresh `body()`.
    public func uploadBlob(_ repo: RegistryRepository, digest: Digest, size: Int64, mountFrom: RegistryRepository?,
                           body: @escaping @Sendable () async throws -> any UploadBody) async throws -> BlobUploadOutcome {
        var scopes = [repo.scope("pull,push")]
        let mountSource = mountFrom.flatMap { $0.registry == repo.registry && $0.path != repo.path ? $0 : nil }
        if let mountSource { scopes.append(mountSource.scope("pull")) }
        if try await blobSize(repo, digest: digest, scopes: scopes) != nil { return .existed }

        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await uploadOnce(repo, digest: digest, size: size, mountFrom: attempt == 1 ? mountSource : nil,
                                            scopes: scopes, body: body)
            } catch {
                guard attempt < options.maxAttempts, RegistryClient.uploadIsRetryable(error), transport.retryBudget.spend() else {
                    throw error
                }
                try await Task.sleep(for: transport.retry.delay(afterAttempt: attempt))
            }
        }
    }

    /// False once this client has spent its retries (see ``RetryBudget``): callers that retry on their own
    /// (the image copier reopening a layer) should stop too.
    public var mayRetry: Bool { !transport.retryBudget.isSpent }

    static func uploadIsRetryable(_ error: any Error) -> Bool {
        if let error = error as? RegistryError {
            switch error {
            case .transport, .truncated: return true
            case .unexpectedStatus(let status, _): return RetryPolicy.isRetryable(status: status)
            case .api(let status, let errors):
                return RetryPolicy.isRetryable(status: status) || errors.first?.code == "BLOB_UPLOAD_UNKNOWN"
            default: return false
            }
        }
        if error is UploadRestartRequired { return true }
        return RetryPolicy.isRetryable(error: error)
    }

    private func uploadOnce(_ repo: RegistryRepository, digest: Digest, size: Int64, mountFrom: RegistryRepository?,
                            scopes: [String], body: @Sendable () async throws -> any UploadBody) async throws -> BlobUploadOutcome {
        var start = try await self.request(.POST, repo, "blobs/uploads/", scopes: scopes)
        if let mountFrom {
            start.url += "?mount=" + digest.description.queryEscaped + "&from=" + mountFrom.path.queryEscaped
        }
        start.body = .bytes(Data())
        let started = try await transport.send(start)
        if started.status == .created, mountFrom != nil {
            await transport.drain(started)
            return .mounted
        }
        guard started.status == .accepted, let location = started.headers.first(name: "Location") else {
            throw await transport.error(for: started, url: start.url)
        }
        await transport.drain(started)
        let minimumChunk = started.headers.first(name: "OCI-Chunk-Min-Length").flatMap { Int64($0) }
        var chunkSize: Int64? = options.forcedChunkSize.map { Int64(max($0, 1)) }
        if let minimumChunk, minimumChunk > 0 { chunkSize = max(chunkSize ?? minimumChunk, minimumChunk) }

        let reader = UploadReader(try await body())
        var uploadURL = HTTPTransport.resolve(location, against: start.url)
        var offset: Int64 = 0
        if let chunkSize, chunkSize < size {
            while offset < size {
                let length = min(chunkSize, size - offset)
                var patch = RegistryRequest(method: .PATCH, url: uploadURL, scopes: scopes, registry: repo.registry)
                patch.streaming = true
                patch.headers.add(name: "Content-Type", value: "application/octet-stream")
                patch.headers.add(name: "Content-Range", value: "\(offset)-\(offset + length - 1)")
                patch.body = .stream(length: length, open: reader.opener(at: offset, length: length))
                let response = try await transport.send(patch)
                guard response.status == .accepted || response.status == .noContent else {
                    throw await transport.error(for: response, url: patch.url)
                }
                await transport.drain(response)
                if let next = response.headers.first(name: "Location") { uploadURL = HTTPTransport.resolve(next, against: uploadURL) }
                offset += length
            }
        }
        var put = RegistryRequest(method: .PUT, url: uploadURL, scopes: scopes, registry: repo.registry)
        put.url += (uploadURL.contains("?") ? "&" : "?") + "digest=" + digest.description.queryEscaped
        put.streaming = true
        put.headers.add(name: "Content-Type", value: "application/octet-stream")
        let remaining = size - offset
        put.body = remaining > 0 ? .stream(length: remaining, open: reader.opener(at: offset, length: remaining)) : .bytes(Data())
        let finished = try await transport.send(put)
        guard finished.status == .created || finished.status == .noContent || finished.status == .ok else {
            throw await transport.error(for: finished, url: put.url)
        }
        await transport.drain(finished)
        return .uploaded
    }
}
