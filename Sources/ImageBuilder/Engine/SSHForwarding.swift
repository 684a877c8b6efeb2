#if canImport(Glibc)
import Glibc
#endif
import Foundation
import OCI
import Sandbox

/// One `--ssh ID[=PATH[,PATH…]]` as docker's client splits it (`default` alone: $SSH_AUTH_SOCK).
public struct SSHForwardSpec: Sendable, Equatable {
    /// "" when the value starts with "=" (BuildKit then names it "default").
    public var id: String
    public var paths: [String]

    public init(id: String, paths: [String] = []) {
        self.id = id
        self.paths = paths
    }

    public static func parse(_ text: String) -> SSHForwardSpec {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        return SSHForwardSpec(id: parts[0], paths: parts.count > 1 ? parts[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init) : [])
    }
}

/// Why `--ssh` could not be set up, in BuildKit's client words (the CLI prefixes `could not parse ssh: [...]: `).
public struct SSHForwardError: Error, Sendable, CustomStringConvertible {
    public let description: String

    init(_ description: String) { self.description = description }
}

extension SSHForwardError: KindedError {
    public var kind: ErrorKind { .invalidArgument }
}

/// The ssh-agent sockets a build forwards, by id, for as long as the build runs. A socket given with `--ssh` is
/// used as it is; private key files are loaded into an ssh-agent of Strata's own (Debian's `ssh-agent`, listening
/// in a private scratch directory, tied to this process's life), as BuildKit's client loads them into an agent in
/// memory. The keys reach that agent through a pipe: never through argv, a log or a file of Strata's.
public final class SSHForwarding: Sendable {
    /// id → a path this process can connect to.
    private let sockets: [String: String]
    private let agents: [TetheredProcess]
    private let directory: ShortPathDirectory?

    private init(sockets: [String: String], agents: [TetheredProcess], directory: ShortPathDirectory?) {
        self.sockets = sockets
        self.agents = agents
        self.directory = directory
    }

    /// The agent socket forwarded as `id`, if any.
    func socket(for id: String) -> String? { sockets[id] }

    /// The forwarded ids, sorted (what provenance records; never the sockets or keys).
    public var ids: [String] { sockets.keys.sorted() }

    /// BuildKit's `NewSSHAgentProvider`: each spec's paths are one socket or any number of private key files; an id
    /// may appear once. `scratchRoot` holds the private agents' sockets (swept if this process is killed).
    public static func start(_ specs: [SSHForwardSpec], scratchRoot: String,
                             agentSocket: String? = ProcessInfo.processInfo.environment["SSH_AUTH_SOCK"]) async throws
        -> SSHForwarding {
        var sockets: [String: String] = [:]
        var agents: [TetheredProcess] = []
        var directory: ShortPathDirectory?
        do {
            for spec in specs {
                var paths = spec.paths
                if paths.isEmpty || paths == [""] { paths = [agentSocket ?? ""] }
                guard !paths[0].isEmpty else {
                    throw SSHForwardError("invalid empty ssh agent socket, make sure SSH_AUTH_SOCK is set")
                }
                let source = try classify(paths)
                let id = spec.id.isEmpty ? "default" : spec.id
                guard sockets[id] == nil else { throw SSHForwardError("invalid duplicate ID \(id)") }
                switch source {
                case .socket(let path):
                    sockets[id] = path
                case .keys(let keys):
                    if directory == nil { directory = try ShortPathDirectory(root: scratchRoot) }
                    let agent = try await KeyAgent.start(keys: keys, in: directory!, name: "agent-\(agents.count).sock")
                    agents.append(agent.process)
                    sockets[id] = agent.socket
                }
            }
        } catch {
            for agent in agents { agent.terminate(); _ = await agent.wait() }
            throw error
        }
        return SSHForwarding(sockets: sockets, agents: agents, directory: directory)
    }

    /// Ends the agents Strata started and removes their sockets.
    public func stop() async {
        for agent in agents {
            agent.terminate()
            _ = await agent.wait()
        }
        directory?.remove()
    }

    enum Source {
        case socket(String)
        case keys([(path: String, contents: [UInt8])])
    }

