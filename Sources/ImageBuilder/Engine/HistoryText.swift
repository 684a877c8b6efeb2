import Dockerfile

/// `created_by` strings as BuildKit 20.10's Dockerfile frontend writes them (its commitToHistory calls).
public enum HistoryText {
    static let layerSuffix = " # buildkit"

    /// `RUN |N K=V … args # buildkit`: every ARG declared in the stage, with its current value.
    public static func run(arguments: [String], buildArgs: [(String, String)]) -> String {
        var words: [String] = []
        if !buildArgs.isEmpty { words = ["|\(buildArgs.count)"] + buildArgs.map { "\($0.0)=\($0.1)" } }
        return "RUN " + (words + arguments).joined(separator: " ") + layerSuffix
    }

    public static func copy(isAdd: Bool, sources: [String], destination: String) -> String {
        (isAdd ? "ADD" : "COPY") + sources.map { " " + $0 }.joined() + " " + destination + layerSuffix
    }

    public static func keyValues(_ keyword: String, _ pairs: [(String, String)]) -> String {
        keyword + pairs.map { " \($0.0)=\($0.1)" }.joined()
    }

    public static func arg(_ arguments: [(String, String?)]) -> String {
        "ARG " + arguments.map { pair in pair.1.map { value in "\(pair.0)=\(value)" } ?? pair.0 }.joined(separator: " ")
    }

    public static func expose(_ ports: Set<String>) -> String { "EXPOSE " + GoFormatting.setMap(ports) }
    public static func volume(_ volumes: [String]) -> String { "VOLUME " + GoFormatting.list(volumes) }
    public static func shell(_ shell: [String]) -> String { "SHELL " + GoFormatting.list(shell) }
    public static func entrypoint(_ commandLine: [String]) -> String { "ENTRYPOINT " + GoFormatting.quoteList(commandLine) }
    public static func cmd(_ commandLine: [String]) -> String { "CMD " + GoFormatting.quoteList(commandLine) }

    /// `HEALTHCHECK &{["CMD-SHELL" "true"] "5s" "0s" "0s" '\x00'}` (Go's %q of *HealthConfig).
    public static func healthcheck(test: [String], interval: Int64, timeout: Int64, startPeriod: Int64, retries: Int) -> String {
        "HEALTHCHECK &{" + GoFormatting.quoteList(test) + " " + GoFormatting.quote(GoFormatting.duration(interval)) + " "
            + GoFormatting.quote(GoFormatting.duration(timeout)) + " " + GoFormatting.quote(GoFormatting.duration(startPeriod))
            + " " + GoFormatting.quoteRune(retries) + "}"
    }

    /// `nat.ParsePortSpecs` keys for EXPOSE words: `80` → `80/tcp`, ranges expanded, protocol lowercased.
    public static func portKeys(_ word: String) throws -> [String] {
        var port = word, proto = "tcp"
        if let slash = word.lastIndex(of: "/") {
            port = String(word[..<slash])
            proto = String(word[word.index(after: slash)...]).lowercased()
            if proto.isEmpty { proto = "tcp" }
        }
        if let colon = port.lastIndex(of: ":") { port = String(port[port.index(after: colon)...]) }
        let bounds = port.split(separator: "-", omittingEmptySubsequences: false).map { UInt16($0) }
        guard let low = bounds.first ?? nil, bounds.count <= 2 else { throw BuildFailure("invalid containerPort: \(port)") }
        let high = bounds.count == 2 ? bounds[1] : low
        guard let high, high >= low else { throw BuildFailure("invalid containerPort: \(port)") }
        return (low...high).map { "\($0)/\(proto)" }
    }
}
