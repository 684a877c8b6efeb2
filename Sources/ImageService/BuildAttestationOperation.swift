import Foundation
import Dockerfile
import GoText
import ImageBuilder
import OCI
import Scan
import Store

/// The attestations of a build, made once its images are committed: for each platform image one attestation
/// manifest (an OCI artifact whose subject is the image manifest) holding an in-toto statement per kind asked for.
/// The store keeps it as a referrer of the image, and the build's index lists it as BuildKit's does.
extension ImageService {
    /// Writes what `options.attestations` asks for about each image and returns the index entries, in image order.
    /// `started` is when the build began (provenance's `startedOn`); all platforms share one invocation. Progress is
    /// a `generating sbom` vertex per image and one `exporting attestation manifests` vertex.
    func attestationEntries(_ options: BuildOptions, images: [(platform: Platform, image: StoredImage)],
                            started: Timestamp, events: @escaping BuildEventSink) async throws -> [Descriptor] {
        guard !options.attestations.isEmpty else { return [] }
        let store = try store()
        let progress = VertexCounter(sink: events)
        let run = BuildProvenance.Run(invocationID: BuildProvenance.invocationID(), started: started, finished: .now(),
                                      builderID: options.attestations.builderID,
                                      builderVersion: options.attestations.builderVersion)
        return try await withThrowingTaskGroup(of: (Int, Descriptor).self) { group in
            for (position, built) in images.enumerated() {
                let sbomVertex = options.attestations.sbom
                    ? progress.start((images.count > 1 ? "[\(built.platform)] " : "") + "generating sbom") : nil
                group.addTask { [self] in
                    (position, try await attest(built.image, platform: built.platform, options: options, run: run, store: store,
                                                sbomVertex: sbomVertex))
                }
            }
            var entries = [Descriptor?](repeating: nil, count: images.count)
            for try await (position, entry) in group { entries[position] = entry }
            let vertex = progress.start("exporting attestation manifests")
            for case let entry? in entries { vertex.status("exporting attestation manifest \(entry.digest) done") }
            vertex.done()
            return entries.compactMap { $0 }
        }
    }

    /// Checks, before anything is built, that the outputs can carry attestations: they travel with an image (the
    /// store, a registry, an OCI layout), not with a root filesystem or a `docker save` archive.
    func checkAttestationOutputs(_ options: BuildOptions) throws {
        guard !options.attestations.isEmpty else { return }
        for output in options.outputs {
            let carries = output.kind == .image || output.kind == .oci || (output.kind == .docker && output.destination == nil)
            guard carries else {
                throw ServiceError(.invalidArgument, "attestations cannot be exported with -o type=\(output.kind.rawValue)"
                                   + (output.destination.map { ",dest=\($0)" } ?? "")
                                   + ": they travel with an image (the store, --push or type=registry, type=oci)")
            }
        }
    }

