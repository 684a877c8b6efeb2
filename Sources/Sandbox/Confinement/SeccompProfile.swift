// SeccompProfile.swift — docker's seccomp profile format, what `docker run --security-opt seccomp=FILE.json`
// accepts, as a Swift value: decoding (with encoding/json's leniency: unknown keys ignored, keys matched
// case-insensitively, null as absent), validation of actions, operators, architectures and argument indexes, and the
// resolution docker 20.10 applies before handing the profile to runc (includes/excludes against capabilities,
// architecture and kernel; archMap to the architecture list). The format and its semantics are those of docker
// 20.10.24's public profiles/seccomp package; `defaultErrnoRet` (read by docker 23+) is honoured as runc 1.1 does.
import Foundation

/// A seccomp profile in docker's JSON format.
public struct SeccompProfile: Sendable, Hashable {
    /// What a matching rule (or the default) does to the system call.
    public enum Action: String, Sendable, Hashable, CaseIterable {
        case kill = "SCMP_ACT_KILL"
        case killProcess = "SCMP_ACT_KILL_PROCESS"
        case killThread = "SCMP_ACT_KILL_THREAD"
        case trap = "SCMP_ACT_TRAP"
        case errno = "SCMP_ACT_ERRNO"
        case trace = "SCMP_ACT_TRACE"
        case allow = "SCMP_ACT_ALLOW"
        case log = "SCMP_ACT_LOG"
    }

    /// How an argument condition compares the system call's argument.
    public enum Operator: String, Sendable, Hashable, CaseIterable {
        case notEqual = "SCMP_CMP_NE"
        case lessThan = "SCMP_CMP_LT"
        case lessOrEqual = "SCMP_CMP_LE"
        case equal = "SCMP_CMP_EQ"
        case greaterOrEqual = "SCMP_CMP_GE"
        case greaterThan = "SCMP_CMP_GT"
        /// `(arg & value) == valueTwo`.
        case maskedEqual = "SCMP_CMP_MASKED_EQ"
    }

    /// One `archMap` entry: a native architecture and the ones its filter also covers.
    public struct Architecture: Sendable, Hashable {
        public var architecture: String
        public var subArchitectures: [String]

        public init(_ architecture: String, subArchitectures: [String] = []) {
            self.architecture = architecture
            self.subArchitectures = subArchitectures
        }
    }

    /// `"<kernel>.<major>"`, as in `"minKernel": "4.8"`.
    public struct KernelVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
        public var kernel: Int
        public var major: Int

        public init(_ kernel: Int, _ major: Int) {
            self.kernel = kernel
            self.major = major
        }

