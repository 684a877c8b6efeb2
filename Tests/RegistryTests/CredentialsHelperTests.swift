import Foundation
@testable import Registry
import Testing

/// A directory holding fake `docker-credential-*` helpers; each keeps its logins as files next to itself.
private struct FakeHelpers {
    let directory: URL

    init() throws {
        directory = try credentialsTempDirectory()
        // A minimal docker-credential-helpers implementation: one file per server URL (hex-named).
        try write("test", """
            #!/bin/sh
            store="$(dirname "$0")/store-$(basename "$0")"
            mkdir -p "$store"
            key() { printf %s "$1" | od -An -tx1 | tr -d ' \\n'; }
            case "$1" in
            get)   read -r url || true
                   if [ -f "$store/$(key "$url")" ]; then cat "$store/$(key "$url")"; exit 0; fi
                   echo "credentials not found in native keychain"; exit 1 ;;
            store) json=$(cat)
                   url=$(printf %s "$json" | sed -n 's/.*"ServerURL":"\\([^"]*\\)".*/\\1/p')
                   printf %s "$json" > "$store/$(key "$url")" ;;
            erase) read -r url || true
                   if [ -f "$store/$(key "$url")" ]; then rm "$store/$(key "$url")"; exit 0; fi
                   echo "credentials not found in native keychain"; exit 1 ;;
            *)     echo "unknown action"; exit 1 ;;
            esac
            """)
        // Fails every store, echoing its input (which holds the secret) over two lines.
        try write("leaky", """
            #!/bin/sh
            input=$(cat)
            printf 'cannot store\\n%s\\n' "$input"
            echo "noise on stderr" >&2
            exit 3
            """)
    }

    func write(_ name: String, _ script: String) throws {
        let path = directory.appendingPathComponent("docker-credential-\(name)").path
        try Data((script + "\n").utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    }

    /// The child environment: our helpers first on PATH (the test process's own environment is untouched).
    var environment: [String: String] { ["PATH": directory.path + ":/usr/bin:/bin"] }

    func client(_ name: String) -> CredentialHelperClient {
        CredentialHelperClient(name: name, environment: environment)
    }

    func store(config: String) throws -> DockerCredentialStore {
        let configDir = directory.appendingPathComponent("config").path
        try FileManager.default.createDirectory(atPath: configDir, withIntermediateDirectories: true)
        try Data(config.utf8).write(to: URL(fileURLWithPath: configDir + "/config.json"))
        return DockerCredentialStore(configFile: DockerConfigFile(directory: configDir), helperEnvironment: environment)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

@Suite("docker credential helpers")
struct CredentialHelperTests {
    @Test func getStoreEraseRoundTrip() throws {
        let helpers = try FakeHelpers()
        defer { helpers.remove() }
        let client = helpers.client("test")
        #expect(try client.get(serverURL: "127.0.0.1:5000") == nil)
        try client.store(RegistryCredentials(username: "me", secret: "pa ss\"word"), serverURL: "127.0.0.1:5000")
        #expect(try client.get(serverURL: "127.0.0.1:5000") == RegistryCredentials(username: "me", secret: "pa ss\"word"))
        try client.erase(serverURL: "127.0.0.1:5000")
        #expect(try client.get(serverURL: "127.0.0.1:5000") == nil)
        try client.erase(serverURL: "127.0.0.1:5000")   // not found is fine
    }

    @Test func tokenUsernameMeansIdentityToken() throws {
        let helpers = try FakeHelpers()
        defer { helpers.remove() }
        let client = helpers.client("test")
        try client.store(RegistryCredentials(username: "me", secret: "", identityToken: "refresh-123"),
                         serverURL: "https://index.docker.io/v1/")
        let stored = try String(contentsOf: helpers.directory.appendingPathComponent("store-docker-credential-test")
            .appendingPathComponent(try FileManager.default.contentsOfDirectory(
                atPath: helpers.directory.appendingPathComponent("store-docker-credential-test").path)[0]), encoding: .utf8)
        #expect(stored.contains("\"Username\":\"<token>\"") && stored.contains("\"Secret\":\"refresh-123\""))
        #expect(try client.get(serverURL: "https://index.docker.io/v1/")
                == RegistryCredentials(username: "", secret: "", identityToken: "refresh-123"))
    }

    @Test func errorsAreOneLineWithoutTheSecret() throws {
        let helpers = try FakeHelpers()
        defer { helpers.remove() }
        let error = #expect(throws: CredentialHelperError.self) {
            try helpers.client("leaky").store(RegistryCredentials(username: "u", secret: "hunter2"), serverURL: "h:1")
        }
        let message = error?.description ?? ""
        #expect(message.hasPrefix("error storing credentials - err: exit status 3, out: `cannot store"))
        #expect(!message.contains("hunter2") && message.contains("<redacted>") && !message.contains("\n"), "\(message)")

        let missing = #expect(throws: CredentialHelperError.self) { try helpers.client("absent").get(serverURL: "h:1") }
        #expect(missing?.description == "error getting credentials - err: exec: \"docker-credential-absent\": "
                + "executable file not found in $PATH, out: ``")
    }

