import ArgumentParser
import DockerViews
import Foundation
import ImageService
import OCI
import Trust

struct TrustCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust", abstract: "Manage trust on Docker images",
        discussion: """
            Signatures are cosign-compatible: they live in the registry beside the image (the sha256-<hex>.sig tag, and
            a Sigstore bundle referrer where the registry serves the referrers API), so cosign, skopeo and podman verify
            what Strata signs and Strata verifies what they sign.

            Examples:
              export DOCKER_CONTENT_TRUST=1
              strata trust key generate mykey
              strata trust sign 127.0.0.1:5000/myimage:tag
              strata trust inspect --pretty 127.0.0.1:5000/myimage:tag
              strata verify --key mykey.pub 127.0.0.1:5000/myimage:tag

            The passphrase comes from STRATA_TRUST_PASSPHRASE (or DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE), else the
            terminal. Private keys live, encrypted and mode 0600, under ~/.config/strata/trust/private.
            """,
        subcommands: [TrustKeyCommand.self, TrustSignCommand.self, TrustInspectCommand.self, TrustRevokeCommand.self,
                      TrustSignerCommand.self])
}

/// `trust` failures: the library's line, prefixed as docker prints errors.
func trustFailure(_ error: any Error) -> CLIError {
    if let error = error as? CLIError { return error }
    return CLIError(message: "Error: \(RuntimeErrorText.describe(error))", code: RuntimeErrorText.exitStatus(ErrorKind.of(error)))
}

func trustDirectory() throws -> TrustDirectory {
    do { return try TrustDirectory.standard() } catch { throw trustFailure(error) }
}

func parseTrustReference(_ text: String) throws -> ImageReference {
    do { return try ImageReference(text) } catch { throw CLIError(message: "Error: \(error)") }
}

struct TrustKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Manage keys for signing Docker images",
        subcommands: [TrustKeyGenerateCommand.self, TrustKeyLoadCommand.self])
}

struct TrustKeyGenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Generate and load a signing key-pair",
        usage: "strata trust key generate NAME [--dir DIR]",
        discussion: """
            Writes NAME.pub (PEM SubjectPublicKeyInfo, ECDSA P-256) to the current directory or --dir, and keeps the
            private key encrypted (scrypt + NaCl secretbox, cosign's format) under ~/.config/strata/trust/private.

            Example:
              STRATA_TRUST_PASSPHRASE=... strata trust key generate mykey --dir ./keys
            """)

    @Option(name: .customLong("dir"), help: "Directory to generate key in, defaults to current directory") var dir: String?
    @Argument(help: "NAME") var name: String

    func run() async throws {
        let keys = try trustDirectory()
        do {
            try TrustDirectory.validate(name: name)
            let key = SigningKey()
            let shortID = String(key.publicKey.id.prefix(7))
            Output.write("Generating key for \(name)...\n")
            let passphrase = try Passphrase.new(prompt: "Enter passphrase for new \(name) key with ID \(shortID): ",
                                                repeatPrompt: "Repeat passphrase for new \(name) key with ID \(shortID): ")
            let target = (dir ?? FileManager.default.currentDirectoryPath) + "/" + name + ".pub"
            guard !FileManager.default.fileExists(atPath: target) else {
                throw CLIError(message: "Error: public key file already exists: \"\(target)\"")
            }
            try keys.storeKeyPair(name: name, encryptedPEM: EncryptedKeyFile.seal(pkcs8: key.pkcs8, passphrase: passphrase),
                                  publicKey: key.publicKey)
            guard FileManager.default.createFile(atPath: target, contents: Data(key.publicKey.pem.utf8),
                                                 attributes: [.posixPermissions: 0o644]) else {
                throw CLIError(message: "Error: failed to write public key to \(target)")
            }
            Output.write("Successfully generated and loaded private key. Corresponding public key available: \(target)\n")
        } catch { throw trustFailure(error) }
    }
}

