import GoText

/// The runtime defaults of an image (`config` in the image JSON; docker's `container.Config`), with docker's
/// capitalised keys.
///
/// `nil` and empty are different: docker prints `"Cmd": null` for an unset command but `[]` for an explicitly
/// empty one. ``style`` decides which keys are written: docker writes its whole struct (nulls included), OCI
/// builders write only what is set.
public struct ContainerConfig: Hashable, Sendable, Codable, GoJSONRepresentable {
    /// Which producer's key set to reproduce when encoding.
    public enum Style: String, Hashable, Sendable, Codable {
        /// dockerd's `container.Config`: Hostname…Labels always present, nulls written.
        case docker
        /// OCI image-spec (+ buildkit's Healthcheck/OnBuild/Shell): only set fields.
        case oci
    }

    public var style: Style = .docker
    public var hostname = ""
    public var domainname = ""
    public var user = ""
    public var attachStdin = false
    public var attachStdout = false
    public var attachStderr = false
    /// `{"80/tcp":{}}` keys.
    public var exposedPorts: Set<String>?
    public var tty = false
    public var openStdin = false
    public var stdinOnce = false
    public var env: [String]?
    public var cmd: [String]?
    public var healthcheck: Healthcheck?
    public var argsEscaped = false
    public var image = ""
    /// `{"/data":{}}` keys.
    public var volumes: Set<String>?
    public var workingDir = ""
    public var entrypoint: [String]?
    public var networkDisabled = false
    public var macAddress: String?
    public var onBuild: [String]?
    public var labels: [String: String]?
    public var stopSignal: String?
    public var stopTimeout: Int?
    public var shell: [String]?
    /// Keys this type does not model, re-emitted after the known ones.
    public var extraFields: [String: JSONValue] = [:]

