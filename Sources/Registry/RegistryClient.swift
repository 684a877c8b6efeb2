import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import GoText
import OCI

/// A manifest as fetched: its exact bytes, media type and verified digest.
public struct FetchedManifest: Sendable, Hashable {
    public var data: Data
    public var mediaType: String
    public var digest: Digest

    public init(data: Data, mediaType: String, digest: Digest) {
        self.data = data
        self.mediaType = mediaType
        self.digest = digest
    }

    public var descriptor: Descriptor { Descriptor(mediaType: mediaType, digest: digest, size: Int64(data.count)) }
}

/// How ``RegistryClient/uploadBlob(_:digest:size:mountFrom:body:)`` got the blob into the repository.
public enum BlobUploadOutcome: Sendable, Hashable {
    /// The repository already had it (HEAD said so); nothing was sent.
    case existed
    /// Mounted from another repository of the same registry.
    case mounted
    case uploaded
}

/// An OCI distribution API client (docker registry v2): manifests, blobs, uploads, tags, referrers, deletes,
/// with docker's token/basic auth, TLS rules, proxies, retries and error wording.
public final class RegistryClient: Sendable {
    /// Accepted manifest types, most preferred first: OCI index/manifest, Docker manifest list/schema 2.
    public static let defaultManifestAccept = [MediaType.ociIndex, MediaType.ociManifest,
                                               MediaType.dockerManifestList, MediaType.dockerManifest]
    /// docker's limit on a manifest body.
    static let maximumManifestSize = 4 << 20

    let transport: HTTPTransport
    public var options: RegistryClientOptions { transport.options }

    public init(options: RegistryClientOptions = .init(), credentials: any CredentialSource = AnonymousCredentials()) {
        transport = HTTPTransport(options: options, credentials: credentials)
    }

    /// Closes connections; the client cannot be used afterwards.
    public func shutdown() async throws { try await transport.shutdown() }

    // MARK: Login

    /// GET /v2/ with these credentials (login). Returns an identity token when the token service issued a
    /// refresh token.
    public func checkLogin(registry: String, credentials: RegistryCredentials) async throws -> String? {
        let host = RegistryRepository.endpointHost(for: registry)
        let url = try await transport.baseURL(for: host) + "/v2/"
        var request = RegistryRequest(method: .GET, url: url, registry: registry)
        request.credentials = credentials
        let response = try await transport.send(request)
        guard response.status == .ok else {
            await transport.drain(response)
            throw RegistryError.loginFailed(url: url, status: Int(response.status.code), reason: response.status.reasonPhrase)
        }
        await transport.drain(response)
        return await transport.auth.takeRefreshToken(hostPort: host)
    }

    // MARK: Manifests

    /// GET a manifest by tag or digest. The digest is verified against a digest reference, and against the
    /// registry's `Docker-Content-Digest` when sent. Schema 1 manifests are refused.
    public func manifest(_ repo: RegistryRepository, reference: String,
                         accept: [String] = RegistryClient.defaultManifestAccept) async throws -> FetchedManifest {
        var request = try await self.request(.GET, repo, "manifests/" + reference, scopes: [repo.scope("pull")])
        request.headers.add(name: "Accept", value: accept.joined(separator: ", "))
        let response = try await transport.send(request)
        guard response.status == .ok else {
            throw RegistryClient.pullError(await transport.error(for: response, url: request.url), repo: repo, reference: reference)
        }
        let data = try await transport.collect(response, limit: RegistryClient.maximumManifestSize, url: request.url)
        let mediaType = try RegistryClient.manifestMediaType(contentType: response.headers.first(name: "Content-Type"), body: data)
        let sent = response.headers.first(name: "Docker-Content-Digest").flatMap { try? Digest($0) }
        let expected = (try? Digest(reference)) ?? sent
        let digest = ContentHasher.digest(of: data, algorithm: expected?.algorithm ?? "sha256")
        if let expected, digest != expected { throw RegistryError.manifestDigestMismatch(expected: expected) }
        if let sent, sent != expected, ContentHasher.digest(of: data, algorithm: sent.algorithm) != sent {
            throw RegistryError.manifestDigestMismatch(expected: sent)
        }
        return FetchedManifest(data: data, mediaType: mediaType, digest: digest)
    }

