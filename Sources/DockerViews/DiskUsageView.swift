import Foundation
import Format
import OCI
import Store

/// `docker system df`: one summary row per resource type, or with `-v` a table per type.
public enum DiskUsageView {
    public static let defaultFormat = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"
    public static let headers = ["Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE", "Size": "SIZE",
                                 "Reclaimable": "RECLAIMABLE"]
    public static let verboseImageFormat =
        "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.VirtualSize}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}"
    public static let verboseImageHeaders = ImageListView.headers.merging(["VirtualSize": "SIZE"]) { _, new in new }

    /// Image usage as dockerd reports it: every layer counted once, and per image the bytes it shares.
    public struct Usage: Sendable {
        public var images: [StoredImage]
        public var layersSize: Int64
        public var sharedSizes: [Digest: Int64]
        public var buildCacheSize: Int64 = 0
        public var buildCacheCount = 0
        /// Build cache entries, oldest use first (docker's order).
        public var buildCache: [BuildCacheItem] = []
        /// Kept containers (newest first).
        public var containers: [ContainerListView.Row] = []

        /// Fills the build cache fields from the store's entries; `imageLayers` are the blobs images use.
        public mutating func addBuildCache(_ entries: [BuildCacheEntry], imageLayers: Set<Digest>) {
            buildCache = DiskUsageView.buildCacheItems(entries, imageLayers: imageLayers)
            buildCacheCount = buildCache.count
            var counted = Set<Digest>()
            buildCacheSize = 0
            for entry in entries {
                guard let layer = entry.layer, !imageLayers.contains(layer.blobDigest), counted.insert(layer.blobDigest).inserted
                else { continue }
                buildCacheSize += entry.size
            }
        }
    }

    /// One build cache record as `system df -v` lists it (docker's `types.BuildCache`).
    public struct BuildCacheItem: Sendable, Equatable {
        public var id: String
        public var description: String
        public var size: Int64
        public var createdAt: Date
        public var lastUsed: Date
        public var usageCount: Int
        /// An image uses the step's layer, so removing the record frees nothing.
        public var shared: Bool
    }

    public static let verboseBuildCacheFormat =
        "table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}"
    public static let buildCacheHeaders = [
        "ID": "CACHE ID", "Parent": "PARENT", "CacheType": "CACHE TYPE", "Size": "SIZE", "CreatedSince": "CREATED",
        "LastUsedSince": "LAST USED", "UsageCount": "USAGE", "InUse": "IN USE", "Shared": "SHARED",
        "Description": "DESCRIPTION",
    ]

    static func buildCacheItems(_ entries: [BuildCacheEntry], imageLayers: Set<Digest>) -> [BuildCacheItem] {
        entries.map { entry in
            BuildCacheItem(id: entry.key, description: entry.description, size: entry.size, createdAt: entry.createdAt,
                           lastUsed: entry.lastUsed, usageCount: entry.usageCount,
                           shared: entry.layer.map { imageLayers.contains($0.blobDigest) } ?? false)
        }.sorted { $0.lastUsed == $1.lastUsed ? $0.id < $1.id : $0.lastUsed < $1.lastUsed }
    }

    /// `-v` build cache rows (docker's `buildCacheContext`); IDs cut to 12 characters in tables.
    public static func buildCacheRows(_ usage: Usage, truncate: Bool, now: Int64) -> [TemplateValue] {
        usage.buildCache.map { item in
            func goTime(_ date: Date) -> String {
                let nanos = (date.timeIntervalSince1970 * 1e9).rounded()
                let seconds = Int64((nanos / 1e9).rounded(.down))
                return GoTime(seconds: seconds, nanoseconds: Int32(nanos - Double(seconds) * 1e9)).goString
            }
            func since(_ date: Date) -> String {
                HumanUnits.humanDuration(seconds: Double(now) - date.timeIntervalSince1970) + " ago"
            }
            return .structure(.formatterContext(typeName: "*formatter.buildCacheContext", fields: [
                ("ID", truncate ? String(item.id.prefix(12)) : item.id), ("Parent", ""), ("CacheType", "regular"),
                ("Description", item.description), ("Size", HumanUnits.humanSize(bytes: item.size, precision: 3)),
                ("CreatedAt", goTime(item.createdAt)), ("CreatedSince", since(item.createdAt)),
                ("LastUsedAt", goTime(item.lastUsed)), ("LastUsedSince", since(item.lastUsed)),
                ("UsageCount", String(item.usageCount)), ("InUse", "false"), ("Shared", String(item.shared)),
            ]))
        }
    }

