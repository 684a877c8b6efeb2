import Archive
import Foundation
import OCI
import Store
import Transport

/// Writes a built image (already committed to the store) where `-o/--output` asked: its root filesystem into a
/// directory or a tar, or the image as an OCI layout or `docker save` archive; `image` (and a dest-less
/// `docker`) tags it in the store. Pushing (`push=true`) is left to the caller, which has the registry client.
public struct BuildOutputExporter: Sendable {
    public let store: ImageStore
    /// Where `dest=-` writes.
    public let standardOutput: Int32

    public init(store: ImageStore, standardOutput: Int32 = STDOUT_FILENO) {
        self.store = store
        self.standardOutput = standardOutput
    }

    /// Parses `spec` and exports image `imageID` to it.
    public func export(imageID: Digest, spec: String) async throws {
        try await export(imageID: imageID, to: try BuildOutput.parse(spec))
    }

    public func export(imageID: Digest, to output: BuildOutput) async throws {
        guard let image = try store.image(id: imageID) else { throw StoreError.noSuchImage(imageID.description) }
        switch output.kind {
        case .image:
            try tag(image, names: output.names)
        case .local:
            try exportDirectory(image, to: output.destination ?? ".")
        case .tar:
            try withDestination(output) { fd in try ImageUnpacker(store: store).export(image, to: fd) }
        case .oci, .docker:
            guard output.destination != nil else {
                try tag(image, names: output.names)
                return
            }
            let tags = try output.names.map { try ImageReference($0) }
            let source = StoreSource(store: store, images: [(image, tags)])
            try await withAsyncDestination(output) { fd in
                let sink = TarSink(fileDescriptor: fd)
                if output.kind == .oci {
                    try await ImageCopier().copy(from: source, to: OCILayoutDestination(sink: sink))
                } else {
                    try await ImageCopier().copy(from: source, to: DockerArchiveDestination(sink: sink))
                }
            }
        }
    }

    /// Exports a multi-platform build's index: `local` writes each platform's tree under `DEST/<os>_<arch>[_variant]`
    /// (BuildKit's platform split), `tar` the same trees as one tar (top-level `linux_amd64/`, `linux_arm64/`, …, in
    /// name order, as BuildKit's tar exporter), `oci` the index whole as an OCI layout tar, `image` names the index.
    /// BuildKit's docker exporter cannot hold an index: refused.
    public func export(index: Digest, platforms: [(platform: Platform, image: Digest)], to output: BuildOutput) async throws {
        switch output.kind {
        case .image:
            guard !output.names.isEmpty else { return }
            guard let stored = try store.index(digest: index) else { throw StoreError.noSuchImage(index.description) }
            let data = try store.blobs.read(index)
            _ = try store.commitIndex(data, mediaType: stored.mediaType, names: try output.names.map { try ImageReference($0) },
                                      platform: PlatformMatcher(for: .host))
        case .local:
            for (platform, id) in platforms {
                guard let image = try store.image(id: id) else { throw StoreError.noSuchImage(id.description) }
                try exportDirectory(image, to: (output.destination ?? ".") + "/" + Self.platformDirectory(platform))
            }
        case .oci:
            let tags = try output.names.map { try ImageReference($0) }
            let source = try StoreSource(store: store, index: index, names: tags)
            try await withAsyncDestination(output) { fd in
                try await ImageCopier().copy(from: source, to: OCILayoutDestination(sink: TarSink(fileDescriptor: fd)))
            }
        case .docker:
            throw BuildOutputError("docker exporter does not currently support exporting manifest lists")
        case .tar:
            let trees = try platforms.map { platform, id in
                guard let image = try store.image(id: id) else { throw StoreError.noSuchImage(id.description) }
                return (directory: Self.platformDirectory(platform), image: image)
            }.sorted { $0.directory < $1.directory }
            try withDestination(output) { fd in try ImageUnpacker(store: store).export(trees, to: fd) }
        }
    }

    /// BuildKit's name for one platform's part of a multi-platform export: the platform with `/` as `_`.
    static func platformDirectory(_ platform: Platform) -> String {
        platform.description.replacingOccurrences(of: "/", with: "_")
    }

