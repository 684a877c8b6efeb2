import Foundation
import OCI
import Store

// The standard transports' references, each opening itself through a `CopyEndpoints` context.

/// `docker://NAME[:TAG|@DIGEST]`.
public struct RegistryEndpoint: TransportEndpoint {
    public let reference: ImageReference
    public var description: String { "docker://" + reference.description }
    public var destinationNames: [ImageReference]? { [reference] }

    public func source(in context: CopyEndpoints) async throws -> any ImageSource {
        if context.allPlatforms { return RegistryIndexSource(client: context.client, reference: reference) }
        return RegistrySource(client: context.client, reference: reference, platform: context.platform)
    }

    public func destination(in context: CopyEndpoints) throws -> any ImageDestination {
        RegistryDestination(client: context.client, reference: reference)
    }
}

/// `oci:DIR[:REF]` (a layout directory) or `oci-archive:FILE[:REF]` (a layout tar).
public struct OCILayoutEndpoint: TransportEndpoint {
    public let path: String
    public let reference: String?
    public let isArchive: Bool

    public var description: String { (isArchive ? "oci-archive:" : "oci:") + path + (reference.map { ":" + $0 } ?? "") }
    public var destinationNames: [ImageReference]? { [] }

    public func source(in context: CopyEndpoints) async throws -> any ImageSource {
        guard isArchive else {
            return OCILayoutSource(root: path, reference: reference, platform: context.platform, allPlatforms: context.allPlatforms)
        }
        if context.allPlatforms {
            throw TransportError.unsupported("--all is not supported for oci-archive: sources; copy to oci:DIR first")
        }
        return try context.staged(try context.stage(path, refName: reference), describing: path, wanted: reference)
    }

    public func destination(in context: CopyEndpoints) throws -> any ImageDestination {
        let destination = isArchive
            ? OCILayoutDestination(sink: TarSink(fileDescriptor: try context.temporaryOutput(for: path)))
            : try OCILayoutDestination(directory: path)
        destination.refName = reference
        return destination
    }
}

/// `docker-archive:FILE[:NAME:TAG|:@INDEX]`.
public struct DockerArchiveEndpoint: TransportEndpoint {
    public let path: String
    public let image: TransportName.DockerArchiveImage?

    public var description: String {
        switch image {
        case nil: "docker-archive:" + path
        case .reference(let reference)?: "docker-archive:" + path + ":" + reference.description
        case .index(let index)?: "docker-archive:" + path + ":@\(index)"
        }
    }

    public var destinationNames: [ImageReference]? {
        if case .reference(let reference)? = image { return [reference] }
        return nil
    }

    public func source(in context: CopyEndpoints) async throws -> any ImageSource {
        var images = try context.stage(path)
        switch image {
        case .reference(let reference)?: images = images.filter { $0.names.contains(reference) }
        case .index(let index)?: images = images.indices.contains(index) ? [images[index]] : []
        case nil: break
        }
        return try context.staged(images, describing: path, wanted: image.map { "\($0)" })
    }

    public func destination(in context: CopyEndpoints) throws -> any ImageDestination {
        DockerArchiveDestination(sink: TarSink(fileDescriptor: try context.temporaryOutput(for: path)))
    }
}

/// `strata:NAME` or a bare name: the local store.
public struct StoreEndpoint: TransportEndpoint {
    public let name: String
    public var description: String { "strata:" + name }

    public var destinationNames: [ImageReference]? {
        (try? ImageReference(name)).map { [$0.digest == nil ? $0.withDefaultTag() : $0] } ?? []
    }

    public func source(in context: CopyEndpoints) async throws -> any ImageSource {
        let store = try context.store()
        // `--all` copies a name that stands for a multi-platform index whole.
        if context.allPlatforms, let reference = try? ImageReference(name), let index = try store.target(named: reference)?.indexDigest {
            return try StoreSource(store: store, index: index, names: [])
        }
        return try StoreSource(store: store, names: [name])
    }

    public func destination(in context: CopyEndpoints) throws -> any ImageDestination {
        context.keepStagedBlobs()
        return StoreDestination(store: try context.store(), action: "pull", logTagEvents: true)
    }
}
