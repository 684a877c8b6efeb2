import Foundation
import OCI
import Registry
import Testing

@Suite struct RegistrySettingsTests {
    @Test func keysFollowDaemonJSON() throws {
        let data = Data(#"{"insecure-registries":["10.0.0.5:5000"],"max-concurrent-downloads":6,"registry-attempts":2,"other":1}"#.utf8)
        let settings = try RegistrySettings(data: data, path: "/x/config.json")
        #expect(settings.insecureRegistries == ["10.0.0.5:5000"])
        #expect(settings.maxConcurrentDownloads == 6)
        #expect(settings.maxConcurrentUploads == 5)
        let options = settings.clientOptions()
        #expect(options.insecureRegistries == ["10.0.0.5:5000"])
        #expect(options.maxAttempts == 2)
    }

    @Test func wrongTypesAndMissingExplicitFilesAreErrors() throws {
        #expect(throws: SettingsError.self) { try RegistrySettings(data: Data(#"{"insecure-registries":"x"}"#.utf8)) }
        #expect(throws: SettingsError.self) { try RegistrySettings(data: Data("[]".utf8)) }
        #expect(throws: SettingsError.self) { try RegistrySettings.load(environment: ["STRATA_CONFIG": "/nonexistent/strata.json"]) }
        #expect(try RegistrySettings.load(environment: ["HOME": "/nonexistent-home"]) == RegistrySettings()
            || FileManager.default.fileExists(atPath: "/etc/strata/config.json"))
    }

    @Test func candidatePathsPreferTheExplicitFile() {
        #expect(RegistrySettings.candidatePaths(environment: ["STRATA_CONFIG": "/a.json", "HOME": "/h"]) == ["/a.json"])
        #expect(RegistrySettings.candidatePaths(environment: ["XDG_CONFIG_HOME": "/c", "HOME": "/h"])
            == ["/c/strata/config.json", "/etc/strata/config.json"])
        #expect(RegistrySettings.candidatePaths(environment: ["HOME": "/h"]) == ["/h/.config/strata/config.json", "/etc/strata/config.json"])
    }

    @Test func manifestListsAreDockerShaped() throws {
        let digest = Digest.sha256(Data("m".utf8))
        let list = ManifestListDocument.encode([
            Descriptor(mediaType: MediaType.dockerManifest, digest: digest, size: 528,
                       platform: Platform(os: "linux", architecture: "arm64", variant: "v8")),
        ])
        let expected = """
            {
               "schemaVersion": 2,
               "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
               "manifests": [
                  {
                     "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                     "size": 528,
                     "digest": "\(digest)",
                     "platform": {
                        "architecture": "arm64",
                        "os": "linux",
                        "variant": "v8"
                     }
                  }
               ]
            }
            """
        #expect(String(decoding: list, as: UTF8.self) == expected)
    }

    @Test func draftsRoundTripAndAreFileSafe() throws {
        let directory = NSTemporaryDirectory() + "drafts-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let drafts = ManifestListDrafts(configDirectory: directory)
        let entry = ManifestListEntry(reference: "127.0.0.1:5000/a/b:1",
                                      descriptor: Descriptor(mediaType: MediaType.ociManifest, digest: Digest.sha256(Data("x".utf8)), size: 1),
                                      manifest: Data("x".utf8))
        try drafts.save(entry, in: "127.0.0.1:5000/a/b:multi")
        #expect(FileManager.default.fileExists(atPath: directory + "/manifests/127.0.0.1-5000_a_b-multi/127.0.0.1-5000_a_b-1"))
        #expect(try drafts.entries(of: "127.0.0.1:5000/a/b:multi") == [entry])
        try drafts.remove("127.0.0.1:5000/a/b:multi")
        #expect(!drafts.exists("127.0.0.1:5000/a/b:multi"))
        #expect(throws: SettingsError.self) { try drafts.remove("127.0.0.1:5000/a/b:multi") }
    }
}