    /// HEAD a manifest: its descriptor, or nil when the registry has no such manifest. Falls back to GET
    /// when the registry does not send `Docker-Content-Digest` on HEAD.
    public func manifestDescriptor(_ repo: RegistryRepository, reference: String) async throws -> Descriptor? {
        var request = try await self.request(.HEAD, repo, "manifests/" + reference, scopes: [repo.scope("pull")])
        request.headers.add(name: "Accept", value: RegistryClient.defaultManifestAccept.joined(separator: ", "))
        let response = try await transport.send(request)
        switch response.status {
        case .ok:
            await transport.drain(response)
            let digest = response.headers.first(name: "Docker-Content-Digest").flatMap { try? Digest($0) }
            let size = response.headers.first(name: "Content-Length").flatMap { Int64($0) }
            let type = response.headers.first(name: "Content-Type").map(RegistryClient.bareMediaType) ?? ""
            if let digest, let size, !type.isEmpty, !RegistryClient.isSchema1(type) {
                return Descriptor(mediaType: type, digest: digest, size: size)
            }
            return try await manifest(repo, reference: reference).descriptor
        case .notFound:
            await transport.drain(response)
            return nil
        default:
            throw RegistryClient.pullError(await transport.error(for: response, url: request.url), repo: repo, reference: reference)
        }
    }

    /// PUT a manifest under a tag or digest; returns its digest (the registry's `Docker-Content-Digest` is
    /// checked against the bytes sent).
    public func putManifest(_ repo: RegistryRepository, reference: String, data: Data, mediaType: String) async throws -> Digest {
        try await putManifestAnswering(repo, reference: reference, data: data, mediaType: mediaType).digest
    }

    /// PUT a manifest; also says whether the registry took note of its `subject` (the `OCI-Subject` header).
    private func putManifestAnswering(_ repo: RegistryRepository, reference: String, data: Data, mediaType: String) async throws
        -> (digest: Digest, subjectNoted: Bool) {
        var request = try await self.request(.PUT, repo, "manifests/" + reference, scopes: [repo.scope("pull,push")])
        request.headers.add(name: "Content-Type", value: mediaType)
        request.body = .bytes(data)
        let response = try await transport.send(request)
        guard response.status == .created || response.status == .ok || response.status == .accepted else {
            throw await transport.error(for: response, url: request.url)
        }
        await transport.drain(response)
        let digest = Digest.sha256(data)
        if let sent = response.headers.first(name: "Docker-Content-Digest").flatMap({ try? Digest($0) }),
           ContentHasher.digest(of: data, algorithm: sent.algorithm) != sent {
            throw RegistryError.manifestDigestMismatch(expected: sent)
        }
        return (digest, response.headers.first(name: "OCI-Subject") != nil)
    }

    /// PUT an artifact manifest that refers to `subject`, by digest. A registry without the referrers API does not
    /// answer with `OCI-Subject`; then, as the distribution spec asks of clients, the `<alg>-<hex>` tag of the
    /// subject is updated to an index that lists the artifact too.
    public func putReferrer(_ repo: RegistryRepository, data: Data, mediaType: String, artifactType: String?,
                            annotations: [String: String]?, subject: Digest) async throws -> Digest {
        let digest = Digest.sha256(data)
        let answer = try await putManifestAnswering(repo, reference: digest.description, data: data, mediaType: mediaType)
        guard !answer.subjectNoted else { return answer.digest }
        let entry = Descriptor(mediaType: mediaType, digest: digest, size: Int64(data.count), annotations: annotations,
                               artifactType: artifactType)
        var listed = try await referrersByTag(repo, digest: subject, artifactType: nil).manifests
        guard !listed.contains(where: { $0.digest == digest }) else { return digest }
        listed.append(entry)
        let tag = subject.algorithm + "-" + subject.encoded
        _ = try await putManifestAnswering(repo, reference: tag, data: GoJSON.encode(ImageIndex(manifests: listed)),
                                           mediaType: MediaType.ociIndex)
        return digest
    }