    public init(style: Style = .docker) { self.style = style }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        style = c.contains(AnyCodingKey("Hostname")) ? .docker : .oci
        func string(_ key: AnyCodingKey) throws -> String { try c.decodeIfPresent(String.self, forKey: key) ?? "" }
        func bool(_ key: AnyCodingKey) throws -> Bool { try c.decodeIfPresent(Bool.self, forKey: key) ?? false }
        func keys(_ key: AnyCodingKey) throws -> Set<String>? {
            try c.decodeIfPresent([String: JSONValue].self, forKey: key).map { Set($0.keys) }
        }
        func strSlice(_ key: AnyCodingKey) throws -> [String]? {
            // docker's StrSlice also accepts a bare string.
            if let single = try? c.decodeIfPresent(String.self, forKey: key) { return [single] }
            return try c.decodeIfPresent([String].self, forKey: key)
        }
        for key in c.allKeys {
            switch key.stringValue {
            case "Hostname": hostname = try string(key)
            case "Domainname": domainname = try string(key)
            case "User": user = try string(key)
            case "AttachStdin": attachStdin = try bool(key)
            case "AttachStdout": attachStdout = try bool(key)
            case "AttachStderr": attachStderr = try bool(key)
            case "ExposedPorts": exposedPorts = try keys(key)
            case "Tty": tty = try bool(key)
            case "OpenStdin": openStdin = try bool(key)
            case "StdinOnce": stdinOnce = try bool(key)
            case "Env": env = try c.decodeIfPresent([String].self, forKey: key)
            case "Cmd": cmd = try strSlice(key)
            case "Healthcheck": healthcheck = try c.decodeIfPresent(Healthcheck.self, forKey: key)
            case "ArgsEscaped": argsEscaped = try bool(key)
            case "Image": image = try string(key)
            case "Volumes": volumes = try keys(key)
            case "WorkingDir": workingDir = try string(key)
            case "Entrypoint": entrypoint = try strSlice(key)
            case "NetworkDisabled": networkDisabled = try bool(key)
            case "MacAddress": macAddress = try c.decodeIfPresent(String.self, forKey: key)
            case "OnBuild": onBuild = try c.decodeIfPresent([String].self, forKey: key)
            case "Labels": labels = try c.decodeIfPresent([String: String].self, forKey: key)
            case "StopSignal": stopSignal = try c.decodeIfPresent(String.self, forKey: key)
            case "StopTimeout": stopTimeout = try c.decodeIfPresent(Int.self, forKey: key)
            case "Shell": shell = try strSlice(key)
            default: extraFields[key.stringValue] = try c.decode(JSONValue.self, forKey: key)
            }
        }
    }

    /// Plain Codable output: the same members as ``goJSON`` (which is what docker would write).
    public func encode(to encoder: any Encoder) throws {
        try goJSON.encode(to: encoder)
    }

    public var goJSON: JSONValue {
        style == .docker ? dockerJSON : ociJSON
    }

    /// docker's `container.Config` in Go field order with its omitempty rules.
    private var dockerJSON: JSONValue {
        var o = JSONObjectBuilder()
        o.add("Hostname", .string(hostname))
        o.add("Domainname", .string(domainname))
        o.add("User", .string(user))
        o.add("AttachStdin", .bool(attachStdin))
        o.add("AttachStdout", .bool(attachStdout))
        o.add("AttachStderr", .bool(attachStderr))
        if let exposedPorts, !exposedPorts.isEmpty { o.add("ExposedPorts", .emptyObjectMap(exposedPorts)) }
        o.add("Tty", .bool(tty))
        o.add("OpenStdin", .bool(openStdin))
        o.add("StdinOnce", .bool(stdinOnce))
        o.add("Env", .nullableStrings(env))
        o.add("Cmd", .nullableStrings(cmd))
        o.add("Healthcheck", healthcheck)
        if argsEscaped { o.add("ArgsEscaped", .bool(true)) }
        o.add("Image", .string(image))
        o.add("Volumes", volumes.map(JSONValue.emptyObjectMap) ?? .null)
        o.add("WorkingDir", .string(workingDir))
        o.add("Entrypoint", .nullableStrings(entrypoint))
        if networkDisabled { o.add("NetworkDisabled", .bool(true)) }
        o.addNonEmpty("MacAddress", macAddress)
        o.add("OnBuild", .nullableStrings(onBuild))
        o.add("Labels", labels.map(JSONValue.stringMap) ?? .null)
        o.addNonEmpty("StopSignal", stopSignal)
        if let stopTimeout { o.add("StopTimeout", .integer(Int64(stopTimeout))) }
        if let shell, !shell.isEmpty { o.add("Shell", .strings(shell)) }
        return appendingExtras(o.members)
    }

    /// image-spec's `ImageConfig` order, then buildkit's docker extensions; every field omitempty.
    private var ociJSON: JSONValue {
        var o = JSONObjectBuilder()
        func nonEmpty(_ key: String, _ values: [String]?) { if let values, !values.isEmpty { o.add(key, .strings(values)) } }
        o.addNonEmpty("User", user)
        if let exposedPorts, !exposedPorts.isEmpty { o.add("ExposedPorts", .emptyObjectMap(exposedPorts)) }
        nonEmpty("Env", env)
        nonEmpty("Entrypoint", entrypoint)
        nonEmpty("Cmd", cmd)
        if let volumes, !volumes.isEmpty { o.add("Volumes", .emptyObjectMap(volumes)) }
        o.addNonEmpty("WorkingDir", workingDir)
        if let labels, !labels.isEmpty { o.add("Labels", .stringMap(labels)) }
        o.addNonEmpty("StopSignal", stopSignal)
        if argsEscaped { o.add("ArgsEscaped", .bool(true)) }
        o.add("Healthcheck", healthcheck)
        nonEmpty("OnBuild", onBuild)
        nonEmpty("Shell", shell)
        return appendingExtras(o.members)
    }

    private func appendingExtras(_ members: [JSONMember]) -> JSONValue {
        .object(members + extraFields.keys.sorted(by: goKeyOrder).map { JSONMember($0, extraFields[$0]!) })
    }
}

/// `HEALTHCHECK` settings; durations are Go `time.Duration` nanoseconds.
public struct Healthcheck: Hashable, Sendable, Codable, GoJSONRepresentable {
    /// `["NONE"]`, `["CMD", args…]` or `["CMD-SHELL", command]`.
    public var test: [String]?
    public var interval: Int64?
    public var timeout: Int64?
    public var startPeriod: Int64?
    public var startInterval: Int64?
    public var retries: Int?

    enum CodingKeys: String, CodingKey {
        case test = "Test", interval = "Interval", timeout = "Timeout", startPeriod = "StartPeriod"
        case startInterval = "StartInterval", retries = "Retries"
    }

    public init(test: [String]? = nil, interval: Int64? = nil, timeout: Int64? = nil, startPeriod: Int64? = nil,
                startInterval: Int64? = nil, retries: Int? = nil) {
        self.test = test
        self.interval = interval
        self.timeout = timeout
        self.startPeriod = startPeriod
        self.startInterval = startInterval
        self.retries = retries
    }

    public var goJSON: JSONValue {
        var o = JSONObjectBuilder()
        if let test, !test.isEmpty { o.add("Test", .strings(test)) }
        for (key, value) in [("Interval", interval), ("Timeout", timeout), ("StartPeriod", startPeriod), ("StartInterval", startInterval)] {
            if let value, value != 0 { o.add(key, .integer(value)) }
        }
        if let retries, retries != 0 { o.add("Retries", .integer(Int64(retries))) }
        return o.object
    }
}
