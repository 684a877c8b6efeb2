import Foundation

/// A failure to parse or honour `-o/--output`, worded as docker 20.10 / buildx word it.
public struct BuildOutputError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One `-o/--output` of `strata build`: `type=image|oci|docker|tar|local[,dest=…][,name=…]`, or the shorthands
/// `-o DIR` (local) and `-o -` (a tar of the root filesystem on stdout), parsed as the docker 20.10 CLI does.
public struct BuildOutput: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// The image in the store, tagged with `name=` (and pushed with `push=true`, the `registry` spelling).
        case image
        /// The final root filesystem written into a directory.
        case local
        /// The final root filesystem as a tar.
        case tar
        /// The image as an OCI image-layout tar.
        case oci
        /// The image as a `docker save` archive; without `dest` it stays in the store, like `image`.
        case docker
    }

    public var kind: Kind
    /// A directory (local), a file or `-` for stdout (tar, oci, docker); nil for image and a dest-less docker.
    public var destination: String?
    /// Every other attribute, keys lower-cased (`name`, `push`, …).
    public var attributes: [String: String]

    public init(kind: Kind, destination: String? = nil, attributes: [String: String] = [:]) {
        self.kind = kind
        self.destination = destination
        self.attributes = attributes
    }

    /// The `name=` attribute split at commas, as BuildKit's image exporter splits it.
    public var names: [String] {
        (attributes["name"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// `push=true` (or the `registry` type).
    public var push: Bool { ["true", "1"].contains(attributes["push"]?.lowercased() ?? "") }

    public var writesToStandardOutput: Bool { destination == "-" }

    /// Parses every `-o` value; BuildKit 0.8 exports to one place only.
    public static func parse(_ specs: [String]) throws -> [BuildOutput] {
        let outputs = try specs.map(parse)
        if outputs.count > 1 { throw BuildOutputError("multiple outputs currently unsupported") }
        return outputs
    }

    /// Parses one `-o` value. The value is a CSV record; one field that does not start with `type=` is a
    /// shorthand (`-` = tar to stdout, anything else a local directory, even `dest=x`).
    public static func parse(_ spec: String) throws -> BuildOutput {
        let fields: [String]
        do {
            fields = try GoCSVRecord.parse(spec)
        } catch let error as BuildOutputError {
            throw BuildOutputError("failed to parse outputs: " + error.message)
        }
        if fields.count == 1 && fields[0] == spec && !spec.hasPrefix("type=") {
            return spec == "-" ? BuildOutput(kind: .tar, destination: "-") : BuildOutput(kind: .local, destination: spec)
        }
        var type: String, attributes: [String: String]
        do {
            let parsed = try GoCSVRecord.keyValues(fields)
            (type, attributes) = (parsed.type ?? "", parsed.attributes)
        } catch {
            throw BuildOutputError("failed to parse outputs: invalid value \(error.message)")
        }
        if type.isEmpty { throw BuildOutputError("failed to parse outputs: type is required for output") }
        if type == "registry" {
            type = Kind.image.rawValue
            if attributes["push"] == nil { attributes["push"] = "true" }
        }
        guard let kind = Kind(rawValue: type) else {
            throw BuildOutputError("exporter \"\(type)\" could not be found")
        }
        var output = BuildOutput(kind: kind, attributes: attributes)
        let destination = attributes.removeValue(forKey: "dest")
        output.attributes = attributes
        switch kind {
        case .local, .tar:
            guard let destination else { throw BuildOutputError("dest is required for \(kind.rawValue) output") }
            output.destination = destination
        case .oci:
            output.destination = destination ?? "-"
        case .docker:
            output.destination = destination
        case .image:
            if let destination {
                throw BuildOutputError("output \(destination) is not supported by image exporter")
            }
        }
        return output
    }
}

/// Go's `encoding/csv` reading one record with default settings (hand-written: a few lines, and Go's quoting
/// rules and error texts are what docker's `-o` parsing reports). Also what buildx's `--attest` values are.
public enum GoCSVRecord {
    /// `key=value` fields (keys lower-cased) as buildx reads `-o`, `--cache-to` and `--cache-from`: the `type` apart,
    /// the rest as attributes. Throws the first field without `=`.
    static func keyValues(_ fields: [String]) throws(BuildOutputError) -> (type: String?, attributes: [String: String]) {
        var type: String?
        var attributes: [String: String] = [:]
        for field in fields {
            guard let equals = field.firstIndex(of: "=") else { throw BuildOutputError(field) }
            let key = field[..<equals].lowercased()
            let value = String(field[field.index(after: equals)...])
            if key == "type" { type = value } else { attributes[key] = value }
        }
        return (type, attributes)
    }

    public static func parse(_ line: String) throws -> [String] {
        let bytes = Array(line.utf8)
        var fields: [String] = []
        var index = 0
        while true {
            var field: [UInt8] = []
            if index < bytes.count && bytes[index] == UInt8(ascii: "\"") {
                index += 1
                while true {
                    guard index < bytes.count else {
                        throw BuildOutputError("parse error on line 1, column \(bytes.count + 1): extraneous or missing \" in quoted-field")
                    }
                    if bytes[index] == UInt8(ascii: "\"") {
                        if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\"") {
                            field.append(UInt8(ascii: "\""))
                            index += 2
                            continue
                        }
                        index += 1
                        if index < bytes.count && bytes[index] != UInt8(ascii: ",") {
                            throw BuildOutputError("parse error on line 1, column \(index): extraneous or missing \" in quoted-field")
                        }
                        break
                    }
                    field.append(bytes[index])
                    index += 1
                }
            } else {
                while index < bytes.count && bytes[index] != UInt8(ascii: ",") {
                    if bytes[index] == UInt8(ascii: "\"") {
                        throw BuildOutputError("parse error on line 1, column \(index + 1): bare \" in non-quoted-field")
                    }
                    field.append(bytes[index])
                    index += 1
                }
            }
            fields.append(String(decoding: field, as: UTF8.self))
            if index >= bytes.count { break }
            index += 1  // the comma
        }
        return fields
    }
}