    /// DELETE a manifest by digest.
    public func deleteManifest(_ repo: RegistryRepository, digest: Digest) async throws {
        try await delete(repo, "manifests/" + digest.description)
    }

    /// DELETE a blob by digest.
    public func deleteBlob(_ repo: RegistryRepository, digest: Digest) async throws {
        try await delete(repo, "blobs/" + digest.description)
    }

    private func delete(_ repo: RegistryRepository, _ subpath: String) async throws {
        let request = try await self.request(.DELETE, repo, subpath, scopes: [repo.scope("delete")])
        let response = try await transport.send(request)
        guard response.status == .accepted || response.status == .ok || response.status == .noContent else {
            throw await transport.error(for: response, url: request.url)
        }
        await transport.drain(response)
    }

    // MARK: Tags and referrers

    /// Every tag of a repository, following `Link: <...>; rel="next"` pages of `pageSize` (`n`) tags.
    public func tags(_ repo: RegistryRepository, pageSize: Int? = nil) async throws -> [String] {
        var request = try await self.request(.GET, repo, "tags/list", scopes: [repo.scope("pull")])
        if let pageSize { request.url += "?n=\(pageSize)" }
        var all: [String] = []
        var seen = Set<String>()
        while true {
            let response = try await transport.send(request)
            guard response.status == .ok else { throw await transport.error(for: response, url: request.url) }
            let data = try await transport.collect(response, limit: 32 << 20, url: request.url)
            struct TagList: Decodable { var tags: [String]? }
            guard let list = try? JSONDecoder().decode(TagList.self, from: data) else {
                throw RegistryError.invalidResponse("invalid tag list from \(Redaction.url(request.url))")
            }
            all += list.tags ?? []
            guard let next = LinkHeader.next(response.headers["Link"]) else { return all }
            let url = HTTPTransport.resolve(next, against: request.url)
            // A registry repeating a page would loop forever.
            guard seen.insert(url).inserted else { return all }
            request.url = url
        }
    }

    /// The manifests that refer to `digest` (OCI referrers API), falling back to the `sha256-<hex>` tag
    /// schema when the API answers 404. Filtered by `artifactType` when given.
    public func referrers(_ repo: RegistryRepository, digest: Digest, artifactType: String? = nil) async throws -> ImageIndex {
        var request = try await self.request(.GET, repo, "referrers/" + digest.description, scopes: [repo.scope("pull")])
        request.headers.add(name: "Accept", value: MediaType.ociIndex)
        if let artifactType { request.url += "?artifactType=" + artifactType.queryEscaped }
        var manifests: [Descriptor] = []
        var filtered = false
        var seen = Set<String>()
        while true {
            let response = try await transport.send(request)
            if response.status == .notFound, manifests.isEmpty {
                await transport.drain(response)
                return try await referrersByTag(repo, digest: digest, artifactType: artifactType)
            }
            guard response.status == .ok else { throw await transport.error(for: response, url: request.url) }
            let data = try await transport.collect(response, limit: RegistryClient.maximumManifestSize, url: request.url)
            guard let index = try? JSONDecoder().decode(ImageIndex.self, from: data) else {
                throw RegistryError.invalidResponse("invalid referrers index from \(Redaction.url(request.url))")
            }
            manifests += index.manifests
            filtered = filtered || response.headers["OCI-Filters-Applied"].joined(separator: ",").contains("artifactType")
            guard let next = LinkHeader.next(response.headers["Link"]) else { break }
            let url = HTTPTransport.resolve(next, against: request.url)
            guard seen.insert(url).inserted else { break }
            request.url = url
        }
        if let artifactType, !filtered { manifests = manifests.filter { $0.artifactType == artifactType } }
        return ImageIndex(manifests: manifests)
    }

