import Foundation
@testable import Registry
import Testing

/// A fresh directory under the system temp dir, removed by the caller.
func credentialsTempDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("strata-cred-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

private func mode(_ path: String) throws -> Int {
    (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
}

@Suite("docker config.json")
struct DockerConfigFileTests {
    @Test func missingAndEmptyFilesAreEmptyConfigurations() throws {
        let dir = try credentialsTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = DockerConfigFile(directory: dir.path)
        #expect(try file.load().authKeys.isEmpty)
        try Data(" \n".utf8).write(to: URL(fileURLWithPath: file.path))
        #expect(try file.load().authKeys.isEmpty)
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: file.path))
        #expect(throws: DockerConfigError.self) { try file.load() }
    }

    @Test func rewriteKeepsUnknownKeysAndWritesMode0600() throws {
        let dir = try credentialsTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let configDir = dir.appendingPathComponent("new/.docker").path
        let file = DockerConfigFile(directory: configDir)
        let original = """
            {"psFormat": "table {{.ID}}", "proxies": {"default": {"httpProxy": "http://p:3128"}},
             "auths": {"other.example:5000": {"auth": "dTpw", "email": "a@b.c"}},
             "number": 1.50, "list": [true, null, "\\u00e9\\ud83d\\ude00"]}
            """
        try FileManager.default.createDirectory(atPath: configDir, withIntermediateDirectories: true)
        try Data(original.utf8).write(to: URL(fileURLWithPath: file.path))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)

        try DockerCredentialStore(configFile: file).store(RegistryCredentials(username: "me", secret: "pw"),
                                                           for: "127.0.0.1:5000")
        #expect(try mode(file.path) == 0o600)
        let text = try String(contentsOfFile: file.path, encoding: .utf8)
        #expect(text.contains("\"number\": 1.50"))
        #expect(text.contains("\"psFormat\": \"table {{.ID}}\""))
        #expect(text.contains("\"httpProxy\": \"http://p:3128\""))
        #expect(text.contains("\"email\": \"a@b.c\""))
        #expect(text.contains("é😀"))
        let reread = try file.load()
        #expect(reread.authKeys == ["other.example:5000", "127.0.0.1:5000"])
        #expect(try reread.authEntry(forKey: "127.0.0.1:5000") == DockerAuthEntry(username: "me", password: "pw"))
        #expect(try reread.authEntry(forKey: "other.example:5000") == DockerAuthEntry(username: "u", password: "p"))
        // auth is base64("me:pw"), as docker writes it.
        #expect(text.contains("\"auth\": \"bWU6cHc=\""))
        // Only config.json is left behind (the temporary file was renamed).
        #expect(try FileManager.default.contentsOfDirectory(atPath: configDir) == ["config.json"])
    }

    /// docker writes config.json with json.MarshalIndent: `<`, `>`, `&` come back as \u003c, \u003e, \u0026.
    @Test func rewriteEscapesStringsAsDockerDoes() throws {
        let config = try DockerConfig(data: Data(#"{"psFormat": "table {{.ID}} <&>", "detachKeys": "ctrl-p,ctrl-q"}"#.utf8))
        let text = String(decoding: config.serialized(), as: UTF8.self)
        #expect(text.contains(#""psFormat": "table {{.ID}} \u003c\u0026\u003e""#), "\(text)")
    }

    @Test func createsTheDirectoryWithMode0700() throws {
        let dir = try credentialsTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let configDir = dir.appendingPathComponent("fresh").path
        let store = DockerCredentialStore(configFile: DockerConfigFile(directory: configDir))
        try store.store(RegistryCredentials(username: "u", secret: "s", identityToken: "tok"), for: "docker.io")
        #expect(try mode(configDir) == 0o700)
        #expect(try mode(configDir + "/config.json") == 0o600)
        let entry = try store.configFile.load().authEntry(forKey: "https://index.docker.io/v1/")
        #expect(entry == DockerAuthEntry(username: "u", password: "s", identityToken: "tok"))
        #expect(try store.credentials(for: "docker.io") == RegistryCredentials(username: "u", secret: "s", identityToken: "tok"))
    }

    @Test func dockerConfigEnvironmentIsHonoured() {
        #expect(DockerConfigFile(environment: ["DOCKER_CONFIG": "/x/cfg", "HOME": "/home/u"]).path == "/x/cfg/config.json")
        #expect(DockerConfigFile(environment: ["DOCKER_CONFIG": "/x/cfg/"]).path == "/x/cfg/config.json")
        #expect(DockerConfigFile(environment: ["DOCKER_CONFIG": "", "HOME": "/home/u"]).path == "/home/u/.docker/config.json")
        #expect(DockerConfigFile(environment: ["HOME": "/home/u"]).path == "/home/u/.docker/config.json")
    }

    @Test func writesThroughASymlinkedConfig() throws {
        let dir = try credentialsTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let real = dir.appendingPathComponent("real.json").path
        try Data("{\"keep\": 1}".utf8).write(to: URL(fileURLWithPath: real))
        let configDir = dir.appendingPathComponent("cfg").path
        try FileManager.default.createDirectory(atPath: configDir, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: configDir + "/config.json", withDestinationPath: real)
        try DockerCredentialStore(configFile: DockerConfigFile(directory: configDir))
            .store(RegistryCredentials(username: "u", secret: "s"), for: "h:1")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: configDir + "/config.json") == real)
        #expect(try String(contentsOfFile: real, encoding: .utf8).contains("\"keep\": 1"))
        #expect(try String(contentsOfFile: real, encoding: .utf8).contains("h:1"))
    }

    @Test func usernameAndPasswordFieldsAreReadWhenAuthIsAbsent() throws {
        let config = try DockerConfig(data: Data(#"{"auths":{"h":{"username":"a","password":"b"},"bad":{"auth":"!!"}}}"#.utf8))
        #expect(try config.authEntry(forKey: "h") == DockerAuthEntry(username: "a", password: "b"))
        #expect(throws: DockerConfigError.invalidAuth("bad")) { try config.authEntry(forKey: "bad") }
    }
}

@Suite("registry host names and config keys")
struct RegistryHostNameTests {
    @Test func convertToHostnameFollowsDocker() {
        #expect(RegistryHostName.convertToHostname("https://h.example:5000/v1/") == "h.example:5000")
        #expect(RegistryHostName.convertToHostname("http://h.example/") == "h.example")
        #expect(RegistryHostName.convertToHostname("h.example/v1/") == "h.example")
        #expect(RegistryHostName.convertToHostname("h.example") == "h.example")
    }

    @Test func loginArgumentsNormaliseLikeDocker() {
        for hub in [nil, "", "docker.io", "index.docker.io", "registry-1.docker.io", "https://index.docker.io/v1/"] {
            #expect(RegistryHostName.registry(forLoginArgument: hub) == "docker.io")
            #expect(RegistryHostName.configKey(forRegistry: RegistryHostName.registry(forLoginArgument: hub))
                    == "https://index.docker.io/v1/")
        }
        #expect(RegistryHostName.registry(forLoginArgument: "https://127.0.0.1:5000/") == "127.0.0.1:5000")
        #expect(RegistryHostName.configKey(forRegistry: "127.0.0.1:5000") == "127.0.0.1:5000")
    }

    @Test func readersMatchOldKeySpellings() throws {
        let config = try DockerConfig(data: Data("""
            {"auths": {"https://reg.example:5000": {"auth": "YTpi"}, "http://other.example/": {"auth": "Yzpk"},
                       "third.example/v1/": {"auth": "ZTpm"}, "index.docker.io": {"auth": "aDpp"}}}
            """.utf8))
        let dir = try credentialsTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = DockerConfigFile(directory: dir.path)
        try file.save(config)
        let store = DockerCredentialStore(configFile: file)
        #expect(try store.credentials(for: "reg.example:5000") == RegistryCredentials(username: "a", secret: "b"))
        #expect(try store.credentials(for: "other.example") == RegistryCredentials(username: "c", secret: "d"))
        #expect(try store.credentials(for: "third.example") == RegistryCredentials(username: "e", secret: "f"))
        #expect(try store.credentials(for: "docker.io") == RegistryCredentials(username: "h", secret: "i"))
        #expect(try store.credentials(for: "reg.example") == nil)
        // An exact key wins over other spellings.
        try store.store(RegistryCredentials(username: "x", secret: "y"), for: "reg.example:5000")
        #expect(try store.credentials(for: "reg.example:5000") == RegistryCredentials(username: "x", secret: "y"))
        // logout removes every spelling docker's logout tries.
        #expect(try store.erase(for: "reg.example:5000") == ["reg.example:5000", "https://reg.example:5000"])
        #expect(try store.credentials(for: "reg.example:5000") == nil)
        #expect(try store.erase(for: "reg.example:5000") == [])
        #expect(try file.load().authKeys == ["http://other.example/", "third.example/v1/", "index.docker.io"])
    }
}