struct TrustKeyLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load", abstract: "Load a private key file for signing",
        usage: "strata trust key load [OPTIONS] KEYFILE",
        discussion: """
            Imports a cosign or skopeo private key (ENCRYPTED SIGSTORE PRIVATE KEY); its passphrase is kept.

            Example:
              COSIGN_PASSWORD=... strata trust key load cosign.key --name ci
            """)

    @Option(name: .customLong("name"), help: "Name for the loaded key") var name = "signer"
    @Argument(help: "KEYFILE") var file: String

    func run() async throws {
        let keys = try trustDirectory()
        do {
            try TrustDirectory.validate(name: name)
            Output.write("Loading key from \"\(file)\"...\n")
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CLIError(message: "Error: cannot read key file \(file)")
            }
            let text = String(decoding: data, as: UTF8.self)
            guard EncryptedKeyFile.isEncryptedKey(text) else {
                throw CLIError(message: "Error: \(file) is not an encrypted sigstore private key")
            }
            let passphrase = try Passphrase.existing(prompt: "Enter passphrase for \(file): ", includingCosign: true)
            let key = try SigningKey(der: EncryptedKeyFile.open(text, passphrase: passphrase))
            try keys.storeKeyPair(name: name, encryptedPEM: text, publicKey: key.publicKey)
            Output.write("Successfully imported key from \(file)\n")
        } catch { throw trustFailure(error) }
    }
}

struct TrustSignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign", abstract: "Sign an image",
        usage: "strata trust sign IMAGE:TAG",
        discussion: """
            A tag that exists in the store is pushed first; otherwise the registry's manifest is signed as it is.

            Examples:
              strata trust sign 127.0.0.1:5000/myimage:tag
              strata trust sign --key mykey -a env=prod 127.0.0.1:5000/myimage@sha256:<digest>
              strata trust sign --recursive 127.0.0.1:5000/multi:1
            """)

    @Option(name: .customLong("key"), help: "Name of the signing key (default: the only key held)") var key: String?
    @Option(name: [.customShort("a"), .customLong("annotation")], help: "Extra key=value annotations in the signed claim")
    var annotations: [String] = []
    @Flag(name: .customLong("recursive"), help: "For a multi-platform image, also sign each platform's manifest") var recursive = false
    @Flag(name: .customLong("local"), help: "Accepted for docker compatibility (local images are always pushed first)") var local = false
    @OptionGroup var contentTrust: ContentTrustFlags
    @Argument(help: "IMAGE:TAG") var image: String

    func run() async throws {
        let reference = try parseTrustReference(image)
        var values: [String: String] = [:]
        for annotation in annotations {
            guard let equals = annotation.firstIndex(of: "="), equals != annotation.startIndex else {
                throw CLIError(message: "Error: invalid annotation \"\(annotation)\": want key=value", code: 125)
            }
            values[String(annotation[..<equals])] = String(annotation[annotation.index(after: equals)...])
        }
        let keys = try trustDirectory()
        let options = TrustSignOptions(reference: reference, keyName: key, annotations: values, recursive: recursive, keys: keys) { name in
            try Passphrase.existing(prompt: "Enter passphrase for \(name) key: ")
        }
        do {
            let progress = TransferProgress(kind: .push, quiet: false)
            let result = try await GlobalOptions.service(contentTrust: contentTrust).sign(options) { event in
                switch event {
                case .pushingLocal(let reference):
                    progress.line("Signing and pushing trust data for local image \(reference.familiarString), may overwrite remote trust data")
                    progress.line(PullProgressLines.pushRefersTo(reference))
                case .push(let pushEvent):
                    switch pushEvent {
                    case .preparing(let layer): progress.status(layer, .preparing)
                    case .mounted(let layer, let from): progress.markMounted(layer, from: from)
                    case .transfer(let copyEvent): progress.handler(copyEvent)
                    case .pushed(let pushed, let digest, let size):
                        progress.line(PullProgressLines.pushed(tag: pushed.tag ?? ImageReference.defaultTag, digest: digest, size: size))
                    }
                case .signingRemote(let reference):
                    progress.line("Signing and pushing trust metadata for \(reference.familiarString)")
                case .signed, .referrerAttached:
                    break
                }
            }
            Output.write("Successfully signed \(result.reference.familiarString)\n")
        } catch { throw trustFailure(error) }
    }
}

