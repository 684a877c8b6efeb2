import GoText
import OCI

/// Turns raw instruction lines into typed instructions, with BuildKit's argument checks and messages.
enum InstructionParser {
    static func instruction(_ node: RawNode) throws(DockerfileError) -> Instruction {
        let location = node.location
        let original = node.original
        let arguments = node.arguments
        func flags(_ definitions: [(String, InstructionFlags.Kind)]) throws(DockerfileError) -> InstructionFlags {
            var set = InstructionFlags(definitions)
            try set.parse(node.flags)
            return set
        }
        func command() -> CommandForm {
            node.isJSON ? .exec(arguments) : .shell(arguments.joined(separator: " "))
        }
        switch node.keyword {
        case "env":
            _ = try flags([])
            return .env(EnvInstruction(variables: try keyValues(arguments, keyword: "ENV"), location: location, original: original))
        case "label":
            _ = try flags([])
            return .label(LabelInstruction(labels: try keyValues(arguments, keyword: "LABEL"), location: location, original: original))
        case "maintainer":
            guard arguments.count == 1 else { throw DockerfileError("MAINTAINER requires exactly one argument") }
            _ = try flags([])
            return .maintainer(MaintainerInstruction(maintainer: arguments[0], location: location, original: original))
        case "add":
            guard arguments.count >= 2 else { throw noDestination("ADD") }
            let set = try flags([("chown", .string), ("chmod", .string), ("link", .bool), ("checksum", .string),
                                 ("keep-git-dir", .bool)])
            let (sources, destination) = try sourcesAndDestination(node, keyword: "ADD")
            return .add(AddInstruction(sources: sources, destination: destination, chown: set.string("chown"),
                                       chmod: set.string("chmod"), link: set.bool("link"), checksum: set.string("checksum"),
                                       keepGitDir: set.bool("keep-git-dir"), isJSON: node.isJSON, heredocs: node.heredocs,
                                       location: location, original: original))
        case "copy":
            guard arguments.count >= 2 else { throw noDestination("COPY") }
            let set = try flags([("chown", .string), ("from", .string), ("chmod", .string), ("link", .bool)])
            let (sources, destination) = try sourcesAndDestination(node, keyword: "COPY")
            return .copy(CopyInstruction(sources: sources, destination: destination, from: set.string("from"),
                                         chown: set.string("chown"), chmod: set.string("chmod"), link: set.bool("link"),
                                         isJSON: node.isJSON, heredocs: node.heredocs, location: location, original: original))
        case "from":
            let stageName = try buildStageName(arguments)
            let set = try flags([("platform", .string)])
            return .from(FromInstruction(baseName: arguments[0], stageName: stageName, platform: set.string("platform"),
                                         location: location, original: LineSplitting.trimSpace(original)))
        case "onbuild":
            guard let trigger = node.trigger.first else { throw DockerfileError("ONBUILD requires at least one argument") }
            _ = try flags([])
            let keyword = LineSplitting.trimSpace(trigger.keyword).uppercased()
            switch keyword {
            case "ONBUILD": throw DockerfileError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
            case "MAINTAINER", "FROM": throw DockerfileError("\(keyword) isn't allowed as an ONBUILD trigger")
            default: break
            }
            return .onbuild(OnbuildInstruction(expression: stripOnbuildPrefix(original), triggerKeyword: keyword,
                                               location: location, original: original))
        case "workdir":
            guard arguments.count == 1 else { throw DockerfileError("WORKDIR requires exactly one argument") }
            _ = try flags([])
            return .workdir(WorkdirInstruction(path: arguments[0], location: location, original: original))
        case "run":
            let set = try flags([("mount", .strings), ("network", .string), ("security", .string)])
            var mounts: [RunMount] = []
            for value in set.list("mount") { mounts.append(try RunMount.parse(value)) }
            var network: RunNetwork?
            if let value = set.string("network") {
                guard let parsed = RunNetwork(rawValue: value) else { throw DockerfileError("unsupported network mode \"\(value)\"") }
                network = parsed
            }
            if let security = set.string("security"), security != "sandbox", security != "insecure" {
                throw DockerfileError("unsupported security mode \"\(security)\"")
            }
            return .run(RunInstruction(command: command(), mounts: mounts, network: network, security: set.string("security"),
                                       heredocs: node.heredocs, location: location, original: original))
        case "cmd":
            _ = try flags([])
            return .cmd(CmdInstruction(command: command(), location: location, original: original))
        case "entrypoint":
            _ = try flags([])
            return .entrypoint(EntrypointInstruction(command: command(), location: location, original: original))
        case "healthcheck":
            return .healthcheck(try healthcheck(node))
        case "expose":
            guard !arguments.isEmpty else { throw DockerfileError("EXPOSE requires at least one argument") }
            _ = try flags([])
            return .expose(ExposeInstruction(ports: arguments.sorted(by: goLess), location: location, original: original))
        case "user":
            guard arguments.count == 1 else { throw DockerfileError("USER requires exactly one argument") }
            _ = try flags([])
            return .user(UserInstruction(user: arguments[0], location: location, original: original))
        case "volume":
            guard !arguments.isEmpty else { throw DockerfileError("VOLUME requires at least one argument") }
            _ = try flags([])
            var volumes: [String] = []
            for volume in arguments {
                let trimmed = LineSplitting.trimSpace(volume)
                guard !trimmed.isEmpty else { throw DockerfileError("VOLUME specified can not be an empty string") }
                volumes.append(trimmed)
            }
            return .volume(VolumeInstruction(volumes: volumes, location: location, original: original))
        case "stopsignal":
            // BuildKit 20.10 ignores flags on STOPSIGNAL and ARG.
            guard arguments.count == 1 else { throw DockerfileError("STOPSIGNAL requires exactly one argument") }
            return .stopSignal(StopSignalInstruction(signal: arguments[0], location: location, original: original))
        case "arg":
            guard !arguments.isEmpty else { throw DockerfileError("ARG requires at least one argument") }
            var list: [ArgInstruction.Argument] = []
            for word in arguments {
                let scalars = word.unicodeScalars
                if let equals = scalars.firstIndex(of: "=") {
                    let name = String(scalars[..<equals])
                    guard !name.isEmpty else { throw DockerfileError("ARG names can not be blank") }
                    list.append(.init(name: name, defaultValue: String(scalars[scalars.index(after: equals)...])))
                } else {
                    list.append(.init(name: word, defaultValue: nil))
                }
            }
            return .arg(ArgInstruction(arguments: list, location: location, original: original))
        case "shell":
            _ = try flags([])
            guard !arguments.isEmpty else { throw DockerfileError("SHELL requires at least one argument") }
            guard node.isJSON else { throw DockerfileError("SHELL requires the arguments to be in JSON form") }
            return .shell(ShellInstruction(shell: arguments, location: location, original: original))
        default:
            throw DockerfileError("unknown instruction: \(node.keyword.uppercased())")
        }
    }

