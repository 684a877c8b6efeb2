import Foundation

/// One `--cache-from` or `--cache-to` value as buildx reads it: a CSV of `key=value` fields with a `type`
/// (`registry`, `local`, `inline`), or a bare image reference, which means `type=registry,ref=…`.
public struct BuildCacheSpec: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// A cache manifest in a registry (`ref=`); imported, also an image carrying an inline cache.
        case registry
        /// An OCI layout directory (`src=` to import, `dest=` to export) holding the cache manifest under `tag=`.
        case local
        /// The records in the image config itself.
        case inline
    }

    public enum Mode: String, Sendable {
        /// The steps of the result's own chain.
        case min
        /// Every step of every stage the build ran or found.
        case max
    }

    public var kind: Kind
    /// Every field but `type`, keys lower-cased.
    public var attributes: [String: String]

    public init(kind: Kind, attributes: [String: String] = [:]) {
        self.kind = kind
        self.attributes = attributes
    }

    /// The registry reference (`ref=`).
    public var reference: String? { attributes["ref"] }
    /// The directory of a local cache: `src=` for import, `dest=` for export.
    public var directory: String? { attributes["src"] ?? attributes["dest"] }
    /// The local cache's name in the layout's index.json.
    public var tag: String { attributes["tag"] ?? "latest" }
    public var mode: Mode { Mode(rawValue: attributes["mode"]?.lowercased() ?? "min") ?? .min }
    /// `ignore-error=true`: an export that fails is a warning, not a failed build.
    public var ignoresErrors: Bool { ["true", "1"].contains(attributes["ignore-error"]?.lowercased() ?? "") }

    /// A short name for messages (`127.0.0.1:5000/app:cache`, `local:DIR`, `inline`).
    public var displayName: String {
        switch kind {
        case .registry: reference ?? ""
        case .local: directory ?? ""
        case .inline: "inline"
        }
    }

    /// Parses one flag value; `export` says whether it is `--cache-to` (whose `local` takes `dest=`).
    public static func parse(_ text: String, export: Bool) throws -> BuildCacheSpec {
        let flag = export ? "--cache-to" : "--cache-from"
        let fields: [String]
        do { fields = try GoCSVRecord.parse(text) } catch let error as BuildOutputError {
            throw BuildFailure("invalid \(flag) value \(text): \(error.message)")
        }
        if fields.count == 1, !fields[0].contains("=") {
            guard !fields[0].isEmpty else { throw BuildFailure("invalid \(flag) value: empty") }
            return BuildCacheSpec(kind: .registry, attributes: ["ref": fields[0]])
        }
        let type: String?, attributes: [String: String]
        do { (type, attributes) = try GoCSVRecord.keyValues(fields) } catch {
            throw BuildFailure("invalid \(flag) value \(text): \(error.message) is not key=value")
        }
        guard let type else { throw BuildFailure("type required form> \(text)") }
        guard let kind = Kind(rawValue: type) else {
            throw BuildFailure("\(flag) type \(type) is not supported by Strata's builder (use registry, local or inline)")
        }
        var spec = BuildCacheSpec(kind: kind, attributes: attributes)
        if let mode = attributes["mode"], Mode(rawValue: mode.lowercased()) == nil {
            throw BuildFailure("invalid \(flag) mode \(mode): use min or max")
        }
        switch kind {
        case .registry:
            guard spec.reference?.isEmpty == false else { throw BuildFailure("\(flag) type=registry needs ref=IMAGE") }
        case .local:
            let key = export ? "dest" : "src"
            guard let directory = attributes[key], !directory.isEmpty else { throw BuildFailure("\(flag) type=local needs \(key)=DIR") }
            spec.attributes["src"] = nil
            spec.attributes["dest"] = directory
        case .inline:
            guard export else { throw BuildFailure("--cache-from type=inline is not a source: name the image (--cache-from IMAGE)") }
        }
        return spec
    }
}
