import Foundation
import Format
import GoText
import OCI
import Store

/// What `docker images` shows: one row per repository:tag (or digest), newest image first.
public struct ImageListView: Sendable {
    public struct Options: Sendable {
        public var all = false
        public var showDigests = false
        public var noTrunc = false
        public var filters = FilterArguments()
        public init() {}
    }

    /// docker 20.10's image list filters (`until` is a prune filter there, refused by `images`).
    public static let allowedFilters: Set<String> = ["dangling", "label", "before", "since", "reference"]
    public static let defaultFormat = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
    public static let defaultDigestsFormat = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
    public static let headers = [
        "ID": "IMAGE ID", "Repository": "REPOSITORY", "Tag": "TAG", "Digest": "DIGEST", "CreatedSince": "CREATED",
        "CreatedAt": "CREATED AT", "Size": "SIZE", "Containers": "CONTAINERS", "VirtualSize": "VIRTUAL SIZE",
        "SharedSize": "SHARED SIZE", "UniqueSize": "UNIQUE SIZE",
    ]

    /// One printed row before formatting.
    public struct Row: Sendable {
        public var image: StoredImage
        public var repository: String
        public var tag: String
        public var digest: String
    }

    /// Applies dockerd's filtering (the reference filter also hides non-matching names) and the CLI's
    /// row expansion. `resolve` looks up the images that `before=`/`since=` name.
    public static func rows(images: [StoredImage], options: Options,
                            resolve: (String) throws -> StoredImage) throws -> [Row] {
        let filters = options.filters
        try filters.validate(allowed: allowedFilters)
        let dangling = try filters.bool("dangling")
        var before = Double.infinity, since = -Double.infinity
        for name in filters["before"] { before = min(before, try resolve(name).createdUnix) }
        for name in filters["since"] { since = max(since, try resolve(name).createdUnix) }
        let patterns = filters["reference"]

        var rows: [Row] = []
        let sorted = images.sorted { ($0.createdUnix, $0.id.description) > ($1.createdUnix, $1.id.description) }
        for var image in sorted {
            guard image.createdUnix < before, image.createdUnix > since,
                  filters.matchesLabels(image.labels) else { continue }
            if !patterns.isEmpty {
                image.repoTags = try image.repoTags.filter { try matchesAny(patterns, $0) }
                image.repoDigests = try image.repoDigests.filter { try matchesAny(patterns, $0) }
                if image.repoTags.isEmpty && image.repoDigests.isEmpty { continue }
            }
            if let dangling, dangling != image.isDangling { continue }
            // The other platforms of a multi-platform image are listed through its names (the entry for this host),
            // like intermediate images: only with -a.
            if image.isIndexEntry && image.repoTags.isEmpty && image.repoDigests.isEmpty && !options.all { continue }
            rows += expand(image, showDigests: options.showDigests)
        }
        return rows
    }

    /// docker's `reference.FamiliarMatch`: the pattern against `name` and against `name:tag`. A malformed pattern is
    /// an error once there is a name to match it against, as in dockerd.
    static func matchesAny(_ patterns: [String], _ reference: ImageReference) throws -> Bool {
        try patterns.contains { pattern in
            guard let byName = GoPathGlob.matches(pattern, reference.familiarName),
                  let byReference = GoPathGlob.matches(pattern, reference.familiarString) else {
                throw FilterError(message: "syntax error in pattern")
            }
            return byName || byReference
        }
    }

    static func expand(_ image: StoredImage, showDigests: Bool) -> [Row] {
        if image.repoTags.isEmpty && image.repoDigests.isEmpty {
            return [Row(image: image, repository: "<none>", tag: "<none>", digest: "<none>")]
        }
        var tagsByRepository: [String: [String]] = [:]
        for reference in image.repoTags { tagsByRepository[reference.familiarName, default: []].append(reference.tag ?? "latest") }
        var digestsByRepository: [String: [String]] = [:]
        for reference in image.repoDigests {
            if let digest = reference.digest { digestsByRepository[reference.familiarName, default: []].append(digest.description) }
        }
        var rows: [Row] = []
        for repository in tagsByRepository.keys.sorted() {
            let digests = showDigests ? digestsByRepository[repository] ?? [] : []
            digestsByRepository[repository] = nil
            for tag in tagsByRepository[repository] ?? [] {
                if digests.isEmpty {
                    rows.append(Row(image: image, repository: repository, tag: tag, digest: "<none>"))
                } else {
                    for digest in digests { rows.append(Row(image: image, repository: repository, tag: tag, digest: digest)) }
                }
            }
        }
        for repository in digestsByRepository.keys.sorted() {
            if showDigests {
                for digest in digestsByRepository[repository] ?? [] {
                    rows.append(Row(image: image, repository: repository, tag: "<none>", digest: digest))
                }
            } else {
                rows.append(Row(image: image, repository: repository, tag: "<none>", digest: ""))
            }
        }
        return rows
    }

