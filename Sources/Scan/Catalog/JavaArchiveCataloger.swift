import Archive

/// Java archives (placeholder until the zip reader lands).
enum JavaArchiveCataloger {
    static func packages(
        entrySize: Int64, reader: TarEntryReader, path: String, options: CatalogOptions, warnings: inout [String]
    ) throws -> [CatalogedPackage] {
        []
    }
}
