import Archive
import Foundation
import GoText
import OCI
import Store
import Transport

/// A throwaway store plus helpers to build small images and archives in memory.
struct TransportFixture {
    let directory: String
    let store: ImageStore

    init() throws {
        directory = NSTemporaryDirectory() + "transport-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try ImageStore(root: StoreRoot(path: directory + "/store"))
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: directory) }

    /// A one-file layer tar.
    static func layerTar(_ name: String, _ content: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        let writer = TarWriter { bytes += $0 }
        try writer.writeEntry(TarEntryHeader(name: name, kind: .regular), data: Array(content.utf8))
        try writer.finish()
        return bytes
    }

    /// Imports a single-layer image into the store.
    @discardableResult
    func importImage(_ content: String, tag: String?) throws -> StoredImage {
        let path = directory + "/layer-\(UUID().uuidString).tar"
        try Data(try Self.layerTar("file", content)).write(to: URL(fileURLWithPath: path))
        return try ImageImporter(store: store).importImage(
            from: .file(path), config: ContainerConfig(), message: nil, reference: tag.map { try ImageReference($0) })
    }

    /// Commits an image whose layers are the given images' layers plus one more (shared lower layers).
    func stackImage(on base: StoredImage, content: String, tag: String) throws -> StoredImage {
        let path = directory + "/layer-\(UUID().uuidString).tar"
        try Data(try Self.layerTar("top", content)).write(to: URL(fileURLWithPath: path))
        let top = try ImageImporter(store: store).importImage(from: .file(path), config: ContainerConfig(), message: nil,
                                                              reference: nil)
        let layers = try store.layers(of: base.id) + store.layers(of: top.id)
        var config = try JSONDecoder().decode(ImageConfig.self, from: try store.blobs.read(top.id))
        config.rootfs = RootFS(diffIDs: layers.map(\.diffID))
        config.history = layers.map { _ in History(comment: "layer") }
        return try store.commit(config: GoJSON.encode(config), layers: layers, tags: [try ImageReference(tag)], action: "commit")
    }

    /// Saves to a docker-archive (or OCI tar) file and returns its path.
    func save(_ names: [String], oci: Bool = false) async throws -> String {
        let path = directory + "/out-\(UUID().uuidString).tar"
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o644)
        defer { close(fd) }
        let sink = TarSink(fileDescriptor: fd)
        let destination: any ImageDestination = oci ? OCILayoutDestination(sink: sink) : DockerArchiveDestination(sink: sink)
        try await ImageCopier().copy(from: try StoreSource(store: store, names: names), to: destination)
        return path
    }

    /// A second, empty store.
    func freshStore() throws -> ImageStore {
        try ImageStore(root: StoreRoot(path: directory + "/store-\(UUID().uuidString)"))
    }

    static func load(_ path: String, into store: ImageStore) async throws -> [StoreDestination.Committed] {
        var isDirectory: ObjCBool = false
        FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if isDirectory.boolValue { return try await ArchiveLoader(store: store).load(.directory(path)) }
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        return try await ArchiveLoader(store: store).load(.stream(fileDescriptor: fd))
    }

    /// The entries of a tar file: name → data (symlinks as "-> target").
    static func entries(_ path: String) throws -> [String: [UInt8]] {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var names: [TarEntryHeader] = []
        _ = try TarStreamValidator.validate(bytes) { names.append($0) }
        var result: [String: [UInt8]] = [:]
        var offset = 0
        // Walk again by hand for data: only plain ustar entries are written by our sinks.
        while offset + 512 <= bytes.count {
            let header = Array(bytes[offset..<(offset + 512)])
            if header.allSatisfy({ $0 == 0 }) { break }
            let name = String(decoding: header[0..<100].prefix { $0 != 0 }, as: UTF8.self)
            let prefix = String(decoding: header[345..<500].prefix { $0 != 0 }, as: UTF8.self)
            let full = prefix.isEmpty ? name : prefix + "/" + name
            let sizeText = String(decoding: header[124..<136].prefix { $0 != 0 && $0 != 0x20 }, as: UTF8.self)
            let size = Int(sizeText, radix: 8) ?? 0
            if header[156] == UInt8(ascii: "2") {
                result[full] = Array("-> ".utf8) + header[157..<257].prefix { $0 != 0 }
            } else {
                result[full] = Array(bytes[(offset + 512)..<(offset + 512 + size)])
            }
            offset += 512 + (size + 511) / 512 * 512
        }
        return result
    }
}
