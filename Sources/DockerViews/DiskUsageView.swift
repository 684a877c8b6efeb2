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
    }

    public static func usage(images: [StoredImage], layers: [Digest: [StoredLayer]]) -> Usage {
        var users: [Digest: Int] = [:]
        var sizes: [Digest: Int64] = [:]
        for image in images {
            for layer in Set(layers[image.id] ?? []) {
                users[layer.blobDigest, default: 0] += 1
                sizes[layer.blobDigest] = layer.contentSize
            }
        }
        var shared: [Digest: Int64] = [:]
        for image in images {
            shared[image.id] = Set(layers[image.id] ?? []).filter { (users[$0.blobDigest] ?? 0) > 1 }
                .reduce(0) { $0 + $1.contentSize }
        }
        return Usage(images: images.sorted { $0.createdUnix > $1.createdUnix },
                     layersSize: sizes.values.reduce(0, +), sharedSizes: shared)
    }

    /// The four summary rows, typed like docker CLI's disk-usage contexts.
    public static func summaryRows(_ usage: Usage) -> [TemplateValue] {
        let total = usage.layersSize
        let reclaimable = total > 0 ? "\(HumanUnits.humanSize(bytes: total)) (100%)" : HumanUnits.humanSize(bytes: total)
        func row(_ type: String, _ typeName: String, count: Int, size: Int64, reclaimable: String) -> TemplateValue {
            .structure(.formatterContext(typeName: typeName, fields: [
                ("Type", type), ("TotalCount", String(count)), ("Active", "0"),
                ("Size", HumanUnits.humanSize(bytes: size)), ("Reclaimable", reclaimable),
            ]))
        }
        return [
            row("Images", "*formatter.diskUsageImagesContext", count: usage.images.count, size: total, reclaimable: reclaimable),
            row("Containers", "*formatter.diskUsageContainersContext", count: 0, size: 0, reclaimable: "0B"),
            row("Local Volumes", "*formatter.diskUsageVolumesContext", count: 0, size: 0, reclaimable: "0B"),
            row("Build Cache", "*formatter.diskUsageBuilderContext", count: usage.buildCacheCount,
                size: usage.buildCacheSize, reclaimable: HumanUnits.humanSize(bytes: usage.buildCacheSize)),
        ]
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
            F("Containers", .array([])),
            F("Volumes", .array([])),
            F("BuildCache", .array([])),
        ]))
    }

    /// The fixed text docker prints under the images table in `-v` mode.
    public static func verboseTrailer(buildCacheSize: Int64) -> String {
        """

        Containers space usage:

        CONTAINER ID   IMAGE     COMMAND   LOCAL VOLUMES   SIZE      CREATED   STATUS    NAMES

        Local Volumes space usage:

        VOLUME NAME   LINKS     SIZE

        Build cache usage: \(HumanUnits.humanSize(bytes: buildCacheSize))

        CACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED

        """
    }
}