        public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.kernel, lhs.major) < (rhs.kernel, rhs.major) }

        public var description: String { "\(kernel).\(major)" }

        /// docker's parser: exactly two dot-separated numbers of at most 255, not `0.0`; nil for `""`.
        static func parse(_ text: String) throws(ProfileProblem) -> KernelVersion? {
            if text.isEmpty { return nil }
            let expected = "invalid kernel version: \"\(text)\", expected \"<kernel>.<major>\""
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, let kernel = UInt8(parts[0]), let major = UInt8(parts[1]) else {
                throw ProfileProblem(expected)
            }
            if kernel == 0 && major == 0 { throw ProfileProblem(expected + ": version cannot be 0.0") }
            return KernelVersion(Int(kernel), Int(major))
        }
    }

    /// `includes` / `excludes`: the capabilities, architectures (Go names: amd64, arm64, x86, s390x…) and kernel
    /// a rule depends on.
    public struct Filter: Sendable, Hashable {
        public var caps: [String]
        public var arches: [String]
        public var minKernel: KernelVersion?

        public init(caps: [String] = [], arches: [String] = [], minKernel: KernelVersion? = nil) {
            self.caps = caps
            self.arches = arches
            self.minKernel = minKernel
        }
    }

    /// One argument condition; for `.maskedEqual`, `value` is the mask and `valueTwo` the datum.
    public struct Argument: Sendable, Hashable {
        public var index: UInt
        public var value: UInt64
        public var valueTwo: UInt64
        public var op: Operator

        public init(index: UInt, value: UInt64, valueTwo: UInt64 = 0, op: Operator) {
            self.index = index
            self.value = value
            self.valueTwo = valueTwo
            self.op = op
        }
    }

    /// One rule: the system calls it names, what happens to them, and when it applies.
    public struct Syscall: Sendable, Hashable {
        /// The legacy single `name`; "" when the rule uses `names`.
        public var name: String
        public var names: [String]
        public var action: Action
        /// The errno for `.errno` (the trace message for `.trace`); nil means EPERM.
        public var errnoRet: UInt?
        public var args: [Argument]
        public var comment: String
        public var includes: Filter
        public var excludes: Filter

        public init(names: [String], action: Action, errnoRet: UInt? = nil, args: [Argument] = [],
                    comment: String = "", includes: Filter = Filter(), excludes: Filter = Filter()) {
            self.name = ""
            self.names = names
            self.action = action
            self.errnoRet = errnoRet
            self.args = args
            self.comment = comment
            self.includes = includes
            self.excludes = excludes
        }
    }

    public var defaultAction: Action
    /// The errno of an `SCMP_ACT_ERRNO` default action; nil means EPERM.
    public var defaultErrnoRet: UInt?
    /// The legacy explicit list (`SCMP_ARCH_X86_64`…); a profile uses this or `archMap`, not both.
    public var architectures: [String]
    public var archMap: [Architecture]
    public var syscalls: [Syscall]

    public init(defaultAction: Action, defaultErrnoRet: UInt? = nil, architectures: [String] = [],
                archMap: [Architecture] = [], syscalls: [Syscall] = []) {
        self.defaultAction = defaultAction
        self.defaultErrnoRet = defaultErrnoRet
        self.architectures = architectures
        self.archMap = archMap
        self.syscalls = syscalls
    }

    /// A profile with neither a default action nor rules (`{}`) decodes as allow-everything; docker runs such a
    /// container without a filter, and so may the caller.
    public var isUnconfined: Bool { defaultAction == .allow && syscalls.isEmpty }

    /// The architecture names the OCI runtime spec (and so docker) accepts.
    public static let architectureNames: Set<String> = [
        "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
        "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
        "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390",
        "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
    ]

    /// Decodes and validates a profile; any problem becomes one line in `.invalidSeccompProfile`.
    public static func decode(_ data: Data) throws(ConfinementError) -> SeccompProfile {
        do {
            return try JSONDecoder().decode(SeccompProfile.self, from: data)
        } catch let error as DecodingError {
            throw .invalidSeccompProfile(Self.line(error, in: data))
        } catch let problem as ProfileProblem {
            throw .invalidSeccompProfile(Self.oneLine("profile: \(problem.text)"))
        } catch {
            throw .invalidSeccompProfile(Self.oneLine(String(describing: error)))
        }
    }

    // MARK: Error wording

    private static func line(_ error: DecodingError, in data: Data) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            var text = ""
            for key in keys {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += (text.isEmpty ? "" : ".") + key.stringValue
                }
            }
            return text.isEmpty ? "profile" : text
        }
        switch error {
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return oneLine("invalid JSON: \(Self.syntaxProblem(data) ?? context.debugDescription)")
            }
            return oneLine("\(path(context.codingPath)): \(context.debugDescription)")
        case .typeMismatch(_, let context):
            return oneLine("\(path(context.codingPath)): \(context.debugDescription)")
        case .valueNotFound(_, let context):
            return oneLine("\(path(context.codingPath)): \(context.debugDescription)")
        case .keyNotFound(let key, let context):
            return oneLine("\(path(context.codingPath + [key])): missing")
        @unknown default:
            return oneLine(String(describing: error))
        }
    }

    /// JSONDecoder says only "not valid JSON"; JSONSerialization says what is wrong.
    private static func syntaxProblem(_ data: Data) -> String? {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return nil
        } catch {
            return (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
        }
    }

    private static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    }
}

/// A validation failure inside decoding; rethrown as `DecodingError.dataCorrupted` at the offending key.
struct ProfileProblem: Error {
    var text: String
    init(_ text: String) { self.text = text }
}

// MARK: - Decoding, as Go's encoding/json reads docker's structs

/// Any JSON object key; matched as encoding/json does (exact spelling first, else case-insensitively).
struct JSONField: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ name: String) { stringValue = name }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { stringValue = String(intValue); self.intValue = intValue }
}

extension KeyedDecodingContainer where Key == JSONField {
    func field(_ name: String) -> JSONField? {
        let exact = JSONField(name)
        if contains(exact) { return exact }
        let folded = name.lowercased()
        return allKeys.last { $0.stringValue.lowercased() == folded }
    }

