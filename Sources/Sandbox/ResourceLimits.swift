import GoText
import OCI

/// What a container may use: the size of its /dev/shm, its rlimits and its memory (`--shm-size`, `--ulimit`,
/// `-m/--memory` of docker run and docker build).
public struct ResourceLimits: Sendable, Equatable {
    /// docker's default /dev/shm size.
    public static let defaultShmSize: Int64 = 64 << 20
    /// dockerd's smallest memory limit (`Minimum memory limit allowed is 6MB`).
    public static let minimumMemory: Int64 = 6 << 20

    /// Bytes of the /dev/shm tmpfs; nil or 0: docker's 64 MiB.
    public var shmSize: Int64?
    /// Set with setrlimit before the command starts, one per resource (a later one of the same name wins).
    public var ulimits: [Ulimit]
    /// A memory limit in bytes, enforced by a cgroup of the container's own; nil or 0: none.
    public var memory: Int64?

    public init(shmSize: Int64? = nil, ulimits: [Ulimit] = [], memory: Int64? = nil) {
        self.shmSize = shmSize
        self.ulimits = []
        self.memory = memory
        for limit in ulimits { add(limit) }
    }

    /// Adds a limit, replacing one of the same name (docker keeps one per name).
    public mutating func add(_ limit: Ulimit) {
        if let index = ulimits.firstIndex(where: { $0.name == limit.name }) { ulimits[index] = limit } else { ulimits.append(limit) }
    }

    /// No limit differs from docker's defaults.
    public var isDefault: Bool { (shmSize ?? 0) == 0 && ulimits.isEmpty && (memory ?? 0) == 0 }

    /// The memory limit to enforce, if any.
    public var memoryLimit: Int64? { memory.flatMap { $0 > 0 ? $0 : nil } }

    /// The /dev/shm size in bytes.
    public var effectiveShmSize: Int64 { shmSize.flatMap { $0 > 0 ? $0 : nil } ?? Self.defaultShmSize }

    /// dockerd's checks of the values (the client's parsing already passed).
    public func validate() throws(ResourceLimitError) {
        if let shmSize, shmSize < 0 { throw .negativeShmSize }
        if let memory, memory != 0, memory < Self.minimumMemory { throw .memoryBelowMinimum }
    }

    /// What a RUN step's cache key gains from the limits that differ from the defaults (none: the key is unchanged).
    /// BuildKit keeps the shm size and ulimits in the exec op; the memory limit changes what a step can do too.
    public var keyParts: [String] {
        var parts: [String] = []
        if let shmSize, shmSize > 0 { parts += ["shm-size", String(shmSize)] }
        for limit in ulimits.sorted(by: { $0.name < $1.name }) { parts += ["ulimit", limit.description] }
        if let memory = memoryLimit { parts += ["memory", String(memory)] }
        return parts
    }
}

/// dockerd's refusals of resource values, in its words.
public enum ResourceLimitError: Error, Equatable, Sendable, CustomStringConvertible {
    case negativeShmSize
    case memoryBelowMinimum

    public var description: String {
        switch self {
        case .negativeShmSize: "SHM size can not be less than 0"
        case .memoryBelowMinimum: "Minimum memory limit allowed is 6MB"
        }
    }
}

extension ResourceLimitError: KindedError {
    public var kind: ErrorKind { .invalidArgument }
}

/// A value docker's client refuses while parsing a flag; `description` is the text after
/// `invalid argument "…" for "…" flag: `.
public struct FlagValueError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}

extension FlagValueError: KindedError {
    public var kind: ErrorKind { .invalidArgument }
}

/// One `--ulimit NAME=SOFT[:HARD]`.
public struct Ulimit: Sendable, Equatable, CustomStringConvertible {
    /// docker's names (go-units), with the RLIMIT_* number each sets (Linux's generic numbering, that of x86-64 and
    /// arm64).
    public static let resources: [String: Int32] = [
        "cpu": 0, "fsize": 1, "data": 2, "stack": 3, "core": 4, "rss": 5, "nproc": 6, "nofile": 7, "memlock": 8,
        "as": 9, "locks": 10, "sigpending": 11, "msgqueue": 12, "nice": 13, "rtprio": 14, "rttime": 15,
    ]

