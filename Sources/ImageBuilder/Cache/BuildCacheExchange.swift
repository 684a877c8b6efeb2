import Foundation
import GoText
import OCI

/// A `--cache-from` cache, read when the build starts (`importing cache manifest from …`).
public struct BuildCacheSource: Sendable {
    public var name: String
    public var load: @Sendable () async throws -> ImportedBuildCache.Source

    public init(name: String, load: @escaping @Sendable () async throws -> ImportedBuildCache.Source) {
        self.name = name
        self.load = load
    }
}

/// A `--cache-to` destination (registry or local), written once the image is (`exporting cache`).
public struct BuildCacheExport: Sendable {
    public var name: String
    public var mode: BuildCacheSpec.Mode
    public var ignoresErrors: Bool
    /// Writes the steps; `status` reports each blob and manifest written.
    public var write: @Sendable (_ steps: [CachedStepResult], _ status: @escaping @Sendable (String) -> Void) async throws -> Void

    public init(name: String, mode: BuildCacheSpec.Mode, ignoresErrors: Bool,
                write: @escaping @Sendable ([CachedStepResult], @escaping @Sendable (String) -> Void) async throws -> Void) {
        self.name = name
        self.mode = mode
        self.ignoresErrors = ignoresErrors
        self.write = write
    }
}

extension BuildExecutor {
    /// Reads every `--cache-from` cache, each under its own vertex. A cache that cannot be read (missing, corrupt,
    /// unreachable) fails its vertex, as BuildKit shows it, and the build goes on without it.
    static func importCaches(_ sources: [BuildCacheSource], progress: VertexCounter) async -> ImportedBuildCache? {
        guard !sources.isEmpty else { return nil }
        var loaded: [ImportedBuildCache.Source] = []
        for source in sources {
            let vertex = progress.start("importing cache manifest from \(source.name)")
            do {
                loaded.append(try await source.load())
                vertex.done()
            } catch {
                vertex.failed(ErrorText.bounded("\(error)"))
            }
        }
        return loaded.isEmpty ? nil : ImportedBuildCache(sources: loaded)
    }

    /// Writes `exports` (`all` for mode=max, `chain` for mode=min) under one `exporting cache` vertex, as BuildKit
    /// does after exporting the image. A failure fails the build unless the export said `ignore-error=true`; the
    /// image is stored and named either way.
    public static func exportCaches(_ exports: [BuildCacheExport], all: [CachedStepResult], chain: [CachedStepResult],
                                    events: @escaping BuildEventSink) async throws {
        try await exportCaches(exports, all: all, chain: chain, progress: VertexCounter(sink: events))
    }

    static func exportCaches(_ exports: [BuildCacheExport], all: [CachedStepResult], chain: [CachedStepResult],
                             progress: VertexCounter) async throws {
        guard !exports.isEmpty else { return }
        let vertex = progress.start("exporting cache")
        vertex.status("preparing build cache for export done")
        for export in exports {
            do {
                try await export.write(export.mode == .max ? all : chain) { vertex.status($0) }
            } catch {
                let message = ErrorText.bounded("failed to export cache to \(export.name): \(error)")
                if export.ignoresErrors {
                    vertex.status("WARNING: \(message)")
                    continue
                }
                vertex.failed(message)
                throw BuildFailure(message)
            }
        }
        vertex.done()
    }
}