    @Test func credsStoreHoldsTheSecretAndAuthsGetsAPlaceholder() throws {
        let helpers = try FakeHelpers()
        defer { helpers.remove() }
        let store = try helpers.store(config: #"{"credsStore": "test", "experimental": "enabled"}"#)
        #expect(try store.credentials(for: "127.0.0.1:5000") == nil)
        #expect(try store.store(RegistryCredentials(username: "me", secret: "s3cret"), for: "127.0.0.1:5000") == "127.0.0.1:5000")
        let text = try String(contentsOfFile: store.configFile.path, encoding: .utf8)
        #expect(!text.contains("s3cret") && text.contains("\"experimental\": \"enabled\""))
        #expect(try store.configFile.load().authEntry(forKey: "127.0.0.1:5000") == DockerAuthEntry(username: "", password: ""))
        #expect(try store.credentials(for: "127.0.0.1:5000") == RegistryCredentials(username: "me", secret: "s3cret"))
        #expect(try store.erase(for: "127.0.0.1:5000") == ["127.0.0.1:5000"])
        #expect(try helpers.client("test").get(serverURL: "127.0.0.1:5000") == nil)
        #expect(try store.configFile.load().authKeys.isEmpty)
    }

    @Test func credHelpersWinOverCredsStoreAndAuths() throws {
        let helpers = try FakeHelpers()
        defer { helpers.remove() }
        try helpers.client("test").store(RegistryCredentials(username: "hub", secret: "h"), serverURL: "https://index.docker.io/v1/")
        let store = try helpers.store(config: """
            {"credsStore": "absent", "credHelpers": {"https://index.docker.io/v1/": "test", "reg.example": "test"},
             "auths": {"https://index.docker.io/v1/": {"auth": "aW5saW5lOng="}}}
            """)
        #expect(try store.credentials(for: "docker.io") == RegistryCredentials(username: "hub", secret: "h"))
        #expect(try store.credentials(for: "reg.example") == nil)   // the helper's "not found" is final
        #expect(throws: CredentialHelperError.self) { try store.credentials(for: "other.example") }   // credsStore
    }

    @Test func authsAloneWithoutHelpers() throws {
        let helpers = try FakeHelpers()
        defer { helpers.remove() }
        let store = try helpers.store(config: #"{"auths": {"https://index.docker.io/v1/": {"auth": "aW5saW5lOng="}}}"#)
        #expect(try store.credentials(for: "docker.io") == RegistryCredentials(username: "inline", secret: "x"))
        #expect(try store.credentials(for: "index.docker.io") == RegistryCredentials(username: "inline", secret: "x"))
    }
}