    /// BuildKit's `toAgentSource`: a single socket, or key files (each read, at most 100 KiB, and checked).
    static func classify(_ paths: [String]) throws(SSHForwardError) -> Source {
        var socket: String?
        var keys: [(path: String, contents: [UInt8])] = []
        for path in paths {
            if socket != nil { throw SSHForwardError("only single socket allowed") }
            var info = stat()
            guard stat(path, &info) == 0 else { throw SSHForwardError("stat \(path): \(goErrorText(errno))") }
            if (info.st_mode & S_IFMT) == S_IFSOCK {
                if !keys.isEmpty { throw SSHForwardError("invalid combination of keys and sockets") }
                socket = path
                continue
            }
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw SSHForwardError("failed to open \(path): open \(path): \(goErrorText(errno))")
            }
            let data = (try? handle.read(upToCount: 100 * 1024)) ?? Data()
            try? handle.close()
            if let problem = PrivateKeyText.problem([UInt8](data)) {
                throw SSHForwardError("failed to parse \(path): \(problem)")
            }
            keys.append((path, [UInt8](data)))
        }
        if let socket { return .socket(socket) }
        return .keys(keys)
    }

    static func goErrorText(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        return (text.first.map { $0.lowercased() } ?? "") + text.dropFirst()
    }
}

/// A private scratch directory (0700) whose sockets are reached through `/proc/<pid>/fd/<n>/NAME`: a socket's path
/// must fit in 108 bytes, the store's may not. Either a scratch session of its own (swept if this process dies)
/// or a directory made inside the build's session; removed when released.
final class ShortPathDirectory: Sendable {
    let path: String
    private let session: ScratchSession?
    private let fd: Int32

    /// A new scratch session under `root`.
    init(root: String) throws {
        let session = try ScratchSession.begin(root: root)
        self.session = session
        path = session.path
        fd = try Self.openDirectory(path)
    }

    /// `directory`, created here (inside a scratch session that sweeps it).
    init(directory: String) throws {
        guard mkdir(directory, 0o700) == 0 else {
            throw SSHForwardError("mkdir \(directory): \(SSHForwarding.goErrorText(errno))")
        }
        session = nil
        path = directory
        fd = try Self.openDirectory(directory)
    }

