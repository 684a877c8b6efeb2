/// The `--name[=value]` flags an instruction accepts, checked as BuildKit's BFlags checks them.
struct InstructionFlags {
    enum Kind { case bool, string, strings }

    private var kinds: [String: Kind] = [:]
    private(set) var strings: [String: String] = [:]
    private(set) var lists: [String: [String]] = [:]
    private(set) var bools: [String: Bool] = [:]

    init(_ definitions: [(String, Kind)] = []) {
        for (name, kind) in definitions { kinds[name] = kind }
    }

    func string(_ name: String) -> String? { strings[name] }
    func list(_ name: String) -> [String] { lists[name] ?? [] }
    func bool(_ name: String) -> Bool { bools[name] ?? false }

    mutating func parse(_ arguments: [String]) throws(DockerfileError) {
        var used: Set<String> = []
        for argument in arguments {
            guard argument.hasPrefix("--") else { throw DockerfileError("Arg should start with -- : \(argument)") }
            if argument == "--" { return }
            var name = String(argument.dropFirst(2))
            var value: String?
            if let equals = name.unicodeScalars.firstIndex(of: "=") {
                value = String(name.unicodeScalars[name.unicodeScalars.index(after: equals)...])
                name = String(name.unicodeScalars[..<equals])
            }
            guard let kind = kinds[name] else { throw DockerfileError("Unknown flag: \(name)") }
            if used.contains(name) && kind != .strings { throw DockerfileError("Duplicate flag specified: \(name)") }
            used.insert(name)
            switch kind {
            case .bool:
                if let value, value.isEmpty { throw DockerfileError("Missing a value on flag: \(name)") }
                switch value?.lowercased() {
                case nil, "true": bools[name] = true
                case "false": bools[name] = false
                default: throw DockerfileError("Expecting boolean value for flag \(name), not: \(value!)")
                }
            case .string:
                guard let value else { throw DockerfileError("Missing a value on flag: \(name)") }
                strings[name] = value
            case .strings:
                guard let value else { throw DockerfileError("Missing a value on flag: \(name)") }
                lists[name, default: []].append(value)
            }
        }
    }
}