    /// Go's byte-wise string order (`sort.Strings`).
    static func goLess(_ a: String, _ b: String) -> Bool { Array(a.utf8).lexicographicallyPrecedes(b.utf8) }

    static func noDestination(_ keyword: String) -> DockerfileError {
        DockerfileError("\(keyword) requires at least two arguments, but only one was provided. Destination could not be determined")
    }

    static func keyValues(_ arguments: [String], keyword: String) throws(DockerfileError) -> [KeyValue] {
        guard !arguments.isEmpty else { throw DockerfileError("\(keyword) requires at least one argument") }
        guard arguments.count % 2 == 0 else { throw DockerfileError("Bad input to \(keyword), too many arguments") }
        var result: [KeyValue] = []
        for index in stride(from: 0, to: arguments.count, by: 2) {
            guard !arguments[index].isEmpty else { throw DockerfileError("\(keyword) names can not be blank") }
            result.append(KeyValue(key: arguments[index], value: arguments[index + 1]))
        }
        return result
    }

    static func buildStageName(_ arguments: [String]) throws(DockerfileError) -> String? {
        if arguments.count == 3 && arguments[1].lowercased() == "as" {
            let name = arguments[2].lowercased()
            guard isValidStageName(name) else {
                throw DockerfileError("invalid name for build stage: \"\(arguments[2])\", name can't start with a number or contain symbols")
            }
            return name
        }
        guard arguments.count == 1 else { throw DockerfileError("FROM requires either one or three arguments") }
        return nil
    }

