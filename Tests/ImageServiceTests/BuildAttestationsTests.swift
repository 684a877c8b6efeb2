import Foundation
import OCI
import Testing
@testable import ImageService

/// buildx's attestation flags as `BuildAttestations.parse` reads them, and the Package URLs the statements name.
@Suite struct BuildAttestationsTests {
    @Test("--provenance and --sbom: booleans and parameters, later flags winning")
    func shorthands() throws {
        #expect(try BuildAttestations.parse(attest: [], provenance: "true") == BuildAttestations(provenance: .min))
        #expect(try BuildAttestations.parse(attest: [], provenance: "mode=max,builder-id=https://ci.example/run/1")
                == BuildAttestations(provenance: .max, builderID: "https://ci.example/run/1"))
        #expect(try BuildAttestations.parse(attest: [], provenance: "false").isEmpty)
        #expect(try BuildAttestations.parse(attest: [], provenance: "mode=false").isEmpty)
        #expect(try BuildAttestations.parse(attest: [], sbom: "1") == BuildAttestations(sbom: true))
        #expect(try BuildAttestations.parse(attest: ["type=provenance,mode=max", "type=sbom"], sbom: "false", provenance: "mode=min")
                == BuildAttestations(provenance: .min))
        #expect(try BuildAttestations.parse(attest: ["type=provenance,mode=max,disabled=true"]).isEmpty)
        #expect(try BuildAttestations.parse(attest: ["\"type=provenance\",version=v1"]) == BuildAttestations(provenance: .min))
    }

    @Test("bad values are refused, each in one line naming what is wrong")
    func refused() {
        let cases: [(attest: [String], provenance: String?, words: String)] = [([], "mode=bogus", "bogus"), (["type=nope"], nil, "nope"), (["mode=max"], nil, "type"),
                                            (["type=sbom,generator=x/y"], nil, "generator"), (["type=provenance,version=v0.2"], nil, "v0.2"),
                                            (["type=provenance,disabled=maybe"], nil, "maybe"), (["type"], nil, "invalid value")]
        for (attest, provenance, words) in cases {
            do {
                _ = try BuildAttestations.parse(attest: attest, provenance: provenance)
                Issue.record("accepted \(attest) \(provenance ?? "")")
            } catch {
                let text = "\(error)"
                #expect(text.contains(words) && !text.contains("\n"), "\(text)")
                #expect((error as? ServiceError)?.kind == .invalidArgument)
            }
        }
    }

    @Test("subjects and dependencies are docker Package URLs with the platform qualifier")
    func packageURLs() throws {
        let amd64 = Platform(os: "linux", architecture: "amd64")
        #expect(InTotoStatement.packageURL(try ImageReference("alpine:3.19"), platform: amd64) == "pkg:docker/alpine@3.19?platform=linux%2Famd64")
        #expect(InTotoStatement.packageURL(try ImageReference("127.0.0.1:5000/team/app"), platform: nil)
                == "pkg:docker/127.0.0.1:5000/team/app@latest")
        let arm = Platform(os: "linux", architecture: "arm", variant: "v7")
        #expect(InTotoStatement.packageURL(try ImageReference("ghcr.io/o/x:1"), platform: arm) == "pkg:docker/ghcr.io/o/x@1?platform=linux%2Farm%2Fv7")
    }
}