    private static func openDirectory(_ path: String) throws -> Int32 {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SSHForwardError("open \(path): \(SSHForwarding.goErrorText(errno))") }
        return fd
    }

    deinit {
        close(fd)
        if session == nil { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Removes the directory now (the session's, with its lock).
    func remove() {
        if let session { session.end() } else { try? FileManager.default.removeItem(atPath: path) }
    }

    /// The short path of `name`, valid in this process and any process of the same user.
    func shortPath(_ name: String) -> String { "/proc/\(getpid())/fd/\(fd)/\(name)" }

    /// The real path of `name` (for mounts, which take long paths).
    func path(_ name: String) -> String { path + "/" + name }
}

/// An ssh-agent of Strata's holding the keys of one `--ssh ID=KEY[,KEY]`.
enum KeyAgent {
    static func start(keys: [(path: String, contents: [UInt8])], in directory: ShortPathDirectory, name: String) async throws
        -> (process: TetheredProcess, socket: String) {
        guard let agentProgram = HostProgram.find("ssh-agent"), let addProgram = HostProgram.find("ssh-add") else {
            throw SSHForwardError("failed to parse \(keys[0].path): forwarding a private key needs ssh-agent and ssh-add "
                                  + "(Debian's openssh-client) on this host")
        }
        let socket = directory.shortPath(name)
        let agent = try await TetheredProcess.start(agentProgram, arguments: ["-D", "-a", socket])
        do {
            try await waitForSocket(directory.path(name), address: socket, agent: agent)
            for key in keys { try await add(key, program: addProgram, socket: socket) }
        } catch {
            agent.terminate()
            _ = await agent.wait()
            throw error
        }
        return (agent, socket)
    }

    /// Until the agent accepts a connection on `address` (the socket file at `path` appears at bind, before listen:
    /// a client that connects in between is refused).
    private static func waitForSocket(_ path: String, address: String, agent: TetheredProcess) async throws {
        for _ in 0..<500 {
            var info = stat()
            if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFSOCK {
                let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
                if fd >= 0 {
                    let connected = SSHAgentRelay.connectUnix(fd, address) == 0
                    close(fd)
                    if connected { return }
                }
            }
            if kill(agent.pid, 0) != 0 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw SSHForwardError("ssh-agent did not start listening on \(path)")
    }

    private static func pipeCloseOnExec(_ fds: inout [Int32]) -> Int32 {
        guard pipe(&fds) == 0 else { return -1 }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return 0
    }

    /// `ssh-add -q -` with the key on a pipe, in a session of its own (no terminal to ask a passphrase on).
    private static func add(_ key: (path: String, contents: [UInt8]), program: String, socket: String) async throws {
        var input: [Int32] = [0, 0], output: [Int32] = [0, 0]
        guard Self.pipeCloseOnExec(&input) == 0 else { throw SSHForwardError("pipe: \(SSHForwarding.goErrorText(errno))") }
        guard Self.pipeCloseOnExec(&output) == 0 else {
            close(input[0]); close(input[1])
            throw SSHForwardError("pipe: \(SSHForwarding.goErrorText(errno))")
        }
        defer { close(output[0]) }
        // The key (at most 100 KiB) fits in the pipe once it is made large enough, so it is written before ssh-add runs.
        _ = fcntl(input[1], 1031 /* F_SETPIPE_SZ */, 1 << 20)
        let written = key.contents.withUnsafeBytes { write(input[1], $0.baseAddress, $0.count) }
        close(input[1])
        defer { close(input[0]) }
        guard written == key.contents.count else {
            close(output[1])
            throw SSHForwardError("failed to add \(key.path) to agent: the key does not fit in a pipe")
        }
        let process: TetheredProcess
        do {
            process = try await TetheredProcess.start(program, arguments: ["-q", "-"],
                                                      environment: ["SSH_AUTH_SOCK=" + socket, "SSH_ASKPASS_REQUIRE=never"],
                                                      stdin: input[0], stdout: output[1], stderr: output[1])
        } catch {
            close(output[1])
            throw SSHForwardError("failed to add \(key.path) to agent: \(error)")
        }
        close(output[1])
        let status = await process.wait()
        guard status == 0 else {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = buffer.withUnsafeMutableBytes { read(output[0], $0.baseAddress, $0.count) }
            let text = String(decoding: buffer.prefix(max(n, 0)), as: UTF8.self)
            let line = text.split(separator: "\n").last(where: { !$0.hasPrefix("Enter passphrase") }).map(String.init)
                ?? "ssh-add exited \(status)"
            throw SSHForwardError("failed to add \(key.path) to agent: \(line)")
        }
    }
}

/// A program of the host, looked up in $PATH and then /usr/bin.
enum HostProgram {
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":").map(String.init) + ["/usr/bin"] {
            let candidate = directory + "/" + name
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}

/// What golang.org/x/crypto/ssh's `ParseRawPrivateKey` would refuse in a key file before an agent sees it, in its
/// words: no PEM block at all, or a key locked with a passphrase (BuildKit's client never asks for one).
enum PrivateKeyText {
    static func problem(_ contents: [UInt8]) -> String? {
        let text = String(decoding: contents, as: UTF8.self)
        guard let begin = text.range(of: "-----BEGIN "), let typeEnd = text.range(of: "-----", range: begin.upperBound..<text.endIndex),
              let end = text.range(of: "-----END ", range: typeEnd.upperBound..<text.endIndex) else {
            return "ssh: no key found"
        }
        let type = String(text[begin.upperBound..<typeEnd.lowerBound])
        let body = text[typeEnd.upperBound..<end.lowerBound]
        if type == "ENCRYPTED PRIVATE KEY" { return "ssh: unsupported key type \"ENCRYPTED PRIVATE KEY\"" }
        if body.contains("Proc-Type: 4,ENCRYPTED") { return "ssh: this private key is passphrase protected" }
        if type == "OPENSSH PRIVATE KEY" {
            let base64 = body.filter { !$0.isWhitespace }
            guard let decoded = Data(base64Encoded: String(base64)) else { return "ssh: no key found" }
            let bytes = [UInt8](decoded)
            let magic = Array("openssh-key-v1\0".utf8)
            guard bytes.count > magic.count + 4, Array(bytes.prefix(magic.count)) == magic else {
                return "ssh: invalid openssh private key format"
            }
            let lengthBytes = bytes[magic.count..<magic.count + 4]
            let length = lengthBytes.reduce(0) { $0 << 8 | Int($1) }
            let start = magic.count + 4
            guard start + length <= bytes.count else { return "ssh: invalid openssh private key format" }
            let cipher = String(decoding: bytes[start..<start + length], as: UTF8.self)
            if cipher != "none" { return "ssh: this private key is passphrase protected" }
        }
        return nil
    }
}