    /// The value at `name`, nil when absent or null.
    func value<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T? {
        guard let key = field(name) else { return nil }
        do {
            return try decodeIfPresent(T.self, forKey: key)
        } catch where !(error is DecodingError) {
            // A number that does not fit (-1 or 1.5 for an unsigned integer) raises Foundation's internal JSONError,
            // which the decoder would report as invalid JSON, without a path.
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath + [key],
                                                    debugDescription: "\(Self.expected(T.self)) expected"))
        }
    }

    private static func expected<T>(_ type: T.Type) -> String {
        type == UInt.self || type == UInt64.self ? "an unsigned integer" : "a valid \(T.self)"
    }

    /// Runs `check` on a decoded value, reporting its problem at `name`.
    func checked<T, R>(_ name: String, _ value: T, _ check: (T) throws(ProfileProblem) -> R) throws -> R {
        do {
            return try check(value)
        } catch {
            let key = field(name) ?? JSONField(name)
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath + [key], debugDescription: error.text))
        }
    }
}

extension SeccompProfile: Decodable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: JSONField.self)
        let action = try c.value("defaultAction", as: String.self) ?? ""
        defaultErrnoRet = try c.value("defaultErrnoRet")
        architectures = try c.value("architectures") ?? []
        archMap = try c.value("archMap") ?? []
        syscalls = try c.value("syscalls") ?? []
        if action.isEmpty && syscalls.isEmpty {
            defaultAction = .allow
        } else {
            defaultAction = try c.checked("defaultAction", action, Self.action)
        }
        _ = try c.checked("architectures", architectures) { (list) throws(ProfileProblem) in
            for arch in list { try Self.checkArchitecture(arch) }
        }
        if !architectures.isEmpty && !archMap.isEmpty {
            throw ProfileProblem(
                "'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'")
        }
    }

    static func action(_ text: String) throws(ProfileProblem) -> Action {
        if let action = Action(rawValue: text) { return action }
        if text.isEmpty { throw ProfileProblem("missing action") }
        if text == "SCMP_ACT_NOTIFY" { throw ProfileProblem("SCMP_ACT_NOTIFY is not supported") }
        throw ProfileProblem("unknown action \"\(text)\"")
    }

    static func checkArchitecture(_ name: String) throws(ProfileProblem) {
        guard architectureNames.contains(name) else { throw ProfileProblem("unknown architecture \"\(name)\"") }
    }
}

extension SeccompProfile.Architecture: Decodable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: JSONField.self)
        architecture = try c.value("architecture") ?? ""
        subArchitectures = try c.value("subArchitectures") ?? []
        _ = try c.checked("architecture", architecture, SeccompProfile.checkArchitecture)
        _ = try c.checked("subArchitectures", subArchitectures) { (list) throws(ProfileProblem) in
            for arch in list { try SeccompProfile.checkArchitecture(arch) }
        }
    }
}

extension SeccompProfile.Filter: Decodable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: JSONField.self)
        caps = try c.value("caps") ?? []
        arches = try c.value("arches") ?? []
        let kernel = try c.value("minKernel", as: String.self) ?? ""
        minKernel = try c.checked("minKernel", kernel, SeccompProfile.KernelVersion.parse)
    }
}

extension SeccompProfile.Argument: Decodable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: JSONField.self)
        index = try c.value("index") ?? 0
        value = try c.value("value") ?? 0
        valueTwo = try c.value("valueTwo") ?? 0
        let opText = try c.value("op", as: String.self) ?? ""
        op = try c.checked("op", opText) { (text) throws(ProfileProblem) in
            if let op = SeccompProfile.Operator(rawValue: text) { return op }
            throw ProfileProblem(text.isEmpty ? "missing operator" : "unknown operator \"\(text)\"")
        }
        _ = try c.checked("index", index) { (index) throws(ProfileProblem) in
            if index > 5 { throw ProfileProblem("argument index \(index) is out of range 0...5") }
        }
    }
}

extension SeccompProfile.Syscall: Decodable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: JSONField.self)
        name = try c.value("name") ?? ""
        names = try c.value("names") ?? []
        errnoRet = try c.value("errnoRet")
        args = try c.value("args") ?? []
        comment = try c.value("comment") ?? ""
        includes = try c.value("includes") ?? SeccompProfile.Filter()
        excludes = try c.value("excludes") ?? SeccompProfile.Filter()
        action = try c.checked("action", try c.value("action", as: String.self) ?? "", SeccompProfile.action)
        if !name.isEmpty && !names.isEmpty {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath, debugDescription:
                "'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'"))
        }
    }
}