struct TrustInspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Return low-level information about keys and signatures",
        usage: "strata trust inspect IMAGE[:TAG] [IMAGE[:TAG]...]",
        discussion: """
            Example:
              strata trust inspect --pretty 127.0.0.1:5000/myimage:tag
            """)

    @Flag(name: .customLong("pretty"), help: "Print the information in a human friendly format") var pretty = false
    @Option(name: .customLong("signature-policy"), help: "Signature policy file naming the trusted keys") var signaturePolicy: String?
    @Argument(help: "IMAGE[:TAG]") var images: [String] = []

    func run() async throws {
        try UsageErrors.check(images.count, .atLeast(1))
        let keys = try trustDirectory()
        let service = try GlobalOptions.service()
        var entries: [TrustInspectView.Entry] = []
        do {
            let policy = try TrustPolicyFile.locate(explicit: signaturePolicy).load(required: signaturePolicy != nil)
            for image in images {
                let inspection = try await service.trustInspect(try parseTrustReference(image), keys: keys, policy: policy)
                entries.append(TrustInspectView.Entry(
                    name: image,
                    signedTags: inspection.signedTags.map { .init(tag: $0.tag, digestHex: $0.digest.encoded, signers: $0.signers) },
                    signers: inspection.signers.map { .init(name: $0.name, keyIDs: $0.keyIDs) },
                    administrativeKeys: inspection.administrativeKeys.map { .init(name: $0.name, keyIDs: $0.keyIDs) }))
            }
        } catch { throw trustFailure(error) }
        Output.write(pretty ? entries.map(TrustInspectView.pretty).joined() : TrustInspectView.json(entries))
    }
}

struct TrustRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Remove trust for an image",
        usage: "strata trust revoke [OPTIONS] IMAGE[:TAG]",
        discussion: """
            Removes the signatures made by your keys; other signers' signatures stay.

            Example:
              strata trust revoke 127.0.0.1:5000/myimage:tag
            """)

    @Flag(name: [.customShort("y"), .customLong("yes")], help: "Do not prompt for confirmation") var yes = false
    @Argument(help: "IMAGE[:TAG]") var image: String

    func run() async throws {
        let reference = try parseTrustReference(image)
        if reference.tag == nil && reference.digest == nil && !yes {
            guard isatty(STDIN_FILENO) != 0 else {
                throw CLIError(message: "Error: revoking every signed tag of \(image) needs confirmation: pass -y")
            }
            Output.write("Please confirm you would like to delete all signature data for \(image)? [y/N] ")
            guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                Output.write("\nAborting action.\n")
                return
            }
        }
        let keys = try trustDirectory()
        do {
            _ = try await GlobalOptions.service().revoke(TrustRevokeOptions(reference: reference, keys: keys))
            Output.write("Successfully deleted signature for \(image)\n")
        } catch { throw trustFailure(error) }
    }
}

struct TrustSignerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signer", abstract: "Manage entities who can sign Docker images",
        subcommands: [TrustSignerAddCommand.self, TrustSignerRemoveCommand.self])
}

