import Dockerfile
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import OCI

extension StageBuilder {
    /// COPY/ADD: sources from the context (content checksums from the stat cache), a stage, an image or
    /// heredocs, copied with FileCopier into the overlay's merged dir so `--chown` names resolve in the image.
    mutating func copyStep(_ input: CopyStepInput) async throws {
        let context = environment.request.context
        var paths: [String] = []
        var shownSources: [String] = []
        var heredocs: [Heredoc] = []
        for source in input.sources {
            switch source {
            case .path(let raw):
                let value = try expand(raw)
                paths.append(value)
                shownSources.append(value)
            case .heredoc(let heredoc):
                heredocs.append(heredoc)
                shownSources.append(heredoc.name)
            }
        }
        // BuildKit verifies --checksum against downloads only; on anything else it is an error, not ignored.
        if input.checksum != nil, !heredocs.isEmpty || paths.contains(where: { !CopyRequest.isURL($0) }) {
            throw BuildFailure("checksum can't be specified for non-HTTP(S) sources")
        }
        let destination = try expand(input.destination)
        let chown = try input.chown.map { value throws(DockerfileError) in try expand(value) }
        let chmod = try input.chmod.map { value throws(DockerfileError) in try expand(value) }
        // BuildKit checks --chmod while converting the Dockerfile, before any step runs.
        if let chmod {
            do { _ = try CopyMode.parse(chmod) } catch { throw BuildFailure(error.description) }
        }
        let workdir = state.container.workingDir.isEmpty ? "/" : state.container.workingDir
        let createdBy = HistoryText.copy(isAdd: input.isAdd, sources: shownSources, destination: destination)
        let display = displayText(input.original)

        var tree = context.tree
        var contentKey: String
        var heredocDirectory: String?
        var lazyStage: Int?
        defer { if let heredocDirectory { try? FileManager.default.removeItem(atPath: heredocDirectory) } }
        do {
            if !heredocs.isEmpty {
                let directory = try environment.directories.newScratch()
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                for heredoc in heredocs {
                    var body = heredoc.effectiveContent
                    if heredoc.expands { body = try expand(body) }
                    try Data(body.utf8).write(to: URL(fileURLWithPath: directory + "/" + heredoc.name))
                    Glibc.chmod(directory + "/" + heredoc.name, 0o644)
                    paths.append(heredoc.name)
                }
                heredocDirectory = directory
                tree = SourceTree(rootDirectory: directory, resetsOwnership: true)
                contentKey = "heredoc:" + heredocs.map(\.content).joined(separator: "\u{0}")
            } else if let from = input.from, !from.isEmpty, let (index, key) = try await stageKeyWithoutFiles(from) {
                // The stage is built only if this step is not cached (a fresh store taking a cache need not run it).
                contentKey = "from:" + key
                lazyStage = index
            } else if let from = input.from, !from.isEmpty {
                if environment.walksKeysOnly { throw StageKeyWalk.needsFiles }
                let (directory, key) = try await sourceFilesystem(from)
                tree = SourceTree(rootDirectory: directory)
                contentKey = "from:" + key
            } else {
                let local = input.isAdd ? paths.filter { !CopyRequest.isURL($0) } : paths
                contentKey = local.isEmpty ? "" : try context.checksum(sources: local).description
                if !local.isEmpty { environment.contextShown.show(context, progress: environment.progress) }
                if input.isAdd { contentKey += " urls:" + paths.filter(CopyRequest.isURL).joined(separator: " ") }
            }
        } catch let error as SourceError {
            let vertex = environment.progress.start(stepName(display))
            vertex.failed(error.description)
            throw BuildFailure(error.buildFailureMessage, stepName: stepName(display))
        }
        let request = CopyRequest(sources: paths, destination: destination, workingDirectory: workdir, chown: chown, chmod: chmod,
                                  isAdd: input.isAdd, checksum: input.checksum)
        let keyParts = [input.isAdd ? "ADD" : "COPY", contentKey, destination, workdir, chown ?? "", chmod ?? "",
                        input.checksum ?? ""] + paths
        let sourceTree = tree
        let fetcher = environment.request.urlFetcher
        // Heredoc files are gone once this step ends, so only lasting sources may be read later.
        let canDefer = heredocs.isEmpty
        let environment = self.environment, stageToBuild = lazyStage
        try await layerStep(display: display, keyParts: keyParts, createdBy: createdBy) { rootfs, overlay in
            var sourceTree = sourceTree
            if let stageToBuild {
                let result = try await environment.stageResult(stageToBuild)
                sourceTree = SourceTree(rootDirectory: try environment.views.view(of: result.layers))
            }
            do {
                let summary = try await FileCopier.copy(request, from: sourceTree, into: rootfs, deferContents: overlay && canDefer,
                                                        fetcher: fetcher)
                return StageBuilder.StepWork(contentSources: summary.contentSources)
            } catch let error as SourceError {
                throw BuildFailure(error.buildFailureMessage)
            } catch let error as CopyOwner.UnknownName {
                throw BuildFailure(error.description)
            }
        }
    }
}
