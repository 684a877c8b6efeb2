import Foundation

/// One Dockerfile instruction applied to an image config, as `docker import --change` and
/// `docker commit --change` accept them.
public enum ConfigChange: Sendable, Equatable {
    case cmd([String])
    case entrypoint([String])
    case env([(String, String)])
    case expose([String])
    case label([(String, String)])
    case onBuild(String)
    case user(String)
    case volume([String])
    case workdir(String)
    case stopSignal(String)
    case shell([String])

    public static func == (lhs: ConfigChange, rhs: ConfigChange) -> Bool {
        switch (lhs, rhs) {
        case let (.cmd(a), .cmd(b)), let (.entrypoint(a), .entrypoint(b)), let (.expose(a), .expose(b)),
             let (.volume(a), .volume(b)), let (.shell(a), .shell(b)):
            return a == b
        case let (.env(a), .env(b)), let (.label(a), .label(b)):
            return a.map { $0.0 + "\u{0}" + $0.1 } == b.map { $0.0 + "\u{0}" + $0.1 }
        case let (.onBuild(a), .onBuild(b)), let (.user(a), .user(b)), let (.workdir(a), .workdir(b)),
             let (.stopSignal(a), .stopSignal(b)):
            return a == b
        default:
            return false
        }
    }

    /// The instructions `--change` allows, as dockerd lists them.
    public static let allowedInstructions = ["cmd", "entrypoint", "env", "expose", "label", "onbuild", "user", "volume",
                                             "workdir", "stopsignal", "shell"]

    /// Parses one `--change` value such as `CMD ["/bin/sh"]` or `ENV A=1 B="two words"`.
    public static func parse(_ text: String) throws -> ConfigChange {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let keyword = String(trimmed.prefix { !$0.isWhitespace })
        let rest = trimmed.dropFirst(keyword.count).trimmingCharacters(in: .whitespaces)
        let instruction = keyword.lowercased()
        guard allowedInstructions.contains(instruction) else {
            throw ConfigChangeError(message: "\(instruction) is not a valid change command")
        }
        switch instruction {
        case "cmd": return .cmd(commandForm(rest))
        case "entrypoint": return .entrypoint(commandForm(rest))
        case "shell":
            guard let list = jsonArray(rest) else { throw ConfigChangeError(message: "SHELL requires the arguments to be in JSON form") }
            return .shell(list)
        case "env": return .env(try pairs(rest, instruction: "ENV"))
        case "label": return .label(try pairs(rest, instruction: "LABEL"))
        case "expose":
            let ports = words(rest)
            guard !ports.isEmpty else { throw ConfigChangeError(message: "EXPOSE requires at least one argument") }
            return .expose(ports.map { $0.contains("/") ? $0.lowercased() : $0 + "/tcp" })
        case "volume":
            let volumes = jsonArray(rest) ?? words(rest)
            guard !volumes.isEmpty else { throw ConfigChangeError(message: "VOLUME requires at least one argument") }
            return .volume(volumes)
        case "user": return .user(try single(rest, instruction: "USER"))
        case "workdir": return .workdir(try single(rest, instruction: "WORKDIR"))
        case "stopsignal": return .stopSignal(try single(rest, instruction: "STOPSIGNAL"))
        default: return .onBuild(rest)
        }
    }

    /// JSON (exec) form when the argument is a JSON string array, else shell form wrapped in `/bin/sh -c`.
    private static func commandForm(_ rest: String) -> [String] {
        if let list = jsonArray(rest) { return list }
        return rest.isEmpty ? [] : ["/bin/sh", "-c", rest]
    }

    private static func jsonArray(_ text: String) -> [String]? {
        guard text.hasPrefix("[") else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String]
    }

    private static func single(_ rest: String, instruction: String) throws -> String {
        let parts = words(rest)
        guard parts.count == 1 else { throw ConfigChangeError(message: "\(instruction) requires exactly one argument") }
        return parts[0]
    }

    /// `K=V K2="V 2"` pairs, or the legacy `K V with spaces` form.
    private static func pairs(_ rest: String, instruction: String) throws -> [(String, String)] {
        let parts = words(rest)
        guard let first = parts.first else { throw ConfigChangeError(message: "\(instruction) requires at least one argument") }
        if !first.contains("=") {
            guard parts.count >= 2 || instruction == "LABEL" else {
                throw ConfigChangeError(message: "\(instruction) must have two arguments")
            }
            let value = rest.dropFirst(rawPrefixLength(rest)).trimmingCharacters(in: .whitespaces)
            return [(first, value)]
        }
        return try parts.map { word in
            guard let equals = word.firstIndex(of: "="), equals != word.startIndex else {
                throw ConfigChangeError(message: "\(instruction) names can not be blank")
            }
            return (String(word[..<equals]), String(word[word.index(after: equals)...]))
        }
    }

    private static func rawPrefixLength(_ text: String) -> Int {
        text.prefix { !$0.isWhitespace }.count
    }

    /// Splits on unquoted whitespace and removes quotes and backslash escapes, as the Dockerfile shell lexer does.
    static func words(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaping = false
        for character in text {
            if escaping { current.append(character); escaping = false; inWord = true; continue }
            if character == "\\" && quote != "'" { escaping = true; continue }
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
                continue
            }
            if character == "\"" || character == "'" { quote = character; inWord = true; continue }
            if character.isWhitespace {
                if inWord { result.append(current); current = ""; inWord = false }
                continue
            }
            current.append(character)
            inWord = true
        }
        if inWord { result.append(current) }
        return result
    }
}

/// A `--change` value that is not an allowed instruction or is malformed.
public struct ConfigChangeError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public var description: String { message }
}
