import Foundation
import Dockerfile
import GoText
import ImageBuilder
import OCI
import Sandbox
import Scan

/// An in-toto Statement v1: what a predicate says and which digests it is about.
enum InTotoStatement {
    static let type = "https://in-toto.io/Statement/v1"

    struct Subject {
        var name: String
        var digest: Digest
    }

    /// The statement's bytes, compact (an attestation layer is read by machines).
    static func encode(subjects: [Subject], predicateType: String, predicate: JSONValue) -> Data {
        GoJSON.encode(.fields([
            "_type": .string(type),
            "subject": .array(subjects.map { subject in
                .fields(["name": .string(subject.name), "digest": .fields([subject.digest.algorithm: .string(subject.digest.encoded)])])
            }),
            "predicateType": .string(predicateType),
            "predicate": predicate,
        ]), escapeHTML: false)
    }

    /// A Package URL of type `docker` for an image name, as BuildKit writes subjects and dependencies:
    /// `pkg:docker/127.0.0.1:5000/team/app@1?platform=linux%2Famd64` (the version is the tag, or the digest).
    static func packageURL(_ reference: ImageReference, platform: Platform?) -> String {
        let parts = reference.familiarName.split(separator: "/").map(String.init)
        let namespace = parts.dropLast().map { ParsedPackageURL.percentEncode($0) }
        let version = reference.digest?.description ?? reference.tag ?? ImageReference.defaultTag
        var purl = "pkg:docker/" + (namespace + [ParsedPackageURL.percentEncode(parts.last ?? "")]).joined(separator: "/")
            + "@" + ParsedPackageURL.percentEncode(version)
        if let platform { purl += "?platform=" + ParsedPackageURL.percentEncode(platform.description) }
        return purl
    }
}

/// SLSA provenance v1 of one platform's image, laid out as BuildKit lays it out (its buildType, whose definitions say
/// what each field holds): the Dockerfile frontend's request as external parameters, the images the stages started
/// from as resolved dependencies, and the run's builder, invocation and times. `min` leaves out the build arguments,
/// labels and the secret and SSH ids; no secret value is ever read here.
struct BuildProvenance {
    static let predicateType = "https://slsa.dev/provenance/v1"
    static let buildType = "https://github.com/moby/buildkit/blob/master/docs/attestations/slsa-definitions.md"

    /// What every platform of one build shares.
    struct Run: Sendable {
        var invocationID: String
        var started: Timestamp
        var finished: Timestamp
        var builderID: String?
        var builderVersion: String?
    }

    /// An input the build resolved: a base image by its Package URL and the digest it had.
    struct Dependency: Hashable {
        var uri: String
        var digest: Digest
    }

    var request: BuildRequest
    var mode: BuildAttestations.ProvenanceMode
    var dependencies: [Dependency]
    var run: Run

    var predicate: JSONValue {
        let full = mode == .max
        var configSource = JSONObjectBuilder()
        if case .git(let url) = request.context.origin { configSource.add("uri", url) }
        if full {
            configSource.add("digest", .fields(["sha256": .string(Digest.sha256(Data(request.context.dockerfile)).encoded)]))
        }
        configSource.add("path", request.dockerfileName)

        var args: [(String, String)] = []
        if full {
            args += request.buildArgs.map { ("build-arg:" + $0.key, $0.value) }
            args += request.labels.map { ("label:" + $0.0, $0.1) }
        }
        if let target = request.target, !target.isEmpty { args.append(("target", target)) }
        var parameters = JSONObjectBuilder()
        parameters.add("frontend", "dockerfile.v0")
        parameters.add("args", .object(args.sorted { goKeyOrder($0.0, $1.0) }.map { JSONMember($0.0, .string($0.1)) }))
        if full {
            // Ids only, as BuildKit records them: the values stay where they were.
            parameters.add("secrets", .array(request.secrets.keys.sorted(by: goKeyOrder).map { .fields(["id": .string($0), "optional": .bool(false)]) }))
            parameters.add("ssh", .array((request.ssh?.ids ?? []).map { .fields(["id": .string($0), "optional": .bool(false)]) }))
        }
        let locals: [JSONValue] = request.context.origin == .local
            ? [.fields(["name": .string("context")]), .fields(["name": .string("dockerfile")])] : []
        parameters.add("locals", .array(locals))

        var builder = JSONObjectBuilder()
        builder.add("id", .string(run.builderID ?? ""))
        if let version = run.builderVersion { builder.add("version", .fields(["strata": .string(version)])) }

        return .fields([
            "buildDefinition": .fields([
                "buildType": .string(Self.buildType),
                "externalParameters": .fields(["configSource": configSource.object, "request": parameters.object]),
                "internalParameters": .fields(["builderPlatform": .string(Platform.host.description)]),
                "resolvedDependencies": .array(dependencies.map { dependency in
                    .fields(["uri": .string(dependency.uri),
                             "digest": .fields([dependency.digest.algorithm: .string(dependency.digest.encoded)])])
                }),
            ]),
            "runDetails": .fields([
                "builder": builder.object,
                "metadata": .fields([
                    "invocationId": .string(run.invocationID),
                    "startedOn": .string(run.started.rawValue),
                    "finishedOn": .string(run.finished.rawValue),
                    // BuildKit's extension fields: whether the request is all here (not in min mode), whether every
                    // dependency is (a local context is untracked), whether the build reached no network.
                    "buildkit_completeness": .fields(["request": .bool(full), "resolvedDependencies": .bool(false)]),
                    "buildkit_hermetic": .bool(isHermetic),
                    "buildkit_reproducible": .bool(false),
                ]),
            ]),
        ])
    }

    /// BuildKit's rule: hermetic when no RUN step can reach a network.
    var isHermetic: Bool {
        request.network == .none || !request.document.stages.contains { stage in
            stage.instructions.contains { if case .run = $0 { true } else { false } }
        }
    }

    /// A BuildKit-style invocation id: 25 lowercase letters and digits.
    static func invocationID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<25).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
    }
}