    private func attest(_ image: StoredImage, platform: Platform, options: BuildOptions, run: BuildProvenance.Run,
                        store: ImageStore, sbomVertex: Vertex?) async throws -> Descriptor {
        guard let size = store.blobs.size(of: image.manifestDigest) else {
            throw ServiceError(.internal, "the manifest of the \(platform) image \(image.id) is not stored")
        }
        let subject = Descriptor(mediaType: image.manifestMediaType, digest: image.manifestDigest, size: size)
        // BuildKit names the subject once per image name, "_" when the build has none.
        let names = options.request.tags.isEmpty ? ["_"] : options.request.tags.map { InTotoStatement.packageURL($0, platform: platform) }
        let subjects = names.map { InTotoStatement.Subject(name: $0, digest: image.manifestDigest) }
        var layers: [Descriptor] = []
        if let mode = options.attestations.provenance {
            let provenance = BuildProvenance(request: options.request, mode: mode,
                                             dependencies: resolvedDependencies(options.request, platform: platform, store: store),
                                             run: run)
            layers.append(try statementLayer(InTotoStatement.encode(subjects: subjects, predicateType: BuildProvenance.predicateType,
                                                                    predicate: provenance.predicate),
                                             predicateType: BuildProvenance.predicateType, store: store))
        }
        if let sbomVertex {
            var (scanned, sources) = try inspected(image.id.description)
            scanned.reference = options.request.tags.first?.familiarString ?? image.id.description
            let inventory: ImageInventory
            do { inventory = try await self.inventory(of: image.id, layers: sources) } catch {
                sbomVertex.failed("\(error)")
                throw error
            }
            sbomVertex.done()
            let document = SPDXDocumentWriter.document(inventory: inventory, image: scanned,
                                                       stamp: DocumentStamp(toolVersion: run.builderVersion ?? "unknown"))
            layers.append(try statementLayer(InTotoStatement.encode(subjects: subjects, predicateType: Self.spdxPredicateType,
                                                                    predicate: document),
                                             predicateType: Self.spdxPredicateType, store: store))
        }
        try store.blobs.write(Data(ImageManifest.emptyConfigBlob))
        let manifest = ImageManifest.artifact(type: AttestationManifest.artifactType, blobs: layers, subject: subject, annotations: nil)
        let committed = try store.commitArtifact(GoJSON.encode(manifest), mediaType: MediaType.ociManifest)
        return AttestationManifest.indexEntry(committed, subject: image.manifestDigest)
    }

    /// The predicate type of an SPDX document statement.
    static let spdxPredicateType = "https://spdx.dev/Document"

    private func statementLayer(_ data: Data, predicateType: String, store: ImageStore) throws -> Descriptor {
        let digest = try store.blobs.write(data)
        return Descriptor(mediaType: AttestationManifest.statementMediaType, digest: digest, size: Int64(data.count),
                          annotations: [AttestationManifest.predicateTypeAnnotation: predicateType])
    }

    /// The images the stages the target needs start from (and `COPY --from` images), each as the store resolves it
    /// for the stage's platform: a multi-platform name by its index digest, else by the digest its registry gave, else
    /// by its manifest. Best effort: a name the store cannot resolve any more is left out.
    func resolvedDependencies(_ request: BuildRequest, platform: Platform, store: ImageStore) -> [BuildProvenance.Dependency] {
        let values = BuiltinArguments.platformValues(target: platform, build: .host)
        guard let plans = try? request.document.plan(buildArgs: request.buildArgs, platformValues: values),
              let target = try? request.document.targetStageIndex(request.target) else { return [] }
        var needed: Set<Int> = [], pending = [target]
        while let index = pending.popLast() {
            guard plans.indices.contains(index), needed.insert(index).inserted else { continue }
            pending += plans[index].stageDependencies
        }
        var dependencies: [BuildProvenance.Dependency] = []
        for plan in plans where needed.contains(plan.index) {
            var names = plan.imageDependencies
            if case .image(let name) = plan.base { names.insert(name, at: 0) }
            for name in names {
                guard let dependency = resolvedImage(name, platform: plan.platform ?? platform, store: store),
                      !dependencies.contains(dependency) else { continue }
                dependencies.append(dependency)
            }
        }
        return dependencies
    }

    private func resolvedImage(_ name: String, platform: Platform, store: ImageStore) -> BuildProvenance.Dependency? {
        guard let parsed = try? ImageReference(name) else { return nil }
        let reference = parsed.digest == nil ? parsed.withDefaultTag() : parsed
        let uri = InTotoStatement.packageURL(reference, platform: platform)
        if let index = (try? store.target(named: reference))?.indexDigest { return .init(uri: uri, digest: index) }
        guard let image = (try? store.entry(named: name, for: platform)) ?? (try? store.resolve(name)) else { return nil }
        let digest = reference.digest ?? image.repoDigests.first { $0.name == reference.name }?.digest ?? image.manifestDigest
        return .init(uri: uri, digest: digest)
    }
}
