/// The packages two inventories differ in, keyed by type and name (and, for language packages, the proving file,
/// so two copies of one library in different places are two packages).
public struct PackageDifference: Sendable, Codable, Equatable {
    public struct Change: Sendable, Codable, Equatable {
        public var old: CatalogedPackage
        public var new: CatalogedPackage
    }

    public var added: [CatalogedPackage]
    public var removed: [CatalogedPackage]
    /// Same package, another version.
    public var changed: [Change]

    public init(old: [CatalogedPackage], new: [CatalogedPackage]) {
        func key(_ package: CatalogedPackage) -> String {
            let place = package.type.isOSPackage ? "" : (package.locations.first ?? "")
            return "\(package.type.rawValue)\u{0}\(package.namespace ?? "")\u{0}\(package.name)\u{0}\(place)"
        }
        var before: [String: CatalogedPackage] = [:]
        for package in old { before[key(package)] = package }
        var after: [String: CatalogedPackage] = [:]
        for package in new { after[key(package)] = package }
        let order: (CatalogedPackage, CatalogedPackage) -> Bool = { ($0.name, $0.type.rawValue) < ($1.name, $1.type.rawValue) }
        added = after.filter { before[$0.key] == nil }.values.sorted(by: order)
        removed = before.filter { after[$0.key] == nil }.values.sorted(by: order)
        changed = after.compactMap { key, new -> Change? in
            guard let old = before[key], old.version != new.version else { return nil }
            return Change(old: old, new: new)
        }.sorted { order($0.new, $1.new) }
    }
}
