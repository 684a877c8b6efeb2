import Archive
import Foundation
import OCI
@testable import Store

/// A throw-away store root plus helpers that import small, distinct layers.
struct StoreFixture {
    let directory: String
    let store: ImageStore

    init() throws {
        directory = NSTemporaryDirectory() + "strata-store-tests-\(UUID().uuidString)"
        store = try ImageStore(root: StoreRoot(path: directory))
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: directory) }

    /// A tar with one file whose content is `content`, written to a temp file.
    func tarFile(content: String, name: String = "file.txt") throws -> String {
        let path = directory + "/input-\(UUID().uuidString).tar"
        var bytes: [UInt8] = []
        let writer = TarWriter { bytes.append(contentsOf: $0) }
        try writer.writeEntry(TarEntryHeader(name: name, kind: .regular, size: Int64(content.utf8.count)), data: Array(content.utf8))
        try writer.finish()
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    @discardableResult
    func importImage(content: String, tag: String?, config: ContainerConfig = ContainerConfig()) throws -> StoredImage {
        try ImageImporter(store: store).importImage(
            from: .file(try tarFile(content: content)), config: config, message: nil,
            reference: try tag.map { try ImageReference($0) })
    }
}