    /// `^[a-z][a-z0-9-_\.]*$`
    static func isValidStageName(_ name: String) -> Bool {
        let scalars = Array(name.unicodeScalars)
        guard let first = scalars.first, ("a"..."z").contains(first) else { return false }
        return scalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" || $0 == "." }
    }

    /// `(?i)^\s*ONBUILD\s*` removed, as BuildKit stores triggers.
    static func stripOnbuildPrefix(_ original: String) -> String {
        var scalars = original.unicodeScalars[...]
        func dropGoSpaces() {
            while let first = scalars.first, [" ", "\t", "\n", "\u{0C}", "\r"].contains(first) { scalars = scalars.dropFirst() }
        }
        dropGoSpaces()
        guard String(scalars.prefix(7)).lowercased() == "onbuild" else { return original }
        scalars = scalars.dropFirst(7)
        dropGoSpaces()
        return String(scalars)
    }

    static func sourcesAndDestination(_ node: RawNode, keyword: String) throws(DockerfileError) -> ([CopySource], String) {
        let destination = node.arguments[node.arguments.count - 1]
        if !node.heredocs.isEmpty, try HeredocSyntax.heredoc(destination) != nil {
            throw DockerfileError("\(keyword) cannot accept a heredoc as a destination")
        }
        var sources: [CopySource] = []
        for source in node.arguments.dropLast() {
            if !node.heredocs.isEmpty, let marker = try HeredocSyntax.heredoc(source) {
                var body = node.heredocs.first { $0.name == marker.name } ?? marker
                body.stripsLeadingTabs = marker.stripsLeadingTabs
                body.expands = marker.expands
                sources.append(.heredoc(body))
            } else {
                sources.append(.path(source))
            }
        }
        return (sources, destination)
    }

    static func healthcheck(_ node: RawNode) throws(DockerfileError) -> HealthcheckInstruction {
        guard let first = node.arguments.first else { throw DockerfileError("HEALTHCHECK requires at least one argument") }
        let type = first.uppercased()
        let rest = Array(node.arguments.dropFirst())
        var result = HealthcheckInstruction(test: [], interval: 0, timeout: 0, startPeriod: 0, retries: 0,
                                            location: node.location, original: node.original)
        if type == "NONE" {
            guard rest.isEmpty else { throw DockerfileError("HEALTHCHECK NONE takes no arguments") }
            result.test = ["NONE"]
            return result
        }
        var set = InstructionFlags([("interval", .string), ("timeout", .string), ("start-period", .string),
                                    ("start-interval", .string), ("retries", .string)])
        try set.parse(node.flags)
        guard type == "CMD" else { throw DockerfileError("Unknown type \"\(type)\" in HEALTHCHECK (try CMD)") }
        let command = node.isJSON ? rest : (rest.isEmpty ? [] : [rest.joined(separator: " ")])
        guard !command.isEmpty else { throw DockerfileError("Missing command after HEALTHCHECK CMD") }
        result.test = [node.isJSON ? "CMD" : "CMD-SHELL"] + command
        func interval(_ name: String) throws(DockerfileError) -> Int64 {
            guard let value = set.string(name), !value.isEmpty else { return 0 }
            let duration: Int64
            do { duration = try GoDuration.parse(value) } catch { throw DockerfileError(error.description) }
            if duration < 1_000_000 { throw DockerfileError("Interval \"\(name)\" cannot be less than 1ms") }
            return duration
        }
        result.interval = try interval("interval")
        result.timeout = try interval("timeout")
        result.startPeriod = try interval("start-period")
        if let value = set.string("retries"), !value.isEmpty {
            guard let retries = Int32(value) else {
                let kind = value.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-" || $0 == "+") }) && value.contains(where: \.isNumber)
                    ? "value out of range" : "invalid syntax"
                throw DockerfileError("strconv.ParseInt: parsing \"\(value)\": \(kind)")
            }
            guard retries >= 1 else { throw DockerfileError("--retries must be at least 1 (not \(retries))") }
            result.retries = Int(retries)
        }
        return result
    }
}
