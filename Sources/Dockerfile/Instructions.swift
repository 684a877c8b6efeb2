/// How RUN, CMD, ENTRYPOINT and HEALTHCHECK CMD give their command.
public enum CommandForm: Sendable, Hashable {
    /// JSON array form, run without a shell: `CMD ["nginx", "-g", "daemon off;"]`.
    case exec([String])
    /// Shell form, run as `SHELL + [text]` (`/bin/sh -c text` by default). Empty for a bare `CMD`.
    case shell(String)

    /// BuildKit's `CmdLine`: the exec arguments, or the shell text as one element (none when empty).
    public var commandLine: [String] {
        switch self {
        case .exec(let arguments): arguments
        case .shell(let text): text.isEmpty ? [] : [text]
        }
    }

    public var isShell: Bool { if case .shell = self { true } else { false } }

    /// The command as the image config stores it: exec arguments, or `shell + [text]`.
    public func arguments(shell: [String] = ["/bin/sh", "-c"]) -> [String] {
        switch self {
        case .exec(let arguments): arguments
        case .shell(let text): shell + [text]
        }
    }
}

/// A heredoc body attached to RUN, COPY or ADD (`<<EOF` … `EOF`).
public struct Heredoc: Sendable, Hashable {
    /// The delimiter word with quotes removed (`EOF` for `<<"EOF"`); also the file name for COPY.
    public var name: String
    /// The body as written, every line ending with a newline (no tab stripping applied).
    public var content: String
    /// `<<-`: leading tabs are stripped from each body line (see `effectiveContent`).
    public var stripsLeadingTabs: Bool
    /// False when the delimiter was quoted (`<<'EOF'`, `<<"EOF"`): the body is not variable-expanded.
    public var expands: Bool
    /// The file descriptor written before `<<` (`3<<EOF`), 0 when none.
    public var fileDescriptor: Int

    public init(name: String, content: String, stripsLeadingTabs: Bool, expands: Bool, fileDescriptor: Int = 0) {
        self.name = name
        self.content = content
        self.stripsLeadingTabs = stripsLeadingTabs
        self.expands = expands
        self.fileDescriptor = fileDescriptor
    }

    /// The body with leading tabs removed from each line when `<<-` was used.
    public var effectiveContent: String {
        guard stripsLeadingTabs else { return content }
        var result = ""
        var atLineStart = true
        for scalar in content.unicodeScalars {
            if atLineStart && scalar == "\t" { continue }
            atLineStart = scalar == "\n"
            result.unicodeScalars.append(scalar)
        }
        return result
    }
}

/// Fields every instruction carries.
public protocol InstructionPayload: Sendable, Hashable {
    /// Lines of the instruction in the Dockerfile.
    var location: SourceLocation { get }
    /// The instruction's text as BuildKit keeps it: the logical line (continuations joined, leading
    /// whitespace removed, heredoc bodies excluded). Used for history and progress lines.
    var original: String { get }
}

/// `FROM [--platform=P] image [AS name]`. Base name and platform are unexpanded (global ARGs apply).
public struct FromInstruction: InstructionPayload {
    public var baseName: String
    /// Lowercased stage name, nil when no `AS`.
    public var stageName: String?
    public var platform: String?
    public var location: SourceLocation
    public var original: String
}

/// How a RUN step is networked (`--network=`).
public enum RunNetwork: String, Sendable, Hashable, CaseIterable {
    case `default`, none, host
}

/// `RUN [--mount=…] [--network=…] [--security=…] command`.
public struct RunInstruction: InstructionPayload {
    public var command: CommandForm
    public var mounts: [RunMount]
    public var network: RunNetwork?
    public var security: String?
    public var heredocs: [Heredoc]
    public var location: SourceLocation
    public var original: String
}

/// `CMD command`.
public struct CmdInstruction: InstructionPayload {
    public var command: CommandForm
    public var location: SourceLocation
    public var original: String
}

/// `ENTRYPOINT command`. `command` is nil for a bare `ENTRYPOINT` (BuildKit's nil CmdLine).
public struct EntrypointInstruction: InstructionPayload {
    public var command: CommandForm?
    public var location: SourceLocation
    public var original: String
}