    private func tag(_ image: StoredImage, names: [String]) throws {
        for name in names { try store.tag(image, as: try ImageReference(name)) }
    }

    /// Checks a file destination as the CLI does before the build starts: stdout must not be a terminal, a file must
    /// not be a directory, and its directory must exist (buildx creates the file before it solves; these are its words,
    /// Go's error naming the failed `open` after buildx's own "failed to open").
    public func checkDestination(_ output: BuildOutput) throws {
        guard output.kind != .image, output.kind != .local, let destination = output.destination else { return }
        if destination == "-" {
            if isatty(standardOutput) == 1 {
                throw BuildOutputError(output.kind == .tar ? "refusing to write output to console"
                                       : "output file is required for \(output.kind.rawValue) exporter. refusing to write to console")
            }
            return
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory) {
            if isDirectory.boolValue { throw BuildOutputError("destination file \(destination) is a directory") }
            return
        }
        let parent = (destination as NSString).deletingLastPathComponent
        var info = stat()
        if stat(parent.isEmpty ? "." : parent, &info) != 0 {
            throw Self.openFailure(destination, code: errno)
        }
        if (info.st_mode & S_IFMT) != S_IFDIR { throw Self.openFailure(destination, code: ENOTDIR) }
    }

    static func openFailure(_ destination: String, code: Int32) -> BuildOutputError {
        let text = String(cString: strerror(code))
        return BuildOutputError("failed to open open \(destination): " + (text.first.map { $0.lowercased() + text.dropFirst() } ?? text))
    }

    private func openDestination(_ output: BuildOutput) throws -> (fd: Int32, owned: Bool) {
        try checkDestination(output)
        let destination = output.destination ?? "-"
        if destination == "-" { return (standardOutput, false) }
        let fd = open(destination, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Self.openFailure(destination, code: errno) }
        return (fd, true)
    }

    private func withDestination(_ output: BuildOutput, _ body: (Int32) throws -> Void) throws {
        let (fd, owned) = try openDestination(output)
        defer { if owned { close(fd) } }
        try body(fd)
    }

    private func withAsyncDestination(_ output: BuildOutput, _ body: (Int32) async throws -> Void) async throws {
        let (fd, owned) = try openDestination(output)
        defer { if owned { close(fd) } }
        try await body(fd)
    }

    /// BuildKit's local exporter copies the tree into `directory`, creating it, replacing what is in the way and
    /// keeping other files. An empty or missing directory gets the layers applied in place; otherwise they are
    /// applied next to it and the entries moved in.
    private func exportDirectory(_ image: StoredImage, to directory: String) throws {
        let unpacker = ImageUnpacker(store: store)
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory)
        if exists && !isDirectory.boolValue {
            throw BuildOutputError("destination directory \(directory) is a file")
        }
        if existing.isEmpty {
            try unpacker.unpack(image, into: directory)
            return
        }
        let parent = (directory as NSString).deletingLastPathComponent
        let scratch = (parent.isEmpty ? "." : parent) + "/.strata-output-" + UUID().uuidString.lowercased()
        defer { try? LayerTreeRemoval.removeTree(atPath: scratch) }
        try unpacker.unpack(image, into: scratch)
        try Self.merge(scratch, into: directory)
    }

    /// Moves every entry of `source` into `target`; directories present in both are merged, anything else in
    /// the way is replaced.
    static func merge(_ source: String, into target: String) throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: source) {
            let from = source + "/" + name
            let to = target + "/" + name
            var fromInfo = stat()
            var toInfo = stat()
            guard lstat(from, &fromInfo) == 0 else { throw StoreError.system("lstat \(from)", errno: errno) }
            if lstat(to, &toInfo) == 0 {
                if (fromInfo.st_mode & S_IFMT) == S_IFDIR && (toInfo.st_mode & S_IFMT) == S_IFDIR {
                    try merge(from, into: to)
                    chmod(to, fromInfo.st_mode & 0o7777)
                    lchown(to, fromInfo.st_uid, fromInfo.st_gid)
                    continue
                }
                try LayerTreeRemoval.removeTree(atPath: to)
            }
            guard rename(from, to) == 0 else { throw StoreError.system("rename \(from) to \(to)", errno: errno) }
        }
    }
}