// MARK: - Resolution, as docker 20.10's setupSeccomp

/// A rule after docker's includes/excludes filtering: what runc receives.
struct ResolvedRule: Sendable, Hashable {
    var names: [String]
    var action: SeccompProfile.Action
    var errnoRet: UInt?
    var args: [SeccompProfile.Argument]
}

/// The profile as it applies to one container: the filter's architectures and the rules that survived.
struct ResolvedProfile: Sendable, Hashable {
    var defaultAction: SeccompProfile.Action
    var defaultErrnoRet: UInt?
    var architectures: [String]
    var rules: [ResolvedRule]

    /// The surviving rules that name `syscall`, in profile order.
    func rules(for syscall: String) -> [ResolvedRule] { rules.filter { $0.names.contains(syscall) } }
}

extension SeccompProfile {
    /// GOARCH to the name docker matches `arches` against (moby's goToNative), then to the libseccomp architecture
    /// whose archMap entry applies (nativeToSeccomp). Unknown ones (riscv64 in 20.10) match nothing.
    static let goToNative: [String: String] = [
        "386": "x86", "amd64": "amd64", "arm": "arm", "arm64": "arm64", "mips64": "mips64", "mips64p32": "mips64n32",
        "mips64le": "mipsel64", "mips64p32le": "mips3l64n32", "mipsle": "mipsel", "ppc": "ppc", "ppc64": "ppc64",
        "ppc64le": "ppc64le", "s390": "s390", "s390x": "s390x",
    ]
    static let nativeToSeccomp: [String: String] = [
        "x86": "SCMP_ARCH_X86", "amd64": "SCMP_ARCH_X86_64", "arm": "SCMP_ARCH_ARM", "arm64": "SCMP_ARCH_AARCH64",
        "mips64": "SCMP_ARCH_MIPS64", "mips64n32": "SCMP_ARCH_MIPS64N32", "mipsel64": "SCMP_ARCH_MIPSEL64",
        "mips3l64n32": "SCMP_ARCH_MIPSEL64N32", "mipsle": "SCMP_ARCH_MIPSEL", "ppc": "SCMP_ARCH_PPC",
        "ppc64": "SCMP_ARCH_PPC64", "ppc64le": "SCMP_ARCH_PPC64LE", "s390": "SCMP_ARCH_S390",
        "s390x": "SCMP_ARCH_S390X",
    ]

    /// docker 20.10's filtering of the profile for a container with `capabilities` (its bounding set) on `goArch`
    /// under kernel `kernel`.
    func resolved(capabilities: Capabilities, goArch: String, kernel: (Int, Int)) throws(ConfinementError)
        -> ResolvedProfile
    {
        if !architectures.isEmpty && !archMap.isEmpty {
            throw .invalidSeccompProfile(
                "'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'")
        }
        let arch = Self.goToNative[goArch] ?? ""
        var arches = architectures
        if let native = Self.nativeToSeccomp[arch], let entry = archMap.first(where: { $0.architecture == native }) {
            arches = [entry.architecture] + entry.subArchitectures
        }
        let running = KernelVersion(kernel.0, kernel.1)
        var rules: [ResolvedRule] = []
        for call in syscalls {
            let excluded = call.excludes.arches.contains(arch)
                || call.excludes.caps.contains(where: capabilities.contains)
                || call.excludes.minKernel.map { running >= $0 } ?? false
            if excluded { continue }
            let included = (call.includes.arches.isEmpty || call.includes.arches.contains(arch))
                && call.includes.caps.allSatisfy(capabilities.contains)
                && (call.includes.minKernel.map { running >= $0 } ?? true)
            if !included { continue }
            if !call.name.isEmpty && !call.names.isEmpty {
                throw .invalidSeccompProfile(
                    "'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'")
            }
            rules.append(ResolvedRule(names: call.name.isEmpty ? call.names : [call.name], action: call.action,
                                      errnoRet: call.errnoRet, args: call.args))
        }
        return ResolvedProfile(defaultAction: defaultAction, defaultErrnoRet: defaultErrnoRet, architectures: arches,
                               rules: rules)
    }

    /// The rules docker would pass to runc for such a container.
    func resolvedRules(capabilities: Capabilities, goArch: String, kernel: (Int, Int)) throws(ConfinementError)
        -> [ResolvedRule]
    {
        try resolved(capabilities: capabilities, goArch: goArch, kernel: kernel).rules
    }
}
