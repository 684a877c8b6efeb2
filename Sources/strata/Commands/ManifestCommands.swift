import ArgumentParser
import DockerViews
import Foundation
import ImageService
import GoText
import OCI
import Registry

struct ManifestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifest",
        abstract: "Manage Docker image manifests and manifest lists",
        discussion: """
            Examples:
              strata manifest inspect 127.0.0.1:5000/tools/busybox:1.36
              strata manifest create 127.0.0.1:5000/tools/busybox:multi 127.0.0.1:5000/tools/busybox:amd64 \\
                  127.0.0.1:5000/tools/busybox:arm64
              strata manifest annotate --arch arm64 --variant v8 127.0.0.1:5000/tools/busybox:multi \\
                  127.0.0.1:5000/tools/busybox:arm64
              strata manifest push 127.0.0.1:5000/tools/busybox:multi
            """,
        subcommands: [ManifestInspectCommand.self, ManifestCreateCommand.self, ManifestAnnotateCommand.self,
                      ManifestPushCommand.self, ManifestRemoveCommand.self])
}

/// Parses a reference as the manifest commands do (tag defaulted).
private func manifestReference(_ text: String) throws -> ImageReference {
    do {
        let reference = try ImageReference(text)
        return reference.digest == nil ? reference.withDefaultTag() : reference
    } catch {
        throw CLIError(message: "\(error)")
    }
}

struct ManifestInspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Display an image manifest, or manifest list",
        usage: "strata manifest inspect [OPTIONS] [MANIFEST_LIST] MANIFEST")

    @Flag(name: .customLong("insecure"), help: "Allow communication with an insecure registry") var insecure = false
    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "Output additional info including layers and platform")
    var verbose = false
    @Argument(help: "[MANIFEST_LIST] MANIFEST") var names: [String] = []

    func run() async throws {
        try UsageErrors.check(names.count, .atLeast(1))
        if names.count > 2 { try UsageErrors.check(names.count, .atMost(2)) }
        let drafts = ManifestListDrafts()
        if names.count == 2 {
            let list = try manifestReference(names[0]).description
            let image = try manifestReference(names[1]).description
            guard let entry = try drafts.entries(of: list).first(where: { $0.reference == image }) else {
                throw CLIError(message: "No such manifest: \(image)")
            }
            return printEntry(entry)
        }
        let reference = try manifestReference(names[0])
        let local = try drafts.entries(of: reference.description)
        if !local.isEmpty { return printList(local) }
        if insecure { GlobalOptions.allowInsecure(reference.domain) }
        do {
            try await GlobalOptions.service().withRegistry { client in
                let repository = RegistryRepository(reference)
                let fetched = try await client.manifest(repository, reference: reference.digest?.description ?? reference.tag!)
                if fetched.mediaType == MediaType.ociIndex || fetched.mediaType == MediaType.dockerManifestList {
                    let index = try JSONDecoder().decode(ImageIndex.self, from: fetched.data)
                    if !verbose { return Output.write(String(decoding: ManifestListDocument.encode(index.manifests), as: UTF8.self) + "\n") }
                    var entries: [ManifestListEntry] = []
                    for descriptor in index.manifests {
                        let child = try await client.manifest(repository, reference: descriptor.digest.description)
                        entries.append(ManifestListEntry(reference: reference.repository.withDigest(descriptor.digest).description,
                                                         descriptor: descriptor, manifest: child.data))
                    }
                    return Output.write(String(decoding: GoJSON.encode(JSONValue.array(entries.map(\.verboseJSON)), indent: "\t"),
                                               as: UTF8.self) + "\n")
                }
                var descriptor = fetched.descriptor
                if verbose { descriptor.platform = try await client.platform(of: fetched, in: repository) }
                printEntry(ManifestListEntry(reference: reference.description, descriptor: descriptor, manifest: fetched.data))
            }
        } catch let error as CLIError {
            throw error
        } catch let error as RegistryError where error.code == "MANIFEST_UNKNOWN" || error.status == 404 {
            throw CLIError(message: "no such manifest: \(reference.description)")
        } catch let error as RegistryError {
            if case .manifestNotFound = error { throw CLIError(message: "no such manifest: \(reference.description)") }
            throw CLIError(message: RuntimeErrorText.describe(error))
        } catch {
            throw CLIError(message: RuntimeErrorText.describe(error))
        }
    }

    private func printEntry(_ entry: ManifestListEntry) {
        if verbose {
            Output.write(String(decoding: GoJSON.encode(entry.verboseJSON, indent: "\t"), as: UTF8.self) + "\n")
        } else {
            Output.write(JSONIndent.indent(String(decoding: entry.manifest, as: UTF8.self), indent: "\t") + "\n")
        }
    }

    private func printList(_ entries: [ManifestListEntry]) {
        if verbose {
            Output.write(String(decoding: GoJSON.encode(JSONValue.array(entries.map(\.verboseJSON)), indent: "\t"), as: UTF8.self) + "\n")
        } else {
            Output.write(String(decoding: ManifestListDocument.encode(entries.map(\.descriptor)), as: UTF8.self) + "\n")
        }
    }
}