    public var name: String
    /// As docker keeps them: signed, -1 (or any negative value) read as an unsigned rlimit (-1: unlimited).
    public var soft: Int64
    public var hard: Int64

    public init(name: String, soft: Int64, hard: Int64) {
        self.name = name
        self.soft = soft
        self.hard = hard
    }

    /// The RLIMIT_* number.
    public var resource: Int32 { Self.resources[name] ?? -1 }

    public var description: String { "\(name)=\(soft):\(hard)" }

    /// go-units `ParseUlimit`, with its messages.
    public static func parse(_ text: String) throws(FlagValueError) -> Ulimit {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else { throw FlagValueError("invalid ulimit argument: \(text)") }
        guard resources[parts[0]] != nil else { throw FlagValueError("invalid ulimit type: \(parts[0])") }
        let values = parts[1].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard values.count <= 2 else {
            throw FlagValueError("too many limit value arguments - \(parts[1]), can only have up to two, `soft[:hard]`")
        }
        // The hard value is read first, as go-units reads it.
        let hard = values.count == 2 ? try GoInteger.parseInt64(values[1]) : nil
        let soft = try GoInteger.parseInt64(values[0])
        let effectiveHard = hard ?? soft
        if effectiveHard != -1 && soft > effectiveHard {
            throw FlagValueError("ulimit soft limit must be less than or equal to hard limit: \(soft) > \(effectiveHard)")
        }
        return Ulimit(name: parts[0], soft: soft, hard: effectiveHard)
    }
}

/// Go's `strconv.ParseInt(s, 10, 64)`, with its error text.
enum GoInteger {
    static func parseInt64(_ text: String) throws(FlagValueError) -> Int64 {
        var digits = Substring(text)
        var negative = false
        if let sign = digits.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw FlagValueError("strconv.ParseInt: parsing \(GoQuote.quote(text)): invalid syntax")
        }
        var magnitude: UInt64 = 0
        for digit in digits.utf8 {
            let (times, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(digit - 48))
            if overflow1 || overflow2 { magnitude = .max; break }
            magnitude = sum
        }
        let limit = negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)
        guard magnitude <= limit else { throw FlagValueError("strconv.ParseInt: parsing \(GoQuote.quote(text)): value out of range") }
        return negative ? Int64(truncatingIfNeeded: 0 &- magnitude) : Int64(magnitude)
    }
}

/// go-units `RAMInBytes` (v0.4, which docker 20.10's client uses for --memory and --shm-size): a decimal number,
/// an optional space, an optional unit letter (k, m, g, t, p: powers of 1024, any case), an optional `i`, an
/// optional `b`.
public enum RAMSize {
    public static func parse(_ text: String) throws(FlagValueError) -> Int64 {
        let invalid = FlagValueError("invalid size: '\(text)'")
        var rest = Substring(text)
        // The number: digits, then any number of `.digits` groups (the pattern go-units matches before parsing).
        let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        guard let first = number.first, first.isNumber, number.last?.isNumber == true,
              !number.contains("..") else { throw invalid }
        rest = rest.dropFirst(number.count)
        if rest.first == " " { rest = rest.dropFirst() }
        var multiplier: Double = 1
        if let unit = rest.first, let power = "kmgtp".firstIndex(of: Character(unit.lowercased())) {
            multiplier = Double(UInt64(1) << (10 * UInt64("kmgtp".distance(from: "kmgtp".startIndex, to: power) + 1)))
            rest = rest.dropFirst()
        }
        if let letter = rest.first, letter == "i" || letter == "I" { rest = rest.dropFirst() }
        if let letter = rest.first, letter == "b" || letter == "B" { rest = rest.dropFirst() }
        guard rest.isEmpty else { throw invalid }
        // "1.2.3" matches the pattern but is no float: Go's ParseFloat says so.
        guard number.filter({ $0 == "." }).count <= 1, let value = Double(number) else {
            throw FlagValueError("strconv.ParseFloat: parsing \(GoQuote.quote(String(number))): invalid syntax")
        }
        let bytes = value * multiplier
        // Go's int64(float64) on amd64: anything out of range becomes the smallest int64.
        guard bytes < 9_223_372_036_854_775_808.0 else { return Int64.min }
        return Int64(bytes)
    }
}