    public static func usage(images: [StoredImage], layers: [Digest: [StoredLayer]]) -> Usage {
        var users: [Digest: Int] = [:]
        var sizes: [Digest: Int64] = [:]
        for image in images {
            for layer in Set(layers[image.id] ?? []) {
                users[layer.blobDigest, default: 0] += 1
                sizes[layer.blobDigest] = layer.contentSize ?? 0
            }
        }
        var shared: [Digest: Int64] = [:]
        for image in images {
            shared[image.id] = Set(layers[image.id] ?? []).filter { (users[$0.blobDigest] ?? 0) > 1 }
                .reduce(0) { $0 + ($1.contentSize ?? 0) }
        }
        return Usage(images: images.sorted { $0.createdUnix > $1.createdUnix },
                     layersSize: sizes.values.reduce(0, +), sharedSizes: shared)
    }

    /// docker CLI's RECLAIMABLE cell: the size, with its share of `total` when there is any.
    static func reclaimable(_ bytes: Int64, of total: Int64) -> String {
        total > 0 ? "\(HumanUnits.humanSize(bytes: bytes)) (\(bytes * 100 / total)%)" : HumanUnits.humanSize(bytes: bytes)
    }

    /// The four summary rows, typed like docker CLI's disk-usage contexts. An image is active while a container uses
    /// it; a container while it runs.
    public static func summaryRows(_ usage: Usage) -> [TemplateValue] {
        let total = usage.layersSize
        let used = Set(usage.containers.map(\.container.imageID))
        let active = usage.images.filter { used.contains($0.id.description) }
        let imagesReclaimable = max(0, total - active.reduce(0) { $0 + $1.size })
        let containersSize = usage.containers.reduce(Int64(0)) { $0 + $1.writableBytes }
        let containersReclaimable = usage.containers.filter { $0.container.state != .running }.reduce(Int64(0)) { $0 + $1.writableBytes }
        let running = usage.containers.filter { $0.container.state == .running }.count
        func row(_ type: String, _ typeName: String, count: Int, active: Int, size: Int64, reclaimable: String) -> TemplateValue {
            .structure(.formatterContext(typeName: typeName, fields: [
                ("Type", type), ("TotalCount", String(count)), ("Active", String(active)),
                ("Size", HumanUnits.humanSize(bytes: size)), ("Reclaimable", reclaimable),
            ]))
        }
        return [
            row("Images", "*formatter.diskUsageImagesContext", count: usage.images.count, active: active.count, size: total,
                reclaimable: reclaimable(imagesReclaimable, of: total)),
            row("Containers", "*formatter.diskUsageContainersContext", count: usage.containers.count, active: running,
                size: containersSize, reclaimable: reclaimable(containersReclaimable, of: containersSize)),
            row("Local Volumes", "*formatter.diskUsageVolumesContext", count: 0, active: 0, size: 0, reclaimable: "0B"),
            row("Build Cache", "*formatter.diskUsageBuilderContext", count: usage.buildCacheCount, active: 0,
                size: usage.buildCacheSize, reclaimable: HumanUnits.humanSize(bytes: usage.buildCacheSize)),
        ]
    }

    public static let verboseContainerFormat =
        "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}"

    /// `-v` container rows (the size is the writable layer alone).
    public static func verboseContainerRows(_ usage: Usage, noTrunc: Bool, now: Double) -> [TemplateValue] {
        usage.containers.map { row in
            var bare = row
            bare.imageBytes = nil
            return ContainerListView.value(bare, noTrunc: noTrunc, now: now)
        }
    }

    /// `-v` image rows: one per image, named by its first tag.
    public static func verboseImageRows(_ usage: Usage, noTrunc: Bool, now: Int64) -> [TemplateValue] {
        usage.images.map { image in
            let first = image.isDangling ? nil : image.repoTags.first
            let row = ImageListView.Row(image: image, repository: first?.familiarName ?? "<none>",
                                        tag: first?.tag ?? "<none>", digest: "")
            return ImageListView.templateValue(row, noTrunc: noTrunc, now: now,
                                               sizes: DiskUsageSizes(shared: usage.sharedSizes[image.id] ?? 0))
        }
    }

    /// The whole `-v` value a custom template sees (docker's `formatter.diskUsageContext`).
    public static func verboseDocument(_ usage: Usage, now: Int64) -> TemplateValue {
        typealias F = TemplateStruct.Field
        return .structure(TemplateStruct(typeName: "*formatter.diskUsageContext", fields: [
            F("Images", .array(verboseImageRows(usage, noTrunc: true, now: now))),
            F("Containers", .array(verboseContainerRows(usage, noTrunc: true, now: Double(now)))),
            F("Volumes", .array([])),
            F("BuildCache", .array(buildCacheRows(usage, truncate: false, now: now))),
        ]))
    }

    /// The heading docker prints under the images table in `-v` mode, before the containers table.
    public static let verboseContainersHeading = "\nContainers space usage:\n\n"

    /// The fixed text docker prints under the containers table in `-v` mode, up to the build cache table.
    public static func verboseTrailer(buildCacheSize: Int64) -> String {
        """

        Local Volumes space usage:

        VOLUME NAME   LINKS     SIZE

        Build cache usage: \(HumanUnits.humanSize(bytes: buildCacheSize))


        """
    }
}