struct ManifestCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a local manifest list for annotating and pushing to a registry",
        usage: "strata manifest create MANIFEST_LIST MANIFEST [MANIFEST...]")

    @Flag(name: [.customShort("a"), .customLong("amend")], help: "Amend an existing manifest list") var amend = false
    @Flag(name: .customLong("insecure"), help: "Allow communication with an insecure registry") var insecure = false
    @Argument(help: "MANIFEST_LIST MANIFEST [MANIFEST...]") var names: [String] = []

    func run() async throws {
        try UsageErrors.check(names.count, .atLeast(2))
        let list = try manifestReference(names[0])
        let drafts = ManifestListDrafts()
        if drafts.exists(list.description) && !amend {
            throw CLIError(message: "refusing to amend an existing manifest list with no --amend flag")
        }
        let images = try names.dropFirst().map(manifestReference)
        for image in images where image.domain != list.domain {
            throw CLIError(message: "cannot use source images from a different registry than the target image: \(image.domain) != \(list.domain)")
        }
        if insecure { GlobalOptions.allowInsecure(list.domain) }
        do {
            try await GlobalOptions.service().withRegistry { client in
                for image in images {
                    let repository = RegistryRepository(image)
                    let fetched = try await client.manifest(repository, reference: image.digest?.description ?? image.tag!)
                    guard fetched.mediaType != MediaType.ociIndex && fetched.mediaType != MediaType.dockerManifestList else {
                        throw CLIError(message: "\(image.description) is a manifest list")
                    }
                    var descriptor = fetched.descriptor
                    descriptor.platform = try await client.platform(of: fetched, in: repository)
                    try drafts.save(ManifestListEntry(reference: image.description, descriptor: descriptor, manifest: fetched.data),
                                    in: list.description)
                }
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError(message: RuntimeErrorText.describe(error))
        }
        Output.write("Created manifest list \(list.description)\n")
    }
}

struct ManifestAnnotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "annotate", abstract: "Add additional information to a local image manifest",
        usage: "strata manifest annotate [OPTIONS] MANIFEST_LIST MANIFEST")

    @Option(help: "Set architecture") var arch: String?
    @Option(help: "Set operating system") var os: String?
    @Option(name: .customLong("os-features"), help: "Set operating system feature") var osFeatures: [String] = []
    @Option(name: .customLong("os-version"), help: "Set operating system version") var osVersion: String?
    @Option(help: "Set architecture variant") var variant: String?
    @Argument(help: "MANIFEST_LIST MANIFEST") var names: [String] = []

    func run() async throws {
        try UsageErrors.check(names.count, .exactly(2))
        let list = try manifestReference(names[0]).description
        let image = try manifestReference(names[1]).description
        let drafts = ManifestListDrafts()
        guard var entry = try drafts.entries(of: list).first(where: { $0.reference == image }) else {
            throw CLIError(message: "manifest for image \(image) does not exist in \(list)")
        }
        var platform = entry.descriptor.platform ?? Platform(os: "linux", architecture: "amd64")
        if let os { platform.os = os }
        if let arch { platform.architecture = arch }
        if let variant { platform.variant = variant }
        if let osVersion { platform.osVersion = osVersion }
        if !osFeatures.isEmpty { platform.osFeatures = osFeatures }
        entry.descriptor.platform = platform
        try drafts.save(entry, in: list)
    }
}

struct ManifestPushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push", abstract: "Push a manifest list to a repository",
        usage: "strata manifest push [OPTIONS] MANIFEST_LIST")

    @Flag(name: .customLong("insecure"), help: "Allow push to an insecure registry") var insecure = false
    @Flag(name: [.customShort("p"), .customLong("purge")], help: "Remove the local manifest list after push") var purge = false
    @Argument(help: "MANIFEST_LIST") var names: [String] = []

    func run() async throws {
        try UsageErrors.check(names.count, .exactly(1))
        let list = try manifestReference(names[0])
        let drafts = ManifestListDrafts()
        let entries = try drafts.entries(of: list.description)
        guard !entries.isEmpty else { throw CLIError(message: "No such manifest: \(list.description)") }
        if insecure { GlobalOptions.allowInsecure(list.domain) }
        do {
            let digest = try await GlobalOptions.service().pushManifestList(list, entries: entries)
            Output.write(digest.description + "\n")
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError(message: RuntimeErrorText.describe(error))
        }
        if purge { try? drafts.remove(list.description) }
    }
}

struct ManifestRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Delete one or more manifest lists from local storage",
        usage: "strata manifest rm MANIFEST_LIST [MANIFEST_LIST...]")

    @Argument(help: "MANIFEST_LIST [MANIFEST_LIST...]") var names: [String] = []

    func run() async throws {
        try UsageErrors.check(names.count, .atLeast(1))
        for name in names {
            do { try ManifestListDrafts().remove(try manifestReference(name).description) } catch let error as CLIError {
                throw error
            } catch {
                throw CLIError(message: "\(error)")
            }
        }
    }
}
