import Archive
import Foundation
import OCI

/// Applies a stored image's layers, in order, onto a directory (`strata image unpack`), or flattens
/// them into one tar (`strata export`). Holds the store's ingest lease shared throughout, so a
/// concurrent prune cannot delete a layer blob halfway through.
public struct ImageUnpacker: Sendable {
    public let store: ImageStore
    public let options: LayerApplier.Options

    public init(store: ImageStore, options: LayerApplier.Options = .init()) {
        self.store = store
        self.options = options
    }

    /// Unpacks `image` into `directory`, which is created if missing and must otherwise be empty
    /// (umoci refuses to unpack over existing content too). On failure (a damaged layer, one that is not the
    /// diffID its image claims) nothing of the image stays there.
    public func unpack(_ image: StoredImage, into directory: String) throws {
        var isDirectory: ObjCBool = false
        let existed = FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory)
        if existed {
            guard isDirectory.boolValue else { throw StoreError.invalid("\(directory): not a directory") }
            let contents = try FileManager.default.contentsOfDirectory(atPath: directory)
            guard contents.isEmpty else { throw StoreError.invalid("\(directory): directory is not empty") }
        } else {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o755])
        }
        do {
            try store.ingestLease.shared { try applyLayers(of: image, to: directory) }
        } catch {
            if existed {
                for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
                    try? LayerTreeRemoval.removeTree(atPath: directory + "/" + name)
                }
            } else {
                try? LayerTreeRemoval.removeTree(atPath: directory)
            }
            throw error
        }
    }

    /// Writes `image`'s flattened filesystem as a tar to `output` (not closed): the layers are applied
    /// into a scratch directory under the store root, which is streamed and then removed.
    public func export(_ image: StoredImage, to output: Int32) throws {
        let scratch = try makeScratch()
        defer { try? LayerTreeRemoval.removeTree(atPath: scratch) }
        try store.ingestLease.shared { try applyLayers(of: image, to: scratch) }
        try DirectoryTarStream.write(directory: scratch, toFileDescriptor: output)
    }

    /// Writes several images' flattened filesystems as one tar to `output` (not closed), each under a top-level
    /// directory of its own, in the order given: BuildKit's tar export of several platforms (`linux_amd64/…`), whose
    /// directory entries are mode 0755, owned by root and dated at the epoch. One image at a time is applied into
    /// scratch, streamed and removed before the next, so the scratch space is one tree's at most.
    public func export(_ trees: [(directory: String, image: StoredImage)], to output: Int32) throws {
        let writer = TarWriter(fileDescriptor: output)
        for (name, image) in trees {
            guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
                throw StoreError.invalid("\(name): not a directory name")
            }
            // The tree is applied one level down, so that walking the scratch gives its entries under the name.
            let scratch = try makeScratch()
            defer { try? LayerTreeRemoval.removeTree(atPath: scratch) }
            let tree = scratch + "/" + name
            guard mkdir(tree, 0o755) == 0 else { throw StoreError.posix("mkdir \(tree)") }
            try store.ingestLease.shared { try applyLayers(of: image, to: tree) }
            var epoch = [timespec(tv_sec: 0, tv_nsec: 0), timespec(tv_sec: 0, tv_nsec: 0)]
            guard chmod(tree, 0o755) == 0, lchown(tree, 0, 0) == 0, utimensat(AT_FDCWD, tree, &epoch, 0) == 0 else {
                throw StoreError.posix("setting the attributes of \(tree)")
            }
            try DirectoryTarStream.append(directory: scratch, to: writer)
        }
        try writer.finish()
    }

    /// A new empty directory under the store's temporary directory (removed by the caller).
    private func makeScratch() throws -> String {
        let scratchParent = store.root.temporaryDirectory
        try FileManager.default.createDirectory(atPath: scratchParent, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let scratch = scratchParent + "/export-" + UUID().uuidString.lowercased()
        guard mkdir(scratch, 0o755) == 0 else { throw StoreError.posix("mkdir \(scratch)") }
        return scratch
    }

    private func applyLayers(of image: StoredImage, to directory: String) throws {
        let layers = try store.layers(of: image.id)
        let applier = try LayerApplier(directory: directory, options: options)
        // A pending layer is proven by this pass; one that is not what the image claims stops the unpack.
        for layer in layers { try store.apply(layer, with: applier) }
    }
}