/// One `key=value` of ENV, LABEL or ARG, unexpanded (quotes and escapes still in place).
public struct KeyValue: Sendable, Hashable {
    public var key: String
    public var value: String
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// `LABEL k=v …` (or the legacy `LABEL k v`); keys and values are expanded at build time.
public struct LabelInstruction: InstructionPayload {
    public var labels: [KeyValue]
    public var location: SourceLocation
    public var original: String
}

/// `ENV k=v …` or `ENV k value with spaces`; keys and values are expanded at build time against the
/// environment before this instruction.
public struct EnvInstruction: InstructionPayload {
    public var variables: [KeyValue]
    public var location: SourceLocation
    public var original: String
}

/// `MAINTAINER text` (deprecated; sets the config's author).
public struct MaintainerInstruction: InstructionPayload {
    public var maintainer: String
    public var location: SourceLocation
    public var original: String
}

/// `EXPOSE port[/proto] …`, unexpanded and sorted as BuildKit sorts them (each is expanded with
/// `expandWords`, so one word may become several ports).
public struct ExposeInstruction: InstructionPayload {
    public var ports: [String]
    public var location: SourceLocation
    public var original: String
}

/// COPY or ADD sources: paths (unexpanded, or from the JSON form) and inline heredoc files.
public enum CopySource: Sendable, Hashable {
    case path(String)
    /// A heredoc used as a source file: `COPY <<EOF /dest`. The file is named after the heredoc.
    case heredoc(Heredoc)
}

/// `COPY [--from=…] [--chown=…] [--chmod=…] [--link] src… dest`.
public struct CopyInstruction: InstructionPayload {
    public var sources: [CopySource]
    public var destination: String
    /// A stage name (any case), a stage index, or an image reference; not expanded (as in BuildKit 20.10).
    public var from: String?
    public var chown: String?
    public var chmod: String?
    public var link: Bool
    /// Whether the argument list was a JSON array.
    public var isJSON: Bool
    public var heredocs: [Heredoc]
    public var location: SourceLocation
    public var original: String
}

/// `ADD [--chown=…] [--chmod=…] [--link] [--checksum=…] [--keep-git-dir] src… dest`.
public struct AddInstruction: InstructionPayload {
    public var sources: [CopySource]
    public var destination: String
    public var chown: String?
    public var chmod: String?
    public var link: Bool
    public var checksum: String?
    public var keepGitDir: Bool
    public var isJSON: Bool
    public var heredocs: [Heredoc]
    public var location: SourceLocation
    public var original: String
}

/// `VOLUME ["/a", "/b"]` or `VOLUME /a /b` (expanded at build time).
public struct VolumeInstruction: InstructionPayload {
    public var volumes: [String]
    public var location: SourceLocation
    public var original: String
}

/// `USER name[:group]` (expanded at build time).
public struct UserInstruction: InstructionPayload {
    public var user: String
    public var location: SourceLocation
    public var original: String
}

/// `WORKDIR path` (expanded at build time; relative paths apply to the previous WORKDIR).
public struct WorkdirInstruction: InstructionPayload {
    public var path: String
    public var location: SourceLocation
    public var original: String
}

/// `ARG name[=default] …`; names and defaults are unexpanded.
public struct ArgInstruction: InstructionPayload {
    public struct Argument: Sendable, Hashable {
        public var name: String
        /// The default, nil when `ARG name` has none (then a build arg or a global ARG may supply one).
        public var defaultValue: String?
        public init(name: String, defaultValue: String?) {
            self.name = name
            self.defaultValue = defaultValue
        }
    }

    public var arguments: [Argument]
    public var location: SourceLocation
    public var original: String
}

/// `ONBUILD INSTRUCTION …`: stored in the image config, run when a later build starts FROM the image.
public struct OnbuildInstruction: InstructionPayload {
    /// The trigger text as stored in the config's `OnBuild` (the original line without `ONBUILD `).
    public var expression: String
    /// The trigger's keyword, uppercased (`RUN`).
    public var triggerKeyword: String
    public var location: SourceLocation
    public var original: String
}

/// `STOPSIGNAL signal` (expanded at build time).
public struct StopSignalInstruction: InstructionPayload {
    public var signal: String
    public var location: SourceLocation
    public var original: String
}

/// `HEALTHCHECK NONE` or `HEALTHCHECK [--interval=…] [--timeout=…] [--start-period=…] [--retries=…] CMD cmd`.
public struct HealthcheckInstruction: InstructionPayload {
    /// The config's `Test`: `["NONE"]`, `["CMD", args…]` or `["CMD-SHELL", text]`.
    public var test: [String]
    /// Durations in nanoseconds (the image config's unit); 0 when not given.
    public var interval: Int64
    public var timeout: Int64
    public var startPeriod: Int64
    /// 0 when not given.
    public var retries: Int
    public var location: SourceLocation
    public var original: String

    public var isNone: Bool { test == ["NONE"] }
}

/// `SHELL ["executable", "args"…]` (JSON form only).
public struct ShellInstruction: InstructionPayload {
    public var shell: [String]
    public var location: SourceLocation
    public var original: String
}

/// One parsed Dockerfile instruction with typed arguments.
public enum Instruction: Sendable, Hashable {
    case from(FromInstruction)
    case run(RunInstruction)
    case cmd(CmdInstruction)
    case label(LabelInstruction)
    case maintainer(MaintainerInstruction)
    case expose(ExposeInstruction)
    case env(EnvInstruction)
    case add(AddInstruction)
    case copy(CopyInstruction)
    case entrypoint(EntrypointInstruction)
    case volume(VolumeInstruction)
    case user(UserInstruction)
    case workdir(WorkdirInstruction)
    case arg(ArgInstruction)
    case onbuild(OnbuildInstruction)
    case stopSignal(StopSignalInstruction)
    case healthcheck(HealthcheckInstruction)
    case shell(ShellInstruction)

    var payload: any InstructionPayload {
        switch self {
        case .from(let p): p
        case .run(let p): p
        case .cmd(let p): p
        case .label(let p): p
        case .maintainer(let p): p
        case .expose(let p): p
        case .env(let p): p
        case .add(let p): p
        case .copy(let p): p
        case .entrypoint(let p): p
        case .volume(let p): p
        case .user(let p): p
        case .workdir(let p): p
        case .arg(let p): p
        case .onbuild(let p): p
        case .stopSignal(let p): p
        case .healthcheck(let p): p
        case .shell(let p): p
        }
    }

    public var location: SourceLocation { payload.location }
    public var original: String { payload.original }

    /// The instruction keyword, uppercased (`RUN`, `STOPSIGNAL`).
    public var keyword: String {
        switch self {
        case .from: "FROM"
        case .run: "RUN"
        case .cmd: "CMD"
        case .label: "LABEL"
        case .maintainer: "MAINTAINER"
        case .expose: "EXPOSE"
        case .env: "ENV"
        case .add: "ADD"
        case .copy: "COPY"
        case .entrypoint: "ENTRYPOINT"
        case .volume: "VOLUME"
        case .user: "USER"
        case .workdir: "WORKDIR"
        case .arg: "ARG"
        case .onbuild: "ONBUILD"
        case .stopSignal: "STOPSIGNAL"
        case .healthcheck: "HEALTHCHECK"
        case .shell: "SHELL"
        }
    }
}
