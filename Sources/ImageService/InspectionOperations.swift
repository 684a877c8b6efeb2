import Analyze
import Archive
import Foundation
import OCI
import Scan
import Store

/// What the catalogers found in one image.
public struct CatalogResult: Sendable {
    public var subject: ScannedImage
    public var inventory: ImageInventory
}

/// Both sides of `image diff`: files from the layer trees, packages from the catalogers.
public struct ImageComparison: Sendable {
    public var old: ScannedImage
    public var new: ScannedImage
    public var files: ImageDiff
    public var packages: PackageDifference
}

/// Looking inside images without unpacking them: the catalog behind `sbom` and `scan`, `image analyze` and
/// `image diff`. Each reads the layers straight from the store as streams on threads of their own.
extension ImageService {
    /// The image `nameOrID` resolves to and its layer streams.
    func inspected(_ nameOrID: String) throws -> (ScannedImage, [ImageLayerSource]) {
        let image = try self.image(nameOrID)
        let layers = try layerSources(of: image)
        let config = try? JSONDecoder().decode(ImageConfig.self, from: store().blobs.read(image.id))
        let subject = ScannedImage(
            reference: nameOrID, imageID: image.id, manifestDigest: image.manifestDigest,
            repoDigests: image.repoDigests.map(\.familiarString), repoTags: image.repoTags.map(\.familiarString),
            diffIDs: layers.map(\.diffID), created: config?.created, architecture: config?.architecture, os: config?.os)
        return (subject, layers)
    }

    /// Where catalogs are kept by image ID: `<root>/scan/catalog/`.
    public var catalogCache: CatalogCache { CatalogCache(directory: environment.root.path + "/scan/catalog") }

    /// The packages installed in an image (every cataloger, whiteouts honoured, each unproven layer proven as it is
    /// read); an image cataloged before is answered from the catalog cache.
    public func catalog(_ nameOrID: String) async throws -> CatalogResult {
        let (subject, layers) = try inspected(nameOrID)
        return CatalogResult(subject: subject, inventory: try await inventory(of: subject.imageID, layers: layers))
    }

    func inventory(of imageID: Digest, layers: [ImageLayerSource]) async throws -> ImageInventory {
        let cache = catalogCache
        return try await BlockingWork.run(named: "strata.catalog") {
            if let cached = cache.inventory(of: imageID) { return cached }
            let inventory = try ImageCatalog.catalog(layers: layers)
            cache.store(inventory, of: imageID)
            return inventory
        }
    }

    /// `image analyze`: dive's efficiency, wasted bytes and per-layer changes.
    public func analyze(_ nameOrID: String, options: AnalysisOptions = AnalysisOptions()) async throws
        -> (subject: ScannedImage, analysis: ImageAnalysis) {
        let (subject, layers) = try inspected(nameOrID)
        let analysis = try await BlockingWork.run(named: "strata.analyze") {
            try ImageAnalysis.analyze(layers: layers, options: options)
        }
        return (subject, analysis)
    }

    /// `image diff`: files added, removed and changed between two images, and the packages likewise.
    public func diff(_ oldName: String, _ newName: String) async throws -> ImageComparison {
        let (old, oldLayers) = try inspected(oldName)
        let (new, newLayers) = try inspected(newName)
        async let files = BlockingWork.run(named: "strata.diff") { try ImageDiff.files(old: oldLayers, new: newLayers) }
        async let oldPackages = inventory(of: old.imageID, layers: oldLayers)
        async let newPackages = inventory(of: new.imageID, layers: newLayers)
        let packages = PackageDifference(old: try await oldPackages.packages, new: try await newPackages.packages)
        return ImageComparison(old: old, new: new, files: try await files, packages: packages)
    }
}