    /// Whether the registry serves the referrers API (a 200 for `digest`, even with no referrers) rather than the 404
    /// of a registry that predates it.
    public func servesReferrersAPI(_ repo: RegistryRepository, digest: Digest) async throws -> Bool {
        var request = try await self.request(.GET, repo, "referrers/" + digest.description, scopes: [repo.scope("pull")])
        request.headers.add(name: "Accept", value: MediaType.ociIndex)
        let response = try await transport.send(request)
        switch response.status {
        case .ok:
            await transport.drain(response)
            return true
        case .notFound:
            await transport.drain(response)
            return false
        default:
            throw await transport.error(for: response, url: request.url)
        }
    }

    private func referrersByTag(_ repo: RegistryRepository, digest: Digest, artifactType: String?) async throws -> ImageIndex {
        let tag = digest.algorithm + "-" + digest.encoded
        let fetched: FetchedManifest
        do {
            fetched = try await manifest(repo, reference: tag, accept: [MediaType.ociIndex])
        } catch let error as RegistryError {
            if error.status == 404 || error.code == "MANIFEST_UNKNOWN" { return ImageIndex(manifests: []) }
            if case .manifestNotFound = error { return ImageIndex(manifests: []) }
            throw error
        }
        guard let index = try? JSONDecoder().decode(ImageIndex.self, from: fetched.data) else {
            throw RegistryError.invalidResponse("referrers tag \(tag) is not an image index")
        }
        let manifests = artifactType.map { type in index.manifests.filter { $0.artifactType == type } } ?? index.manifests
        return ImageIndex(manifests: manifests)
    }

    // MARK: Helpers

    func request(_ method: HTTPMethod, _ repo: RegistryRepository, _ subpath: String, scopes: [String]) async throws -> RegistryRequest {
        let base = try await transport.baseURL(for: repo.endpointHost)
        return RegistryRequest(method: method, url: base + "/v2/" + repo.path + "/" + subpath, scopes: scopes, registry: repo.registry)
    }

    /// docker's pull wording for missing manifests / repositories and denied access.
    static func pullError(_ error: RegistryError, repo: RegistryRepository, reference: String) -> RegistryError {
        guard case .api(_, let errors) = error, let first = errors.first else { return error }
        switch first.code {
        case "MANIFEST_UNKNOWN": return .manifestNotFound(name: repo.familiar(reference: reference), cause: first)
        case "NAME_UNKNOWN": return .repositoryNotFound(name: repo.familiarName, cause: first)
        case "DENIED": return .pullAccessDenied(name: repo.familiarName, cause: first)
        default: return error
        }
    }

    static func bareMediaType(_ contentType: String) -> String {
        String(contentType.split(separator: ";").first ?? "").trimming(" \t").lowercased()
    }

    static func isSchema1(_ mediaType: String) -> Bool {
        mediaType == MediaType.dockerManifestSchema1 || mediaType == MediaType.dockerManifestSchema1Signed
    }

    /// The manifest's media type: the Content-Type, or the body's `mediaType` when the registry sends a
    /// generic type; schema 1 is refused.
    static func manifestMediaType(contentType: String?, body: Data) throws -> String {
        var type = contentType.map(bareMediaType) ?? ""
        struct Probe: Decodable { var mediaType: String?; var schemaVersion: Int?; var manifests: [Descriptor]? }
        let probe = try? JSONDecoder().decode(Probe.self, from: body)
        if type.isEmpty || type == "application/json" || type == "text/plain" || type == "application/octet-stream" {
            if let declared = probe?.mediaType, !declared.isEmpty {
                type = declared
            } else if probe?.schemaVersion == 1 {
                type = MediaType.dockerManifestSchema1Signed
            } else if probe?.manifests != nil {
                type = MediaType.ociIndex
            } else {
                type = MediaType.ociManifest
            }
        }
        if isSchema1(type) || probe?.schemaVersion == 1 { throw RegistryError.unsupportedManifest(mediaType: type) }
        return type
    }
}

extension RegistryRepository {
    /// A token scope for this repository, e.g. `repository:library/busybox:pull,push`.
    func scope(_ actions: String) -> String { "repository:\(path):\(actions)" }
}
