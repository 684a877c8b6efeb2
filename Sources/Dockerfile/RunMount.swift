import GoText

/// One `RUN --mount=type=…,…` option, validated as BuildKit validates it (values unexpanded).
public struct RunMount: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case bind, cache, tmpfs, secret, ssh
    }

    /// How concurrent builds share a cache mount.
    public enum Sharing: String, Sendable, Hashable {
        case shared, `private`, locked
    }

    public var type: Kind = .bind
    /// Where the mount appears in the container (`target`, `dst`, `destination`).
    public var target: String?
    /// Path in the context, stage or image (`source`, `src`); for secrets, the secret's file name.
    public var source: String?
    /// A stage name or image the bind/cache mount takes its content from.
    public var from: String?
    /// The cache id (cache mounts) or the secret / ssh id.
    public var id: String?
    public var sharing: Sharing?
    /// Octal file mode (cache, secret, ssh).
    public var mode: UInt32?
    public var uid: UInt32?
    public var gid: UInt32?
    /// Read-only: explicit, or BuildKit's default (read-only except cache and tmpfs).
    public var readOnly = true
    /// Secret / ssh mounts: fail when the secret is not provided.
    public var required = false

    public init(type: Kind = .bind) {
        self.type = type
    }

    /// Parses the value of one `--mount=` flag (a CSV list of `key=value` fields).
    public static func parse(_ value: String) throws(DockerfileError) -> RunMount {
        let fields: [String]
        do {
            fields = try CSVLine.fields(value)
        } catch {
            throw DockerfileError("failed to parse csv mounts: \(error.message)")
        }
        var mount = RunMount()
        var readOnlyExplicit = false
        for field in fields {
            let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let key = parts[0].lowercased()
            if parts.count == 1 {
                switch key {
                case "readonly", "ro":
                    mount.readOnly = true
                    readOnlyExplicit = true
                    continue
                case "readwrite", "rw":
                    mount.readOnly = false
                    readOnlyExplicit = true
                    continue
                case "required":
                    guard mount.type == .secret || mount.type == .ssh else {
                        throw DockerfileError("unexpected key '\(key)' for mount type '\(mount.type.rawValue)'")
                    }
                    mount.required = true
                    continue
                default:
                    throw DockerfileError("invalid field '\(field)' must be a key=value pair")
                }
            }
            let value = parts[1]
            switch key {
            case "type":
                guard let kind = Kind(rawValue: value.lowercased()) else {
                    throw DockerfileError("unsupported mount type \"\(value)\"")
                }
                mount.type = kind
            case "from": mount.from = value
            case "source", "src": mount.source = value
            case "target", "dst", "destination": mount.target = value
            case "readonly", "ro":
                mount.readOnly = try parseBool(value, key: key)
                readOnlyExplicit = true
            case "readwrite", "rw":
                mount.readOnly = !(try parseBool(value, key: key))
                readOnlyExplicit = true
            case "required":
                guard mount.type == .secret || mount.type == .ssh else {
                    throw DockerfileError("unexpected key '\(key)' for mount type '\(mount.type.rawValue)'")
                }
                mount.required = try parseBool(value, key: key)
            case "id": mount.id = value
            case "sharing":
                guard mount.type == .cache else {
                    throw DockerfileError("invalid cache sharing set for \(mount.type.rawValue) mount")
                }
                guard let sharing = Sharing(rawValue: value.lowercased()) else {
                    throw DockerfileError("unsupported sharing value \"\(value)\"")
                }
                mount.sharing = sharing
            case "mode":
                guard let mode = UInt32(value, radix: 8) else { throw DockerfileError("invalid value \(value) for mode") }
                mount.mode = mode
            case "uid":
                guard let uid = UInt32(value) else { throw DockerfileError("invalid value \(value) for uid") }
                mount.uid = uid
            case "gid":
                guard let gid = UInt32(value) else { throw DockerfileError("invalid value \(value) for gid") }
                mount.gid = gid
            default:
                throw DockerfileError("unexpected key '\(key)' in '\(field)'")
            }
        }
        let fileInfoAllowed = mount.type == .secret || mount.type == .ssh || mount.type == .cache
        if !fileInfoAllowed {
            if mount.mode != nil { throw DockerfileError("mode not allowed for \"\(mount.type.rawValue)\" type mounts") }
            if mount.uid != nil { throw DockerfileError("uid not allowed for \"\(mount.type.rawValue)\" type mounts") }
            if mount.gid != nil { throw DockerfileError("gid not allowed for \"\(mount.type.rawValue)\" type mounts") }
        }
        if !readOnlyExplicit {
            mount.readOnly = !(mount.type == .cache || mount.type == .tmpfs)
        }
        if mount.sharing != nil && mount.type != .cache {
            throw DockerfileError("invalid cache sharing set for \(mount.type.rawValue) mount")
        }
        if mount.type == .secret {
            if mount.from != nil { throw DockerfileError("secret mount should not have a from") }
            if mount.source == nil && mount.target == nil && mount.id == nil {
                throw DockerfileError("invalid secret mount. one of source, target required")
            }
            if mount.source != nil && mount.id != nil { throw DockerfileError("both source and id can't be set") }
        }
        // BuildKit joins the target onto "/" and refuses the root itself.
        if mount.type != .secret && mount.type != .ssh {
            let target = mount.target ?? ""
            if target.isEmpty || target.split(separator: "/").allSatisfy({ $0 == "." }) {
                throw DockerfileError("invalid mount target \"/\"")
            }
        }
        return mount
    }

    /// Go's `strconv.ParseBool`, failing in BuildKit's words.
    static func parseBool(_ value: String, key: String) throws(DockerfileError) -> Bool {
        guard let parsed = GoStrconv.parseBool(value) else { throw DockerfileError("invalid value for \(key): \(value)") }
        return parsed
    }
}

/// One line of Go `encoding/csv` input: comma-separated fields, double quotes around a field allow commas,
/// `""` inside quotes is a quote.
enum CSVLine {
    static func fields(_ line: String) throws(LexerError) -> [String] {
        var fields: [String] = []
        var scalars = Array(line.unicodeScalars)[...]
        var column = 1
        while true {
            var field = String.UnicodeScalarView()
            if scalars.first == "\"" {
                scalars = scalars.dropFirst()
                column += 1
                var closed = false
                while let scalar = scalars.first {
                    scalars = scalars.dropFirst()
                    column += 1
                    if scalar == "\"" {
                        if scalars.first == "\"" {
                            field.append("\"")
                            scalars = scalars.dropFirst()
                            column += 1
                            continue
                        }
                        closed = true
                        break
                    }
                    field.append(scalar)
                }
                if !closed { throw LexerError("parse error on line 1, column \(column): extraneous or missing \" in quoted-field") }
                if let next = scalars.first, next != "," {
                    throw LexerError("parse error on line 1, column \(column): extraneous or missing \" in quoted-field")
                }
            } else {
                while let scalar = scalars.first, scalar != "," {
                    if scalar == "\"" { throw LexerError("parse error on line 1, column \(column): bare \" in non-quoted-field") }
                    field.append(scalar)
                    scalars = scalars.dropFirst()
                    column += 1
                }
            }
            fields.append(String(field))
            guard scalars.first == "," else { break }
            scalars = scalars.dropFirst()
            column += 1
        }
        return fields
    }
}