    /// Template values for many rows; the per-image columns are computed once per image, since one image
    /// often has many names.
    public static func templateValues(_ rows: [Row], noTrunc: Bool, now: Int64) -> LazyMapSequence<[Row], TemplateValue> {
        let cache = ColumnCache(noTrunc: noTrunc, now: now)
        return rows.lazy.map { cache.value($0) }
    }

    /// Memoises the per-image columns while rows are rendered one at a time.
    final class ColumnCache {
        private var columns: [Digest: ImageColumns] = [:]
        let noTrunc: Bool
        let now: Int64

        init(noTrunc: Bool, now: Int64) {
            self.noTrunc = noTrunc
            self.now = now
        }

        private var last: (id: Digest, columns: ImageColumns)?

        func value(_ row: Row) -> TemplateValue {
            // Rows of one image are adjacent, so the previous image usually answers without hashing.
            if let last, last.id == row.image.id { return last.columns.value(row) }
            if let known = columns[row.image.id] {
                last = (row.image.id, known)
                return known.value(row)
            }
            let computed = ImageColumns(row.image, noTrunc: noTrunc, now: now, sizes: nil)
            columns[row.image.id] = computed
            last = (row.image.id, computed)
            return computed.value(row)
        }
    }

    /// The template value for one row, shaped like docker CLI's `*formatter.imageContext`.
    public static func templateValue(_ row: Row, noTrunc: Bool, now: Int64,
                                     sizes: DiskUsageSizes? = nil) -> TemplateValue {
        ImageColumns(row.image, noTrunc: noTrunc, now: now, sizes: sizes).value(row)
    }

    /// The columns that depend only on the image, not on which of its names the row shows.
    struct ImageColumns {
        let id, createdSince, createdAt, size, containers, virtualSize, shared, unique: String

        init(_ image: StoredImage, noTrunc: Bool, now: Int64, sizes: DiskUsageSizes?) {
            let created = Int64(image.createdUnix.rounded(.down))
            id = noTrunc ? image.id.description : image.id.shortID
            createdSince = HumanUnits.createdSince(created: created, now: now)
            createdAt = GoTime.local(seconds: created).goString
            size = HumanUnits.humanSize(bytes: image.size, precision: 3)
            containers = sizes == nil ? "N/A" : "0"
            virtualSize = HumanUnits.humanSize(bytes: image.size)
            shared = sizes.map { HumanUnits.humanSize(bytes: $0.shared) } ?? "N/A"
            unique = sizes.map { HumanUnits.humanSize(bytes: image.size - $0.shared) } ?? "N/A"
        }

        func value(_ row: Row) -> TemplateValue {
            typealias F = TemplateStruct.Field
            return .structure(TemplateStruct(typeName: "*formatter.imageContext", fields: [
                F("ID", .string(id), typeName: "string"), F("Repository", .string(row.repository), typeName: "string"),
                F("Tag", .string(row.tag), typeName: "string"), F("Digest", .string(row.digest), typeName: "string"),
                F("CreatedSince", .string(createdSince), typeName: "string"),
                F("CreatedAt", .string(createdAt), typeName: "string"), F("Size", .string(size), typeName: "string"),
                F("Containers", .string(containers), typeName: "string"),
                F("VirtualSize", .string(virtualSize), typeName: "string"),
                F("SharedSize", .string(shared), typeName: "string"), F("UniqueSize", .string(unique), typeName: "string"),
            ], sortJSONKeys: true, escapeHTMLInJSON: true))
        }
    }
}

/// Per-image shared size for `system df -v`: bytes of layers other images also use.
public struct DiskUsageSizes: Sendable {
    public var shared: Int64
    public init(shared: Int64) { self.shared = shared }
}