struct TrustSignerAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a signer",
        usage: "strata trust signer add OPTIONS NAME REPOSITORY [REPOSITORY...]",
        discussion: """
            Trusts the key for the repositories in the signature policy that content trust enforces.

            Example:
              strata trust signer add --key alice.pub alice 127.0.0.1:5000/myimage
            """)

    @Option(name: .customLong("key"), help: "Path to the signer's public key file") var keyFile: String
    @Option(name: .customLong("signature-policy"), help: "Signature policy file to edit") var signaturePolicy: String?
    @Argument(help: "NAME REPOSITORY...") var arguments: [String] = []

    func run() async throws {
        try UsageErrors.check(arguments.count, .atLeast(2))
        let name = arguments[0]
        let keys = try trustDirectory()
        do {
            try TrustDirectory.validate(name: name)
            guard let data = FileManager.default.contents(atPath: keyFile) else {
                throw CLIError(message: "Error: file for public key does not exist: \(keyFile)")
            }
            let key = try VerificationKey(pem: String(decoding: data, as: UTF8.self))
            try keys.storePublicKey(name: name, key)
            let file = TrustPolicyFile.locate(explicit: signaturePolicy)
            for repository in arguments.dropFirst() {
                let reference = try parseTrustReference(repository)
                Output.write("Adding signer \"\(name)\" to \(repository)...\n")
                try file.addSigner(key, repository: reference.repository)
                Output.write("Successfully added signer: \(name) to \(repository)\n")
            }
        } catch { throw trustFailure(error) }
    }
}

struct TrustSignerRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Remove a signer",
        usage: "strata trust signer remove [OPTIONS] NAME REPOSITORY [REPOSITORY...]",
        discussion: """
            Example:
              strata trust signer remove alice 127.0.0.1:5000/myimage
            """)

    @Flag(name: [.customShort("f"), .customLong("force")], help: "Do not prompt for confirmation before removing the most recent signer")
    var force = false
    @Option(name: .customLong("signature-policy"), help: "Signature policy file to edit") var signaturePolicy: String?
    @Argument(help: "NAME REPOSITORY...") var arguments: [String] = []

    func run() async throws {
        try UsageErrors.check(arguments.count, .atLeast(2))
        let name = arguments[0]
        let keys = try trustDirectory()
        do {
            guard let key = keys.namedPublicKeys().first(where: { $0.name == name })?.key else {
                throw CLIError(message: "Error: no signer named \(name) is known")
            }
            let file = TrustPolicyFile.locate(explicit: signaturePolicy)
            for repository in arguments.dropFirst() {
                let reference = try parseTrustReference(repository)
                Output.write("Removing signer \"\(name)\" from \(repository)...\n")
                guard try file.removeSigner(key, repository: reference.repository) else {
                    throw CLIError(message: "Error: no signer \(name) for repository \(repository)")
                }
                Output.write("Successfully removed \(name) from \(repository)\n")
            }
        } catch { throw trustFailure(error) }
    }
}

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Verify an image's signatures against a public key (cosign verify)",
        usage: "strata verify --key FILE.pub IMAGE",
        discussion: """
            Checks every signature found through cosign's tag scheme and the referrers API. Prints the verified
            payloads as a JSON array on stdout; exits 1 with the reason when none verifies.

            Example:
              strata verify --key mykey.pub 127.0.0.1:5000/myimage:tag
            """)

    @Option(name: .customLong("key"), help: "Public key file (PEM); repeatable") var keyFiles: [String] = []
    @Flag(name: .customLong("verbose"), help: "Log every HTTP exchange to stderr (credentials redacted)") var verbose = false
    @Argument(help: "IMAGE") var image: String

    func run() async throws {
        guard !keyFiles.isEmpty else { throw CLIError(message: "Error: --key is required", code: 1) }
        let reference = try parseTrustReference(image)
        do {
            var keys: [VerificationKey] = []
            for file in keyFiles {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw CLIError(message: "Error: cannot read key file \(file)")
                }
                keys.append(try VerificationKey(pem: String(decoding: data, as: UTF8.self)))
            }
            let result = try await GlobalOptions.service(verbose: verbose).verify(VerifyOptions(reference: reference, keys: keys))
            Output.error("""

                Verification for \(reference.familiarString) --
                The following checks were performed on each of these signatures:
                  - The cosign claims were validated
                  - The signatures were verified against the specified public key

                """)
            let payloads = result.verified.map { String(decoding: $0.payload, as: UTF8.self) }
            Output.write("[" + payloads.joined(separator: ",") + "]\n")
        } catch { throw trustFailure(error) }
    }
}
