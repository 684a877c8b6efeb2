import Foundation
import Format
import OCI
import Testing
@testable import DockerViews

/// `buildx imagetools inspect` as buildx lays it out with its tabwriters, and its `.Provenance`/`.SBOM` stubs.
@Suite struct ImagetoolsViewTests {
    static let image = Digest.sha256(Data("image".utf8))
    static let attestation = Digest.sha256(Data("attestation".utf8))

    @Test("an attestation entry shows its annotations, and its block is as wide as Annotations:")
    func listing() throws {
        let reference = try ImageReference("127.0.0.1:5000/app:1")
        let entries = [
            Descriptor(mediaType: MediaType.ociManifest, digest: Self.image, size: 400, platform: Platform(os: "linux", architecture: "amd64")),
            AttestationManifest.indexEntry(Descriptor(mediaType: MediaType.ociManifest, digest: Self.attestation, size: 900), subject: Self.image),
        ]
        let text = ImagetoolsView.text(reference: reference, mediaType: MediaType.ociIndex, digest: Self.image, entries: entries)
        #expect(text == """
            Name:      127.0.0.1:5000/app:1
            MediaType: application/vnd.oci.image.index.v1+json
            Digest:    \(Self.image)
                       
            Manifests: 
              Name:        127.0.0.1:5000/app@\(Self.image)
              MediaType:   application/vnd.oci.image.manifest.v1+json
              Platform:    linux/amd64
                           
              Name:        127.0.0.1:5000/app@\(Self.attestation)
              MediaType:   application/vnd.oci.image.manifest.v1+json
              Platform:    unknown/unknown
              Annotations: 
                vnd.docker.reference.digest: \(Self.image)
                vnd.docker.reference.type:   attestation-manifest

            """)
        // Without annotations the columns are as wide as MediaType:, as before.
        let plain = ImagetoolsView.text(reference: reference, mediaType: MediaType.ociIndex, digest: Self.image, entries: [entries[0]])
        #expect(plain.contains("\n  Platform:  linux/amd64\n"), "\(plain)")
        let single = ImagetoolsView.text(reference: reference, mediaType: MediaType.ociManifest, digest: Self.image, entries: [])
        #expect(single.split(separator: "\n").count == 3)
    }

    @Test(".Provenance: one platform's stub alone, several keyed by platform; an image without one is {}")
    func stubs() throws {
        let statement = Data(#"{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"https://slsa.dev/provenance/v1","predicate":{"runDetails":{},"buildDefinition":{"buildType":"x"}}}"#.utf8)
        let amd64 = ImagetoolsView.Attested(platform: Platform(os: "linux", architecture: "amd64"),
                                            statements: [("https://slsa.dev/provenance/v1", statement)])
        let arm64 = ImagetoolsView.Attested(platform: Platform(os: "linux", architecture: "arm64"), statements: [])
        #expect(ImagetoolsView.provenance([amd64], imageCount: 1).jsonString()
                == #"{"SLSA":{"buildDefinition":{"buildType":"x"},"runDetails":{}}}"#)
        #expect(ImagetoolsView.provenance([arm64, amd64], imageCount: 2).jsonString()
                == #"{"linux/amd64":{"SLSA":{"buildDefinition":{"buildType":"x"},"runDetails":{}}},"linux/arm64":{}}"#)
        #expect(ImagetoolsView.sbom([], imageCount: 1).jsonString() == "{}")
    }
}
