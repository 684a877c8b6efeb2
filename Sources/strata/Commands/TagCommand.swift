import ArgumentParser
import ImageService
import GoText
import OCI
import Store

struct TagCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tag",
        abstract: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
        discussion: "Example: strata tag busybox:latest localhost:5000/tools/busybox:1.36")

    @Argument(help: "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]") var images: [String] = []

    func run() async throws {
        try UsageErrors.check(images.count, .exactly(2))
        let source = images[0], target = images[1]
        // docker's client parses both names before asking the daemon anything.
        func parse(_ name: String) throws -> ImageReference {
            do { return try ImageReference(name) } catch {
                throw CLIError(message: "Error parsing reference: \(GoQuote.quote(name)) is not a valid repository/tag: \(error)")
            }
        }
        if !ImageIDPrefix.isIDLike(source) { _ = try parse(source) }
        let targetReference = try parse(target)
        if targetReference.digest != nil {
            throw CLIError(message: "refusing to create a tag with a digest reference")
        }
        do { try GlobalOptions.service().tag(source, as: targetReference) } catch let error as CLIError {
            throw error
        } catch {
            throw RuntimeErrorText.daemon(error, name: source)
        }
    }
}

extension ImageStore {
    /// Looks an image up, wording failures as dockerd's API errors do (`No such image: name:latest`).
    func resolveForDaemon(_ nameOrID: String) throws -> StoredImage {
        do { return try resolve(nameOrID) } catch { throw RuntimeErrorText.daemon(error, name: nameOrID) }
    }

    /// dockerd names a missing image by its normalised familiar form (`nope:latest`), unless it was an ID.
    static func daemonSpelling(_ nameOrID: String) -> String {
        guard let reference = try? ImageReference(nameOrID) else { return nameOrID }
        return reference.digest == nil ? reference.withDefaultTag().familiarString : reference.familiarString
    }
}
