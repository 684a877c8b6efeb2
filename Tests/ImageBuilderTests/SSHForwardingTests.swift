import Foundation
import Testing
@testable import ImageBuilder

/// `--ssh` values and key files as BuildKit's client reads them (its messages checked against the docker 20.10 peer).
@Suite("ImageBuilder: --ssh sources")
struct SSHForwardingTests {
    @Test func specs() {
        #expect(SSHForwardSpec.parse("default") == SSHForwardSpec(id: "default"))
        #expect(SSHForwardSpec.parse("k=/a") == SSHForwardSpec(id: "k", paths: ["/a"]))
        #expect(SSHForwardSpec.parse("k=/a,/b") == SSHForwardSpec(id: "k", paths: ["/a", "/b"]))
        #expect(SSHForwardSpec.parse("=/a") == SSHForwardSpec(id: "", paths: ["/a"]))
        #expect(SSHForwardSpec.parse("k=") == SSHForwardSpec(id: "k", paths: [""]))
    }

    @Test("start refuses what BuildKit's NewSSHAgentProvider refuses")
    func refusals() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ssh-forwarding-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let garbage = directory.appendingPathComponent("garbage").path
        try Data("not a key\n".utf8).write(to: URL(fileURLWithPath: garbage))
        let cases: [([SSHForwardSpec], String)] = [
            ([SSHForwardSpec(id: "default")], "invalid empty ssh agent socket, make sure SSH_AUTH_SOCK is set"),
            ([SSHForwardSpec(id: "x", paths: ["/nonexistent"])], "stat /nonexistent: no such file or directory"),
            ([SSHForwardSpec(id: "x", paths: [garbage])], "failed to parse \(garbage): ssh: no key found"),
        ]
        for (specs, message) in cases {
            do {
                _ = try await SSHForwarding.start(specs, scratchRoot: directory.path, agentSocket: nil)
                Issue.record("\(specs) was accepted")
            } catch {
                #expect("\(error)" == message)
            }
        }
    }

    @Test("key files: no PEM block, or a passphrase, is refused before an agent sees the key")
    func keyText() {
        #expect(PrivateKeyText.problem(Array("hello".utf8)) == "ssh: no key found")
        // An OpenSSH key whose cipher is aes256-ctr (the header of `ssh-keygen -N pw`), and one with none.
        func openSSH(cipher: String) -> [UInt8] {
            var body = Array("openssh-key-v1\0".utf8)
            let name = Array(cipher.utf8)
            body += [0, 0, 0, UInt8(name.count)] + name + [0, 0, 0, 4] + Array("none".utf8)
            let base64 = Data(body).base64EncodedString()
            return Array("-----BEGIN OPENSSH PRIVATE KEY-----\n\(base64)\n-----END OPENSSH PRIVATE KEY-----\n".utf8)
        }
        #expect(PrivateKeyText.problem(openSSH(cipher: "aes256-ctr")) == "ssh: this private key is passphrase protected")
        #expect(PrivateKeyText.problem(openSSH(cipher: "none")) == nil)
        let legacy = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n"
        #expect(PrivateKeyText.problem(Array(legacy.utf8)) == "ssh: this private key is passphrase protected")
    }
}
